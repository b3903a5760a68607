/**
 * The live column: what was measured on one host, turned into one figure per comparison row.
 * Every input settles to a value or a reason, so a figure is either measured, still measuring, or
 * says why it cannot be — never blank.
 */
import type { TopicKey } from './comparisonFacts';
import { compareSpeed, formatBytes, formatDuration, median, ratio, registryOf } from './measurements';
import type { ContainerSecurity, Figure, Glance } from './protocol';

export type Settled<T> = { state: 'pending' } | { state: 'ok'; value: T } | { state: 'failed'; reason: string };

export interface AzureFacts {
  vmSize: string;
  vCpus?: number;
  memoryMb?: number;
  osDiskGb?: number;
  /** Why vCPU and memory are missing, when they are. */
  sizeReason?: string;
  /** Start request → running, as the extension saw it, most recent first. */
  startsMs: number[];
}

export interface EngineFacts {
  os: string;
  arch: string;
}

export interface ImageFact {
  tags: string[];
  size: number;
}

export interface ContainerFacts {
  name: string;
  running: boolean;
  security: ContainerSecurity;
  /** Create → start, when it started right after creation. */
  startMs?: number;
}

export interface MemoryFact {
  name: string;
  bytes: number;
}

export interface HostInputs {
  /** `undefined` value: the host is not an Azure VM. */
  azure: Settled<AzureFacts | undefined>;
  engine: Settled<EngineFacts>;
  images: Settled<ImageFact[]>;
  containers: Settled<ContainerFacts[]>;
  memory: Settled<MemoryFact[]>;
  /** The throwaway-container measurement, once the user asked for it. */
  probe?: Settled<{ image: string; ms: number }>;
}

export const PENDING = { state: 'pending' } as const;

export function pendingInputs(): HostInputs {
  return { azure: PENDING, engine: PENDING, images: PENDING, containers: PENDING, memory: PENDING };
}

const GIB = 1024 ** 3;
const MEASURING: Figure = { state: 'measuring' };
const value = (text: string, detail?: string): Figure => ({ state: 'value', text, detail });
const unavailable = (reason: string): Figure => ({ state: 'unavailable', reason });

type Side<T> = { value: T } | { reason: string } | 'pending';

function side<T, U>(s: Settled<T>, map: (v: T) => U | string): Side<U> {
  if (s.state === 'pending') {
    return 'pending';
  }
  if (s.state === 'failed') {
    return { reason: s.reason };
  }
  const mapped = map(s.value);
  return typeof mapped === 'string' ? { reason: mapped } : { value: mapped };
}

/** Either side measured: show it, with the other side's reason as detail; neither: both reasons. */
function pair<A, B>(
  a: Side<A>,
  b: Side<B>,
  both: (a: A, b: B) => Figure,
  onlyA: (a: A, whyNotB: string) => Figure,
  onlyB: (b: B, whyNotA: string) => Figure,
): Figure {
  if (a === 'pending' || b === 'pending') {
    return MEASURING;
  }
  if ('value' in a && 'value' in b) {
    return both(a.value, b.value);
  }
  if ('value' in a) {
    return onlyA(a.value, (b as { reason: string }).reason);
  }
  if ('value' in b) {
    return onlyB(b.value, a.reason);
  }
  return unavailable(`${a.reason} ${(b as { reason: string }).reason}`);
}

const notAzure = 'It is not an Azure VM, so there is no VM figure to set against it.';

function containerStart(inputs: HostInputs): Side<{ ms: number; how: string }> {
  if (inputs.probe?.state === 'ok') {
    return { value: { ms: inputs.probe.value.ms, how: `a throwaway container from ${inputs.probe.value.image}, created and started just now` } };
  }
  if (inputs.probe?.state === 'pending') {
    return 'pending';
  }
  return side(inputs.containers, (cs) => {
    const starts = cs.map((c) => c.startMs).filter((ms): ms is number => ms !== undefined);
    const m = median(starts);
    if (m === undefined) {
      const probeFailed = inputs.probe?.state === 'failed' ? ` The throwaway container failed: ${inputs.probe.reason}` : '';
      return `No container here was started right after it was created, so its timestamps say nothing about start-up; measure with a throwaway container instead.${probeFailed}`;
    }
    return { ms: m, how: `median create → start time of ${starts.length} container${starts.length === 1 ? '' : 's'} on this host` };
  });
}

function vmStart(inputs: HostInputs): Side<{ ms: number; count: number }> {
  return side(inputs.azure, (a) => {
    if (!a) {
      return notAzure;
    }
    const ms = a.startsMs[0];
    return ms === undefined
      ? 'The extension has not seen this VM start yet; use Start Host VM and the time from request to running is recorded.'
      : { ms, count: a.startsMs.length };
  });
}

function startup(inputs: HostInputs): Figure {
  return pair(
    containerStart(inputs),
    vmStart(inputs),
    (c, v) =>
      value(
        `container start ${formatDuration(c.ms)} vs VM start ${formatDuration(v.ms)}, ${compareSpeed(c.ms, v.ms)}`,
        `Container: ${c.how}. VM: the last start seen by the extension (request → running).`,
      ),
    (c, whyNotVm) => value(`container start ${formatDuration(c.ms)}`, `From ${c.how}. VM start: ${whyNotVm}`),
    (v, whyNotContainer) =>
      value(`VM start ${formatDuration(v.ms)}`, `Request → running, last seen by the extension. Container start: ${whyNotContainer}`),
  );
}

function imageSizes(inputs: HostInputs): Side<{ median: number; largest: number; smallest: number; count: number }> {
  return side(inputs.images, (images) => {
    const sizes = images.map((i) => i.size).filter((s) => s > 0);
    if (!sizes.length) {
      return 'There are no images on this host to measure.';
    }
    return { median: median(sizes)!, largest: Math.max(...sizes), smallest: Math.min(...sizes), count: sizes.length };
  });
}

function osDisk(inputs: HostInputs): Side<number> {
  return side(inputs.azure, (a) => (!a ? notAzure : a.osDiskGb ? a.osDiskGb : 'Azure did not report the size of the OS disk.'));
}

function disk(inputs: HostInputs): Figure {
  const imagesText = (i: { median: number; largest: number; count: number }) =>
    `median image ${formatBytes(i.median)} (largest ${formatBytes(i.largest)}, ${i.count} image${i.count === 1 ? '' : 's'})`;
  return pair(
    imageSizes(inputs),
    osDisk(inputs),
    (i, gb) =>
      value(
        `OS disk ${gb} GiB vs ${imagesText(i)}: the median image is ${ratio(gb * GIB, i.median)} smaller`,
        'Image sizes include layers shared with other images.',
      ),
    (i, whyNotDisk) => value(imagesText(i), `OS disk: ${whyNotDisk}`),
    (gb, whyNotImages) => value(`OS disk ${gb} GiB`, `Images: ${whyNotImages}`),
  );
}

function resources(inputs: HostInputs): Figure {
  const vm = side(inputs.azure, (a) => {
    if (!a) {
      return notAzure;
    }
    return a.vCpus && a.memoryMb
      ? { size: a.vmSize, vCpus: a.vCpus, memory: a.memoryMb * 1024 * 1024 }
      : `${a.vmSize}: ${a.sizeReason ?? 'Azure did not report its vCPUs and memory.'}`;
  });
  const mem = side(inputs.memory, (list) => {
    const bytes = list.map((m) => m.bytes);
    return bytes.length
      ? { median: median(bytes)!, smallest: Math.min(...bytes), largest: Math.max(...bytes), count: bytes.length }
      : 'No running containers to measure.';
  });
  const memText = (m: { median: number; smallest: number; largest: number; count: number }) =>
    m.count === 1
      ? `the running container uses ${formatBytes(m.median)}`
      : `running containers use ${formatBytes(m.smallest)}–${formatBytes(m.largest)} (median ${formatBytes(m.median)}, ${m.count} measured)`;
  const vmText = (v: { size: string; vCpus: number; memory: number }) => `VM ${v.size}: ${v.vCpus} vCPU, ${formatBytes(v.memory)} memory`;
  return pair(
    mem,
    vm,
    (m, v) =>
      value(
        `${vmText(v)}; ${memText(m)}, ${ratio(v.memory, m.median)} less than the VM`,
        'Container memory as docker stats counts it (without the page cache).',
      ),
    (m, whyNotVm) => value(memText(m), `VM: ${whyNotVm}`),
    (v, whyNotMem) => value(vmText(v), `Containers: ${whyNotMem}`),
  );
}

export function securitySummary(containers: readonly ContainerSecurity[]): string {
  if (!containers.length) {
    return 'No containers on this host to check.';
  }
  const count = (pred: (c: ContainerSecurity) => boolean) => containers.filter(pred).length;
  const parts = [
    [count((c) => c.root), count((c) => c.root) === 1 ? 'runs as root' : 'run as root'],
    [count((c) => c.privileged), 'privileged'],
    [count((c) => c.hostNetwork), "on the host's network"],
    [count((c) => c.dockerSocket), 'with the Docker socket mounted'],
    [count((c) => c.addedCapabilities.length > 0), 'with added capabilities'],
  ] as const;
  const found = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const of = `${containers.length} container${containers.length === 1 ? '' : 's'}`;
  return found.length
    ? `Of ${of}: ${found.join(', ')}`
    : `None of ${of} runs as root, privileged, on the host network, with the socket or extra capabilities`;
}

function isolation(inputs: HostInputs): Figure {
  const s = side(inputs.containers, (cs) => cs.map((c) => c.security));
  if (s === 'pending') {
    return MEASURING;
  }
  if ('reason' in s) {
    return unavailable(s.reason);
  }
  return value(securitySummary(s.value), 'See the security glance below for each container.');
}

function portability(inputs: HostInputs): Figure {
  return pair(
    side(inputs.engine, (e) => e),
    imageSizes(inputs),
    (e, i) =>
      value(
        `images here are for ${e.os}/${e.arch}, ${formatBytes(i.smallest)}–${formatBytes(i.largest)} each`,
        'They run on any host of the same OS family and CPU architecture.',
      ),
    (e, whyNotImages) => value(`images here are for ${e.os}/${e.arch}`, whyNotImages),
    (i, whyNotEngine) => value(`images of ${formatBytes(i.smallest)}–${formatBytes(i.largest)}`, `OS and architecture: ${whyNotEngine}`),
  );
}

function automation(inputs: HostInputs): Figure {
  const s = side(inputs.images, (images) => {
    const tags = images.flatMap((i) => i.tags);
    if (!tags.length) {
      return 'The images here have no repository tags, so there is no registry to show.';
    }
    const byRegistry = new Map<string, number>();
    for (const t of tags) {
      byRegistry.set(registryOf(t), (byRegistry.get(registryOf(t)) ?? 0) + 1);
    }
    return [...byRegistry.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  });
  if (s === 'pending') {
    return MEASURING;
  }
  if ('reason' in s) {
    return unavailable(s.reason);
  }
  const total = s.value.reduce((n, [, c]) => n + c, 0);
  return value(
    `${total} image tag${total === 1 ? '' : 's'} from ${s.value.map(([r, c]) => `${r} (${c})`).join(', ')}`,
    'A registry name in a tag is where the image is pushed and pulled.',
  );
}

export function figuresFor(inputs: HostInputs): Record<TopicKey, Figure> {
  return {
    isolation: isolation(inputs),
    disk: disk(inputs),
    startup: startup(inputs),
    resources: resources(inputs),
    portability: portability(inputs),
    automation: automation(inputs),
  };
}

export function glanceFor(inputs: HostInputs): Glance {
  const c = inputs.containers;
  return c.state === 'pending'
    ? { state: 'measuring' }
    : c.state === 'failed'
      ? { state: 'unavailable', reason: c.reason }
      : { state: 'value', containers: c.value.map((x) => x.security) };
}
