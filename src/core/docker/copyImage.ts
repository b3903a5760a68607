import { Transform } from 'node:stream';
import type Dockerode from 'dockerode';

interface LoadMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Moves an image from one engine to another without a registry or a temporary file: the source's
 * `docker save` stream is piped straight into the target's `docker load`, counting bytes as they
 * pass. Returns what the target said it loaded (e.g. "Loaded image: web:1").
 */
export async function copyImage(
  source: Dockerode,
  target: Dockerode,
  reference: string,
  onBytes: (transferred: number) => void,
  signal?: AbortSignal,
): Promise<{ loaded: string[]; bytes: number }> {
  signal?.throwIfAborted();
  let saved: NodeJS.ReadableStream & { destroy(err?: Error): void };
  try {
    saved = (await source.getImage(reference).get()) as typeof saved;
  } catch (err) {
    const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
    throw new Error(
      e.statusCode === 404
        ? `The image ${reference} is not on the source host any more.`
        : `Could not read ${reference} from the source host: ${e.json?.message ?? e.message}`,
    );
  }
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  // A failure reading the source must fail the upload too, or the target would wait for more.
  saved.on('error', (err: Error) => counter.destroy(err));
  const abort = () => saved.destroy(new Error('The copy was cancelled.'));
  signal?.addEventListener('abort', abort, { once: true });
  saved.pipe(counter);
  try {
    const answer = (await target.loadImage(counter, { abortSignal: signal } as object)) as NodeJS.ReadableStream;
    const loaded: string[] = [];
    let failure: string | undefined;
    await new Promise<void>((resolve, reject) => {
      target.modem.followProgress(
        answer,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (msg: LoadMessage) => {
          if (msg.error || msg.errorDetail) {
            failure = msg.errorDetail?.message ?? msg.error;
          } else if (msg.stream?.trim()) {
            loaded.push(msg.stream.trim());
          }
        },
      );
    });
    if (failure) {
      throw new Error(`The target engine could not load ${reference}: ${failure}`);
    }
    return { loaded, bytes };
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
