import * as crypto from 'crypto';
import * as http2 from 'http2';
import type { Duplex } from 'stream';
import { serveDiffCopy, type SyncedFolder, type SyncResult } from './fileSync';
import { finishCall, GrpcStatus, metadataOf, serveUnary } from './grpcStream';
import { decodeStringField, encodeCredentials, encodeSecret, encodeServing } from './sessionMessages';

export interface SessionOptions {
  /** A raw stream to the daemon (the connection's own dial: socket, TLS or SSH). */
  dial(): Promise<Duplex>;
  apiVersion: string;
  /** Shown by the daemon for the session: the context folder's name. */
  name: string;
  /** Which of the daemon's cached copies of the folders this build diffs against. */
  sharedKey: string;
  /** Folders by the names the Dockerfile frontend asks for: `context` and `dockerfile`. */
  folders: Record<string, SyncedFolder>;
  /** The value of a `RUN --mount=type=secret,id=…`; undefined when there is none. */
  secret?(id: string): Promise<Uint8Array | undefined>;
  /** Registry credentials for a FROM image's registry host; undefined means anonymous. */
  credentials?(host: string): Promise<{ username: string; secret: string } | undefined>;
}

export interface BuildSession {
  readonly id: string;
  /** Context entries the daemon listed, and files and bytes it asked for, over all its FileSync calls. */
  sent(): { entries: number; files: number; bytes: number };
  close(): void;
}

/** The session's services; dockerd calls only what is advertised, and each method on its own header line. */
const METHODS = {
  health: '/grpc.health.v1.Health/Check',
  diffCopy: '/moby.filesync.v1.FileSync/DiffCopy',
  secret: '/moby.buildkit.secrets.v1.Secrets/GetSecret',
  credentials: '/moby.filesync.v1.Auth/Credentials',
  fetchToken: '/moby.filesync.v1.Auth/FetchToken',
  tokenAuthority: '/moby.filesync.v1.Auth/GetTokenAuthority',
  verifyTokenAuthority: '/moby.filesync.v1.Auth/VerifyTokenAuthority',
};

/** The session refused: the engine has no BuildKit sessions, so the classic builder is the way. */
export class SessionRefusedError extends Error {
  constructor(readonly status: string) {
    super(`The engine refused a BuildKit session (${status}).`);
    this.name = 'SessionRefusedError';
  }
}

/** Writes the HTTP/1.1 upgrade on the raw stream and resolves once the daemon switched it to HTTP/2. */
function upgrade(socket: Duplex, apiVersion: string, headers: [string, string][]): Promise<void> {
  const lines = [`POST /v${apiVersion}/session HTTP/1.1`, 'Host: docker', 'Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 0'];
  socket.write([...lines, ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n');
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      socket.pause();
      const statusLine = head.subarray(0, end).toString('latin1').split('\r\n')[0];
      if (!/^HTTP\/1\.[01] 101/.test(statusLine)) {
        reject(new SessionRefusedError(statusLine));
        return;
      }
      // What follows the blank line is already the daemon's HTTP/2 preface.
      const rest = head.subarray(end + 4);
      if (rest.length) {
        socket.unshift(rest);
      }
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', fail);
  });
}

/**
 * Opens a BuildKit session on the host: `POST /session` upgraded to h2c, after which the daemon is
 * the gRPC client and we serve the build's files, secrets and registry credentials. It lives for
 * one build; the daemon checks its health every second and drops it after a missed answer.
 */
export async function openBuildSession(opts: SessionOptions): Promise<BuildSession> {
  const id = crypto.randomBytes(16).toString('hex');
  const socket = await opts.dial();
  const methods = [
    METHODS.health,
    METHODS.diffCopy,
    METHODS.secret,
    METHODS.credentials,
    METHODS.fetchToken,
    METHODS.tokenAuthority,
    METHODS.verifyTokenAuthority,
  ];
  try {
    await upgrade(socket, opts.apiVersion, [
      ['X-Docker-Expose-Session-Uuid', id],
      ['X-Docker-Expose-Session-Name', opts.name],
      ['X-Docker-Expose-Session-Sharedkey', opts.sharedKey],
      ...methods.map((m): [string, string] => ['X-Docker-Expose-Session-Grpc-Method', m]),
    ]);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const h2 = http2.performServerHandshake(socket);
  const syncs: SyncResult[] = [];
  h2.on('error', () => undefined);
  h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders?: string[]) => {
    stream.on('error', () => undefined);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    const method = headers[':path'];
    switch (method) {
      case METHODS.health:
        serveUnary(stream, async () => ({ body: encodeServing() }));
        break;
      case METHODS.diffCopy:
        void serveDiffCopy(stream, opts.folders, metadataOf(rawHeaders ?? [])).then(
          (r) => {
            syncs.push(r);
            finishCall(stream, r.status, r.message);
          },
          (err: Error) => finishCall(stream, GrpcStatus.unknown, err.message),
        );
        break;
      case METHODS.secret:
        serveUnary(stream, async (request) => {
          const secretId = decodeStringField(request, 1);
          const value = await opts.secret?.(secretId);
          return value ? { body: encodeSecret(value) } : { status: GrpcStatus.notFound, message: `secret ${secretId} not found` };
        });
        break;
      case METHODS.credentials:
        serveUnary(stream, async (request) => {
          const found = await opts.credentials?.(decodeStringField(request, 1));
          return { body: encodeCredentials(found?.username ?? '', found?.secret ?? '') };
        });
        break;
      default:
        // The token-authority calls too: without them the daemon falls back to Credentials.
        serveUnary(stream, async () => ({ status: GrpcStatus.unimplemented, message: `${method} is not served` }));
    }
  });
  return {
    id,
    sent: () =>
      syncs.reduce((sum, s) => ({ entries: sum.entries + s.entries, files: sum.files + s.files, bytes: sum.bytes + s.bytes }), {
        entries: 0,
        files: 0,
        bytes: 0,
      }),
    close: () => {
      // Not h2.close(): it waits for the daemon's streams to end, and a session the daemon already
      // dropped never ends them.
      h2.destroy();
      socket.destroy();
    },
  };
}
