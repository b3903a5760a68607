import type Dockerode from 'dockerode';
import { prepareBuildContext } from './buildContext';
import { followEngineStream, type EngineStreamMessage } from './engineStream';

export class BuildFailedError extends Error {
  constructor(
    message: string,
    /** The step that failed (e.g. "Step 3/5 : RUN make"), when the log said. */
    readonly failedStep: string | undefined,
    /** The build's own output up to the failure. */
    readonly log: string,
  ) {
    super(message);
    this.name = 'BuildFailedError';
  }
}

interface BuildMessage extends EngineStreamMessage {
  stream?: string;
  aux?: { ID?: string };
}

/**
 * Builds an image on a host from a local context (classic builder), streaming the log as it comes.
 * A failed build throws with the failing step and the log; nothing on the host changes but the
 * build cache.
 */
export async function buildImage(
  docker: Dockerode,
  opts: { contextDir: string; dockerfile: string; tag: string; noCache?: boolean; signal?: AbortSignal },
  onLog: (text: string) => void,
): Promise<{ imageId?: string; sentEntries: number }> {
  const context = await prepareBuildContext(opts.contextDir, opts.dockerfile);
  const stream = (await docker.buildImage(context.tar(), {
    t: opts.tag,
    dockerfile: context.dockerfile,
    rm: true,
    nocache: opts.noCache ?? false,
    abortSignal: opts.signal,
  } as object)) as NodeJS.ReadableStream;
  let log = '';
  let lastStep: string | undefined;
  let imageId: string | undefined;
  const failure = await followEngineStream<BuildMessage>(docker, stream, (msg) => {
    if (msg.stream) {
      log += msg.stream;
      const step = /^Step \d+\/\d+ : .*/m.exec(msg.stream);
      if (step) {
        lastStep = step[0];
      }
      onLog(msg.stream);
    }
    if (msg.aux?.ID) {
      imageId = msg.aux.ID;
    }
    if (msg.error || msg.errorDetail) {
      onLog(`${msg.errorDetail?.message ?? msg.error}\n`);
    }
  });
  if (failure) {
    throw new BuildFailedError(`The build failed${lastStep ? ` at ${lastStep}` : ''}: ${failure}`, lastStep, log);
  }
  return { imageId, sentEntries: context.entries.length };
}
