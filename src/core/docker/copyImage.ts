import { Transform } from 'node:stream';
import type Dockerode from 'dockerode';
import { errorText } from './errors';
import { followEngineStream, type EngineStreamMessage } from './engineStream';

interface LoadMessage extends EngineStreamMessage {
  stream?: string;
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
    throw new Error(
      (err as { statusCode?: number }).statusCode === 404
        ? `The image ${reference} is not on the source host any more.`
        : `Could not read ${reference} from the source host: ${errorText(err)}`,
    );
  }
  let bytes = 0;
  const counter = new Transform({
    // The default 16 KB would pause the source after nearly every socket read; layers are megabytes.
    highWaterMark: 4 * 1024 * 1024,
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
    // Quiet: the engine's own per-layer load progress would only repeat the byte count kept here, and costs it time.
    const answer = (await target.loadImage(counter, { quiet: true, abortSignal: signal } as object)) as NodeJS.ReadableStream;
    const loaded: string[] = [];
    const failure = await followEngineStream<LoadMessage>(target, answer, (msg) => {
      if (msg.stream?.trim()) {
        loaded.push(msg.stream.trim());
      }
    });
    if (failure) {
      throw new Error(`The target engine could not load ${reference}: ${failure}`);
    }
    return { loaded, bytes };
  } catch (err) {
    // The engine discards a load whose upload broke off, so nothing half-copied stays behind.
    throw signal?.aborted ? new Error(`The copy of ${reference} was cancelled; the target host kept none of it.`) : err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
