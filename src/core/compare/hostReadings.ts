/** Reads what the live column needs from a Docker engine: inspect, stats, version, and the throwaway start. */
import type Dockerode from 'dockerode';
import type { ContainerInfo, ContainerInspectInfo, ImageInfo } from 'dockerode';
import { containerName } from '../docker/presentation';
import { formatBytes, memoryInUse, startFromTimestamps } from './measurements';
import type { ContainerFacts, EngineFacts, ImageFact, MemoryFact } from './hostFigures';
import type { ContainerSecurity } from './protocol';

/** Enough to judge a host without flooding a remote daemon with calls. */
const MAX_INSPECTED = 40;
const MAX_STATS = 12;

export function imageFacts(images: readonly ImageInfo[]): ImageFact[] {
  return images.map((i) => ({ tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), size: i.Size }));
}

const SOCKET = /(^|\/)docker\.sock$/;

export function securityOf(inspect: ContainerInspectInfo): ContainerSecurity {
  const user = (inspect.Config?.User ?? '').split(':')[0];
  return {
    name: inspect.Name.replace(/^\//, ''),
    root: user === '' || user === 'root' || user === '0',
    privileged: !!inspect.HostConfig?.Privileged,
    hostNetwork: inspect.HostConfig?.NetworkMode === 'host',
    dockerSocket:
      (inspect.Mounts ?? []).some((m) => SOCKET.test(m.Source ?? '')) || (inspect.HostConfig?.Binds ?? []).some((b) => SOCKET.test(b.split(':')[0])),
    addedCapabilities: inspect.HostConfig?.CapAdd ?? [],
  };
}

/** The most recently created containers first, as `docker ps -a` lists them. */
export async function readContainers(docker: Dockerode, containers: readonly ContainerInfo[]): Promise<ContainerFacts[]> {
  const recent = [...containers].sort((a, b) => b.Created - a.Created).slice(0, MAX_INSPECTED);
  const inspected = await Promise.all(
    recent.map((c) =>
      docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => undefined),
    ),
  );
  return inspected
    .filter((i): i is ContainerInspectInfo => !!i)
    .map((i) => ({
      name: i.Name.replace(/^\//, ''),
      running: i.State.Running,
      security: securityOf(i),
      startMs: startFromTimestamps(i.Created, i.State.StartedAt),
    }));
}

export async function readMemory(docker: Dockerode, containers: readonly ContainerInfo[]): Promise<MemoryFact[]> {
  const running = containers.filter((c) => c.State === 'running').slice(0, MAX_STATS);
  const read = await Promise.all(
    running.map(async (c) => {
      try {
        // one-shot: one sample at once instead of waiting a second for a second sample.
        const stats = await docker.getContainer(c.Id).stats({ stream: false, 'one-shot': true } as { stream: false });
        const bytes = memoryInUse(stats as never);
        return bytes === undefined ? undefined : { name: containerName(c), bytes };
      } catch {
        return undefined;
      }
    }),
  );
  return read.filter((m): m is MemoryFact => !!m);
}

export async function readEngine(docker: Dockerode): Promise<EngineFacts> {
  const v = await docker.version();
  return { os: v.Os, arch: v.Arch };
}

/** The smallest tagged image already on the host: nothing is pulled for the measurement. */
export function probeImage(images: readonly ImageInfo[]): { image: string; size: string } | undefined {
  const tagged = images.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>')).sort((a, b) => a.Size - b.Size);
  const pick = tagged[0];
  return pick ? { image: pick.RepoTags!.find((t) => t !== '<none>:<none>')!, size: formatBytes(pick.Size) } : undefined;
}

export const PROBE_LABEL = 'dockerOnAzure.startProbe';

/**
 * `docker run` in two calls, timed: create, then start (which returns once the process runs).
 * The container has no network and is removed whatever happens.
 */
export async function measureContainerStart(docker: Dockerode, image: string, now: () => number = () => performance.now()): Promise<number> {
  const began = now();
  const container = await docker.createContainer({
    Image: image,
    Labels: { [PROBE_LABEL]: 'true' },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    return now() - began;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
