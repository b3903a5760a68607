import type { ServerHttp2Stream } from 'http2';

/**
 * gRPC over one HTTP/2 stream, the server side: length-prefixed messages, status trailers and the
 * call's metadata. Written on Node's http2 rather than @grpc/grpc-js because grpc-js joins repeated
 * metadata values with ", " (the daemon sends one `exclude-patterns` field per .dockerignore line),
 * which no split can undo for names that contain ", ".
 */

export const GrpcStatus = { ok: 0, unknown: 2, notFound: 5, unimplemented: 12 } as const;

/** Metadata values by lower-case key, every repeated field kept apart. */
export type Metadata = Map<string, string[]>;

/**
 * The call's metadata from the stream's raw header list (Node's header object would join repeated
 * fields). buildkit 0.12 and later percent-encode a key's values when one is not ASCII, and say so
 * in `<key>-encoded`.
 */
export function metadataOf(rawHeaders: string[]): Metadata {
  const md: Metadata = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i].toLowerCase();
    if (!key.startsWith(':')) {
      md.set(key, [...(md.get(key) ?? []), rawHeaders[i + 1]]);
    }
  }
  for (const [key, values] of md) {
    const flag = md.get(`${key}-encoded`)?.[0];
    if (flag === '1' || flag === 'true') {
      md.set(
        key,
        values.map((v) => decodeURIComponent(v.replace(/\+/g, ' '))),
      );
    }
  }
  return md;
}

/** Calls `onMessage` with each message the peer sends on the stream. */
export function readMessages(stream: ServerHttp2Stream, onMessage: (message: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) {
        break;
      }
      // The daemon never compresses session calls (no grpc-encoding is advertised to it).
      const message = pending.subarray(5, 5 + length);
      pending = pending.subarray(5 + length);
      onMessage(message);
    }
  });
}

/**
 * Writes messages in one go, waiting while HTTP/2 flow control holds the stream back. One write
 * for many small messages matters: each write that fills the stream's buffer costs a wait for
 * drain, and a listing of 10,000 files is 10,000 messages.
 */
export function writeMessage(stream: ServerHttp2Stream, ...bodies: Uint8Array[]): Promise<void> {
  if (stream.destroyed || stream.closed) {
    return Promise.resolve();
  }
  const framed = bodies.flatMap((body) => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(body.length, 1);
    return [head, body];
  });
  if (stream.write(Buffer.concat(framed))) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Ends the call with its status (and message, percent-encoded as gRPC wants). */
export function finishCall(stream: ServerHttp2Stream, status: number, message?: string): void {
  if (stream.destroyed || stream.closed) {
    return;
  }
  stream.once('wantTrailers', () => {
    stream.sendTrailers({ 'grpc-status': String(status), ...(message ? { 'grpc-message': encodeURIComponent(message) } : {}) });
  });
  stream.end();
}

/** A unary call: the one request message in, one answer (or a status) out. */
export function serveUnary(
  stream: ServerHttp2Stream,
  handle: (request: Buffer) => Promise<{ body?: Uint8Array; status?: number; message?: string }>,
): void {
  let request: Buffer = Buffer.alloc(0);
  readMessages(stream, (m) => (request = m));
  stream.on('end', () => {
    handle(request).then(
      async (answer) => {
        if (answer.body) {
          await writeMessage(stream, answer.body);
        }
        finishCall(stream, answer.status ?? GrpcStatus.ok, answer.message);
      },
      (err: Error) => finishCall(stream, GrpcStatus.unknown, err.message),
    );
  });
}
