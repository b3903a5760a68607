import { stringify } from 'yaml';

import { DOCKER_TLS_PORT, type DaemonAccess } from './plan';

export type { DaemonAccess };

export interface DaemonTls {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export interface CloudInitOptions {
  adminUser: string;
  access: DaemonAccess;
  /** Server side of mutual TLS; never the CA key. Required when access is 'tls'. */
  tls?: DaemonTls;
  /**
   * The VM's SSH host key, made on this machine so its public half is known before the first
   * connection: no fingerprint to take on trust. The only host key the VM gets.
   */
  sshHostKey?: SshHostKey;
}

/** An ed25519 host key pair: the OpenSSH private key and its public key line. */
export interface SshHostKey {
  privateKey: string;
  publicKey: string;
}

/** Azure's limit on osProfile.customData, counted on the base64 text. */
export const CUSTOM_DATA_LIMIT = 65_536;

/**
 * The cloud-config that turns a fresh Ubuntu VM into a Docker host at first boot: Docker Engine
 * from Ubuntu's packages, the admin user in the `docker` group and, for TLS, the daemon listening
 * on 2376 with mutual TLS only. Ordering matters: `write_files` runs before `packages`, so the
 * files under /etc/docker are in place when the package installs; the drop-in that frees `hosts`
 * from the unit's `-H fd://` must be loaded (daemon-reload) before Docker restarts.
 */
export function buildCloudConfig(opts: CloudInitOptions): string {
  const files: { path: string; permissions: string; content: string }[] = [];
  const runcmd: string[][] = [['usermod', '-aG', 'docker', opts.adminUser]];
  if (opts.access === 'tls') {
    if (!opts.tls) {
      throw new Error('TLS mode needs the server certificate, key and CA.');
    }
    const daemon = {
      hosts: ['unix:///var/run/docker.sock', `tcp://0.0.0.0:${DOCKER_TLS_PORT}`],
      tlsverify: true,
      tlscacert: '/etc/docker/tls/ca.pem',
      tlscert: '/etc/docker/tls/server-cert.pem',
      tlskey: '/etc/docker/tls/server-key.pem',
    };
    files.push(
      { path: '/etc/docker/daemon.json', permissions: '0644', content: JSON.stringify(daemon, null, 2) + '\n' },
      { path: '/etc/docker/tls/ca.pem', permissions: '0644', content: opts.tls.caPem },
      { path: '/etc/docker/tls/server-cert.pem', permissions: '0644', content: opts.tls.serverCertPem },
      { path: '/etc/docker/tls/server-key.pem', permissions: '0600', content: opts.tls.serverKeyPem },
      // Ubuntu's docker.service passes -H fd://, which dockerd refuses alongside "hosts" in daemon.json.
      {
        path: '/etc/systemd/system/docker.service.d/override.conf',
        permissions: '0644',
        content: '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd\n',
      },
    );
    runcmd.push(['systemctl', 'daemon-reload'], ['systemctl', 'restart', 'docker']);
  }
  runcmd.push(['systemctl', 'enable', '--now', 'docker']);
  const config = {
    ...(opts.sshHostKey
      ? {
          // cloud-init deletes the image's host keys and generates none: sshd starts with this one only.
          ssh_deletekeys: true,
          ssh_genkeytypes: [],
          ssh_keys: { ed25519_private: opts.sshHostKey.privateKey, ed25519_public: opts.sshHostKey.publicKey },
        }
      : {}),
    package_update: true,
    packages: ['docker.io'],
    ...(files.length ? { write_files: files } : {}),
    runcmd,
    final_message: 'Docker on Azure: Docker host ready after $UPTIME seconds',
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

/** base64 for osProfile.customData, refusing what Azure would refuse. */
export function encodeCustomData(cloudConfig: string): string {
  const encoded = Buffer.from(cloudConfig, 'utf8').toString('base64');
  if (encoded.length > CUSTOM_DATA_LIMIT) {
    throw new Error(
      `The cloud-init configuration is ${encoded.length} bytes in base64, over Azure's ${CUSTOM_DATA_LIMIT}-byte limit for custom data.`,
    );
  }
  return encoded;
}
