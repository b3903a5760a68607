import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import * as tlsSocket from 'tls';
import type { Duplex } from 'stream';
import Dockerode from 'dockerode';
import { DockerHostSpec, hasTlsMaterial } from './hostSpec';
import { parseHostAddress, ParsedHostAddress } from './hostAddress';
import { DockerHostError, type Transport } from './errors';
import { SshDialAgent } from './sshDialAgent';
import type { ConnectionEnvironment } from './connectionEnvironment';

/** An open client for one host; `dispose` closes the SSH connection or TLS agent behind it. */
export interface DockerConnection {
  readonly docker: Dockerode;
  readonly parsed: ParsedHostAddress;
  /** Where the host is, for messages: the socket path or host:port. */
  readonly where: string;
  readonly transport: Transport;
  /**
   * A raw stream to the daemon, the way a local socket would be: for tools (Docker Compose) that
   * reach the host through a forwarded local socket, so they share this connection's keys,
   * certificates and host-key checks instead of needing their own.
   */
  dial(): Promise<Duplex>;
  /**
   * Stops keeping the transport open for later use: it closes as soon as no request, stream or
   * dialled channel uses it, while those under way finish on it (and a holder may still send more,
   * which then close when done).
   */
  retire(): void;
  dispose(): void;
}

/** An HTTPS agent that, once retired, keeps no idle socket: each closes when its request is done. */
class RetirableHttpsAgent extends https.Agent {
  private retired = false;

  retire(): void {
    this.retired = true;
    for (const sockets of Object.values(this.freeSockets)) {
      sockets?.forEach((socket) => socket.destroy());
    }
  }

  override keepSocketAlive(socket: Duplex): void {
    // Falsy: Node destroys the socket instead of keeping it for the next request.
    return this.retired ? undefined : super.keepSocketAlive(socket);
  }
}

function connected<T extends net.Socket>(socket: T, event: 'connect' | 'secureConnect'): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function readPem(kind: string, file: string, hostName: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DockerHostError(
      code === 'ENOENT'
        ? `The ${kind} file for "${hostName}" does not exist: ${file}`
        : `The ${kind} file for "${hostName}" cannot be read (${code}): ${file}`,
      'TLS_FILE',
    );
  }
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function sshPrivateKeys(spec: DockerHostSpec, env: ConnectionEnvironment): { path: string; key: Buffer }[] {
  if (spec.identityFile) {
    const file = spec.identityFile.replace(/^~(?=\/|$)/, env.homeDir);
    try {
      return [{ path: file, key: fs.readFileSync(file) }];
    } catch (err) {
      throw new DockerHostError(
        `The SSH key file for "${spec.name}" cannot be read (${(err as NodeJS.ErrnoException).code}): ${file}`,
        'SSH_KEY_FILE',
      );
    }
  }
  const keys: { path: string; key: Buffer }[] = [];
  for (const name of DEFAULT_KEYS) {
    const file = path.join(env.homeDir, '.ssh', name);
    try {
      keys.push({ path: file, key: fs.readFileSync(file) });
    } catch {
      // The user simply has no key of this type.
    }
  }
  return keys;
}

export function describeWhere(parsed: ParsedHostAddress): string {
  switch (parsed.kind) {
    case 'unix':
      return parsed.socketPath;
    case 'npipe':
      return parsed.pipePath;
    case 'ssh':
      return `${parsed.user ? parsed.user + '@' : ''}${parsed.host}:${parsed.port} (SSH)`;
    case 'tcp':
      return `${parsed.host}:${parsed.port}`;
  }
}

/**
 * A Dockerode client for exactly this address. docker-modem fills whatever options are missing from
 * DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, so a host listed under its own address would
 * otherwise be reached at the one the extension's environment names.
 */
function engineClient(options: Dockerode.DockerOptions & { agent?: unknown }): Dockerode {
  return new Dockerode({
    host: undefined,
    port: undefined,
    socketPath: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    ...options,
  } as Dockerode.DockerOptions);
}

/**
 * Builds a dockerode client for a host. Throws a DockerHostError for an address or certificate
 * problem found before any network traffic, so the tree can show it instead of a stack trace.
 */
export function openConnection(spec: DockerHostSpec, env: ConnectionEnvironment): DockerConnection {
  const parsed = parseHostAddress(spec.address);
  const where = describeWhere(parsed);
  let agent: { retire(): void; destroy(): void } | undefined;
  let docker: Dockerode;
  let dial: () => Promise<Duplex>;
  let transport: Transport;
  switch (parsed.kind) {
    case 'unix':
    case 'npipe': {
      const socketPath = parsed.kind === 'unix' ? parsed.socketPath : parsed.pipePath;
      docker = engineClient({ socketPath });
      transport = 'socket';
      dial = () => connected(net.connect(socketPath), 'connect');
      break;
    }
    case 'tcp': {
      if (hasTlsMaterial(spec)) {
        // TLS whenever certificates are given, whatever the port: the port says nothing about security.
        const tls = spec.tls ?? {};
        const material = {
          ca: spec.tlsPem?.ca ?? (tls.ca ? readPem('CA certificate', tls.ca, spec.name) : undefined),
          cert: spec.tlsPem?.cert ?? (tls.cert ? readPem('client certificate', tls.cert, spec.name) : undefined),
          key: spec.tlsPem?.key ?? (tls.key ? readPem('client key', tls.key, spec.name) : undefined),
        };
        transport = 'tls';
        const httpsAgent = new RetirableHttpsAgent({ keepAlive: true, ...material, rejectUnauthorized: !spec.skipTlsVerify });
        agent = httpsAgent;
        // The material goes on every request too, not only on the agent: VS Code's proxy support
        // (http.proxySupport "override", the default) swaps extensions' agents for its own, and a
        // request that lost its client certificate fails the handshake with mutual-TLS daemons.
        docker = engineClient({
          host: parsed.host,
          port: parsed.port,
          protocol: 'https',
          agent: httpsAgent,
          ...material,
        });
        dial = () =>
          connected(
            tlsSocket.connect({
              host: parsed.host,
              port: parsed.port,
              ...material,
              rejectUnauthorized: !spec.skipTlsVerify,
              servername: net.isIP(parsed.host) ? undefined : parsed.host,
            }),
            'secureConnect',
          );
      } else {
        docker = engineClient({ host: parsed.host, port: parsed.port, protocol: 'http' });
        transport = 'tcp';
        dial = () => connected(net.connect(parsed.port, parsed.host), 'connect');
      }
      break;
    }
    case 'ssh': {
      const sshAgent = new SshDialAgent({
        host: parsed.host,
        port: parsed.port,
        username: parsed.user ?? env.localUser,
        privateKeys: sshPrivateKeys(spec, env),
        agentSocket: env.sshAuthSock,
        knownHostsFile: env.knownHostsFile,
        readKnownHosts: () => {
          try {
            return fs.readFileSync(env.knownHostsFile, 'utf8');
          } catch {
            return '';
          }
        },
        readyTimeoutMs: env.connectTimeoutMs,
      });
      agent = sshAgent;
      transport = 'ssh';
      // A socket path, never opened (the agent makes every socket), because VS Code's proxy support
      // leaves only requests with a socketPath alone: for any other host but localhost it drops the
      // request's agent and connects straight to host:22, where sshd answers no HTTP ("Parse Error").
      docker = engineClient({
        socketPath: `ssh-dial:${parsed.host}:${parsed.port}`,
        protocol: 'http',
        agent: sshAgent,
      });
      dial = () => sshAgent.openChannel();
      break;
    }
  }
  return {
    docker,
    parsed,
    where,
    transport,
    dial,
    retire: () => agent?.retire(),
    dispose: () => agent?.destroy(),
  };
}
