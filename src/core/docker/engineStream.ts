import type Dockerode from 'dockerode';

/** What every Engine progress stream (build, push, load) may carry besides its own fields. */
export interface EngineStreamMessage {
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Reads an Engine progress stream to its end, handing each message on, and returns the error the
 * engine reported in the stream, if any: a build, push or load that fails part-way still answers
 * 200, and says so only in a message.
 */
export function followEngineStream<M extends EngineStreamMessage>(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onMessage: (message: M) => void,
): Promise<string | undefined> {
  let failure: string | undefined;
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(failure)),
      (message: M) => {
        if (message.error || message.errorDetail) {
          failure = message.errorDetail?.message ?? message.error;
        }
        onMessage(message);
      },
    );
  });
}
