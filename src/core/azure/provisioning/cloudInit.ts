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
 * What makes Docker listen with mutual TLS only on 2376 besides its socket: daemon.json, the
 * server side of the TLS material, and the drop-in without which Ubuntu's and Debian's
 * docker.service (`-H fd://`) would refuse daemon.json's `hosts`. Provisioning writes them with
 * cloud-init, Install Docker on VM… with its script, so both set Docker up alike.
 */
export function daemonTlsFiles(tls: DaemonTls): { path: string; permissions: string; content: string }[] {
  const daemon = {
    hosts: ['unix:///var/run/docker.sock', `tcp://0.0.0.0:${DOCKER_TLS_PORT}`],
    tlsverify: true,
    tlscacert: '/etc/docker/tls/ca.pem',
    tlscert: '/etc/docker/tls/server-cert.pem',
    tlskey: '/etc/docker/tls/server-key.pem',
  };
  return [
    { path: '/etc/docker/daemon.json', permissions: '0644', content: JSON.stringify(daemon, null, 2) + '\n' },
    { path: '/etc/docker/tls/ca.pem', permissions: '0644', content: tls.caPem },
    { path: '/etc/docker/tls/server-cert.pem', permissions: '0644', content: tls.serverCertPem },
    { path: '/etc/docker/tls/server-key.pem', permissions: '0600', content: tls.serverKeyPem },
    { path: DOCKER_DROP_IN, permissions: '0644', content: dockerServiceDropIn('/usr/bin/dockerd') },
  ];
}

export const DOCKER_DROP_IN = '/etc/systemd/system/docker.service.d/override.conf';

/** dockerd without -H, wherever the package put it (Ubuntu: /usr/bin; Debian: /usr/sbin). */
export function dockerServiceDropIn(dockerd: string): string {
  return `[Service]\nExecStart=\nExecStart=${dockerd}\n`;
}

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
    files.push(...daemonTlsFiles(opts.tls));
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
