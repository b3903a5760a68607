import * as http from 'http';
import type { Duplex } from 'stream';
import { Client } from 'ssh2';
import type { AgentAuthMethod, ClientChannel, PublicKeyAuthMethod } from 'ssh2';
import {
  checkHostKey,
  HostKeyVerdict,
  knownHostKeyTypes,
  knownHostsLine,
  preferredHostKeyAlgorithms,
  sshFingerprint,
  sshKeyType,
} from './knownHosts';
import { DockerHostError, sshHostName, UnknownHostKeyError } from './errors';

export interface SshDialOptions {
  host: string;
  port: number;
  username: string;
  /** Private keys to offer, in order, after ssh-agent. */
  privateKeys: { path: string; key: Buffer }[];
  agentSocket?: string;
  knownHostsFile: string;
  readKnownHosts: () => string;
  readyTimeoutMs: number;
}

/**
 * Channels OpenSSH allows on one connection unless its sshd_config says otherwise (MaxSessions).
 * Each dial-stdio is one; an event feed or a followed log holds its channel for as long as it runs.
 */
const OPENSSH_MAX_SESSIONS = 10;

/** One SSH connection of an agent's. */
interface SshLink {
  client: Promise<Client>;
  /** Channels open or being opened on it. */
  channels: number;
  /**
   * The server refused a channel on it since the last one closed: its MaxSessions is lower than
   * OpenSSH's default, or it still counts a session whose command has not exited yet.
   */
  full: boolean;
}

const hasRoom = (link: SshLink) => !link.full && link.channels < OPENSSH_MAX_SESSIONS;

/**
 * An HTTP agent whose sockets are `docker system dial-stdio` channels over SSH connections it keeps,
 * the way the Docker CLI reaches ssh:// hosts. docker-modem's own ssh support opens a new SSH
 * connection (handshake, key exchange, auth) for every request; reusing one makes a tree refresh
 * cost a channel open instead of a handshake.
 *
 * A server allows only so many channels per connection, and feeds and log follows never give theirs
 * back, so waiting for a free one could wait forever: a channel that does not fit opens another
 * connection instead. An idle connection closes as soon as another one has room for the next channel.
 */
export class SshDialAgent extends http.Agent {
  private readonly links = new Set<SshLink>();
  private disposed = false;
  private retired = false;

  constructor(private readonly options: SshDialOptions) {
    super({ keepAlive: false });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex | undefined {
    this.openChannel().then(
      (channel) => callback?.(null, channel),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  /** A raw byte stream to the remote daemon, as a local socket to it would be. */
  async openChannel(): Promise<ClientChannel> {
    for (;;) {
      const link = this.linkWithRoom();
      link.channels += 1;
      let channel: ClientChannel;
      try {
        channel = await this.execDialStdio(link);
      } catch (err) {
        const others = link.channels - 1;
        this.release(link);
        if (!isRefusedChannel(err)) {
          throw err;
        }
        if (others === 0) {
          throw this.refusal(err);
        }
        // Refused beside channels that work: the connection is full, not the user barred.
        link.full = true;
        continue;
      }
      channel.once('close', () => {
        link.full = false;
        this.release(link);
      });
      return channel;
    }
  }

  private execDialStdio(link: SshLink): Promise<ClientChannel> {
    return link.client.then(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          client.exec('docker system dial-stdio', (err, channel) => {
            if (err) {
              reject(err);
              return;
            }
            let stderr = '';
            channel.stderr.on('data', (chunk: Buffer) => {
              stderr += chunk.toString();
            });
            channel.on('exit', (code: number | null) => {
              if (code) {
                channel.emit(
                  'error',
                  new DockerHostError(
                    `"docker system dial-stdio" failed on ${this.options.host} (exit ${code}): ${stderr.trim() || 'no output'}. ` +
                      'Is Docker installed there and is the SSH user allowed to use it?',
                    'DIAL_STDIO',
                  ),
                );
              }
            });
            makeSocketLike(channel);
            finishOnDestroy(channel);
            resolve(channel);
          });
        }),
    );
  }

  private refusal(err: Error): DockerHostError {
    const reason = err.message.replace(/^\(SSH\) Channel open failure: /, '');
    return new DockerHostError(
      `The SSH server at ${sshHostName(this.options.host, this.options.port)} refused to open a session (${reason}). ` +
        'Its sshd_config may allow no sessions (MaxSessions 0), perhaps in a Match block for this user.',
      'SSH_SESSION_REFUSED',
      err.message,
    );
  }

  /**
   * From now on a connection closes whenever no channel uses it. Channels already open go on; a
   * later request opens a new connection, which closes again once that request is done.
   */
  retire(): void {
    this.retired = true;
    for (const link of this.links) {
      if (link.channels === 0) {
        this.closeLink(link);
      }
    }
  }

  /** The oldest connection with room, so that newer ones empty and close; a new one if none has room. */
  private linkWithRoom(): SshLink {
    if (this.disposed) {
      throw new DockerHostError(`The connection to ${this.options.host} was closed.`, 'DISPOSED');
    }
    for (const link of this.links) {
      if (hasRoom(link)) {
        return link;
      }
    }
    const link: SshLink = { client: this.startClient(() => this.links.delete(link)), channels: 0, full: false };
    // Whoever asked for a channel on it hears of the failure; the link itself must not go unhandled.
    link.client.catch(() => undefined);
    this.links.add(link);
    return link;
  }

  /**
   * Any idle connection closes while another has room, not only the one just released: one opened
   * because another was full must go once that one makes room again, whichever frees up first.
   * The newest go first, so the oldest connection is the one that stays.
   */
  private release(link: SshLink): void {
    link.channels -= 1;
    for (const idle of [...this.links].reverse()) {
      if (idle.channels === 0 && (this.retired || [...this.links].some((other) => other !== idle && hasRoom(other)))) {
        this.closeLink(idle);
      }
    }
  }

  private closeLink(link: SshLink): void {
    this.links.delete(link);
    link.client.then(
      (c) => c.end(),
      () => undefined,
    );
  }

  private startClient(onGone: () => void): Promise<Client> {
    const o = this.options;
    const client = new Client();
    let hostKeyProblem: Error | undefined;
    const auth: (AgentAuthMethod | PublicKeyAuthMethod)[] = [];
    if (o.agentSocket) {
      auth.push({ type: 'agent', username: o.username, agent: o.agentSocket });
    }
    for (const k of o.privateKeys) {
      auth.push({ type: 'publickey', username: o.username, key: k.key });
    }
    const knownHosts = o.readKnownHosts();
    const knownTypes = knownHostKeyTypes(knownHosts, o.host, o.port);
    const preferred = preferredHostKeyAlgorithms(knownTypes);
    return new Promise<Client>((resolve, reject) => {
      client
        .once('ready', () => resolve(client))
        // Kept for the client's whole life: an error after `ready` must not go unhandled.
        .on('error', (err) => {
          onGone();
          reject(hostKeyProblem ?? err);
        })
        .on('close', () => {
          onGone();
          reject(hostKeyProblem ?? new DockerHostError(`SSH connection to ${o.host} closed.`, 'ECONNRESET'));
        });
      client.connect({
        host: o.host,
        port: o.port,
        username: o.username,
        readyTimeout: o.readyTimeoutMs,
        keepaliveInterval: 15_000,
        authHandler: auth,
        // Known key types first, as OpenSSH orders them. ssh2 applies the keys in order, so `remove` then
        // `prepend` moves them to the front; its types insist on an `append`.
        algorithms: preferred.length > 0 ? { serverHostKey: { append: [], remove: preferred, prepend: preferred } } : undefined,
        hostVerifier: (key: Buffer) => {
          const verdict = checkHostKey(knownHosts, o.host, o.port, key);
          if (verdict === 'trusted') {
            return true;
          }
          hostKeyProblem = hostKeyRefusal(o, verdict, key, knownTypes);
          return false;
        },
      });
    });
  }

  override destroy(): void {
    this.disposed = true;
    for (const link of this.links) {
      this.closeLink(link);
    }
    super.destroy();
  }
}

function hostKeyRefusal(o: SshDialOptions, verdict: Exclude<HostKeyVerdict, 'trusted'>, key: Buffer, knownTypes: string[]): DockerHostError {
  const type = sshKeyType(key);
  if (verdict === 'unknown') {
    return new UnknownHostKeyError(o.host, o.port, type, sshFingerprint(key), knownHostsLine(o.host, o.port, key), o.knownHostsFile);
  }
  const presented = `The SSH host key of ${sshHostName(o.host, o.port)} (${type} ${sshFingerprint(key)})`;
  if (verdict === 'revoked') {
    return new DockerHostError(
      `${presented} is marked revoked in ${o.knownHostsFile}. Do not connect until the host has a new key.`,
      'HOST_KEY_MISMATCH',
    );
  }
  const against = knownTypes.includes(type)
    ? `the one in ${o.knownHostsFile}`
    : `${o.knownHostsFile}, which knows this host only by its ${knownTypes.join(' and ')} key${knownTypes.length > 1 ? 's' : ''}`;
  return new DockerHostError(
    `${presented} does not match ${against}. ` +
      'It may have been reinstalled, or someone may be intercepting the connection; check before you edit known_hosts.',
    'HOST_KEY_MISMATCH',
  );
}

/** The server answered a channel open with a refusal, rather than the connection failing under it. */
function isRefusedChannel(err: unknown): err is Error {
  return err instanceof Error && typeof (err as { reason?: unknown }).reason === 'number';
}

/**
 * ssh2 emits a channel's 'close' only once its end has been read, and whoever destroys a channel has
 * stopped reading (a pipe from it to a socket that closed is undone, which pauses it): without this
 * it would count as open for good, and its connection would never close.
 */
function finishOnDestroy(channel: ClientChannel): void {
  const destroy = channel.destroy.bind(channel);
  channel.destroy = () => {
    channel.resume();
    return destroy();
  };
}

/** Node's HTTP client calls these on its sockets; an SSH channel has no socket options to set. */
function makeSocketLike(channel: ClientChannel): void {
  const target = channel as unknown as Record<string, unknown>;
  for (const name of ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref']) {
    if (typeof target[name] !== 'function') {
      target[name] = () => channel;
    }
  }
}
