import type Dockerode from 'dockerode';
import { followEngineStream, type EngineStreamMessage } from './engineStream';
import { formatBytes } from './presentation';
import { describeRegistryError, type RegistryAuth } from './registryAuth';

interface PushMessage extends EngineStreamMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { Digest?: string };
}

export interface LayerState {
  status: string;
  current?: number;
  total?: number;
}

/** Per-layer state of a push, from the engine's progress stream, and a one-line summary of it. */
export class PushProgress {
  readonly layers = new Map<string, LayerState>();

  /** Returns true when the message was about a layer. */
  update(msg: PushMessage): boolean {
    // Status lines without a layer (e.g. "The push refers to repository …", "latest: digest: …") are not layers.
    if (!msg.id || !msg.status || /^(The push refers to|\S+: digest:)/.test(msg.status) || msg.id.includes(':')) {
      return false;
    }
    const detail = msg.progressDetail ?? {};
    const before = this.layers.get(msg.id);
    this.layers.set(msg.id, {
      status: msg.status,
      current: detail.current ?? (msg.status === 'Pushing' ? before?.current : undefined),
      total: detail.total ?? before?.total,
    });
    return true;
  }

  get done(): number {
    return [...this.layers.values()].filter((l) => /^(Pushed|Layer already exists|Mounted from)/.test(l.status)).length;
  }

  summary(): string {
    const sent = [...this.layers.values()].reduce((sum, l) => sum + (l.current ?? 0), 0);
    const pushing = [...this.layers.values()].filter((l) => l.status === 'Pushing');
    const bytes = pushing.length ? `, ${formatBytes(sent)} sent` : '';
    return `${this.done}/${this.layers.size} layers${bytes}`;
  }
}

function splitReference(reference: string): { repo: string; tag: string } {
  const at = reference.lastIndexOf(':');
  return at > reference.lastIndexOf('/') ? { repo: reference.slice(0, at), tag: reference.slice(at + 1) } : { repo: reference, tag: 'latest' };
}

/** The image ID a reference names on the engine, or undefined when it names none. */
async function imageIdOf(docker: Dockerode, reference: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(reference).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Tags `source` as `target` on the engine and pushes it, reporting each layer's progress. The tag is
 * always pointed at the source, even when `target` already exists (say from an earlier push of an
 * older build): pushing whatever the tag happened to name would send a stale image as a success.
 * If the push fails, the tag goes back to the image it named before (or away, if this call added
 * it), so a failed push leaves the engine as it was; the source image is never touched.
 */
export async function pushImage(
  docker: Dockerode,
  opts: { source: string; target: string; registry: string; auth?: RegistryAuth; signal?: AbortSignal },
  onProgress: (progress: PushProgress) => void,
): Promise<{ digest?: string }> {
  const { repo, tag } = splitReference(opts.target);
  const retagged = opts.source !== opts.target;
  const targetBefore = retagged ? await imageIdOf(docker, opts.target) : undefined;
  if (retagged) {
    await docker.getImage(opts.source).tag({ repo, tag });
  }
  try {
    const stream = (await docker.getImage(repo).push({ tag, authconfig: opts.auth, abortSignal: opts.signal } as object)) as NodeJS.ReadableStream;
    const progress = new PushProgress();
    let digest: string | undefined;
    const failure = await followEngineStream<PushMessage>(docker, stream, (msg) => {
      if (msg.aux?.Digest) {
        digest = msg.aux.Digest;
      } else if (!msg.error && !msg.errorDetail && progress.update(msg)) {
        onProgress(progress);
      }
    });
    if (failure) {
      throw describeRegistryError(failure, opts.registry);
    }
    return { digest };
  } catch (err) {
    if (retagged) {
      await restoreTag(docker, opts.target, targetBefore).catch(() => undefined);
    }
    throw err;
  }
}

async function restoreTag(docker: Dockerode, target: string, imageBefore: string | undefined): Promise<void> {
  if (imageBefore) {
    const { repo, tag } = splitReference(target);
    await docker.getImage(imageBefore).tag({ repo, tag });
  } else {
    await docker.getImage(target).remove({ noprune: true });
  }
}
