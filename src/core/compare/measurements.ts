/** Turning raw numbers into the short figures the page shows. Pure: no clocks, no I/O. */

export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  if (s < 10) {
    return `${s.toFixed(1)} s`;
  }
  if (s < 120) {
    return `${Math.round(s)} s`;
  }
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as `docker images` prints them. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** "130×", "2.5×"; undefined when either side is missing or not positive. */
export function ratio(larger: number | undefined, smaller: number | undefined): string | undefined {
  if (!larger || !smaller || larger <= 0 || smaller <= 0 || !Number.isFinite(larger / smaller)) {
    return undefined;
  }
  const r = larger / smaller;
  if (r >= 10) {
    return `${Math.round(r).toLocaleString('en-US')}×`;
  }
  return `${r.toFixed(1).replace(/\.0$/, '')}×`;
}

/** "130× faster", "about as fast", or "3× slower" when the container side lost. */
export function compareSpeed(containerMs: number, vmMs: number): string {
  if (containerMs <= 0 || vmMs <= 0) {
    return '';
  }
  const faster = ratio(vmMs, containerMs)!;
  if (vmMs / containerMs >= 1.1) {
    return `${faster} faster`;
  }
  if (containerMs / vmMs >= 1.1) {
    return `${ratio(containerMs, vmMs)} slower`;
  }
  return 'about as fast';
}

export function median(values: readonly number[]): number | undefined {
  if (!values.length) {
    return undefined;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Docker writes this for a container that never started. */
const NEVER = /^0001-01-01/;

/**
 * Create-to-start time of a container, from its inspect timestamps. Only containers started right
 * after being created (as `docker run` does) say anything about start-up; a container created and
 * started by hand later, or restarted since, would measure the wait instead.
 */
export function startFromTimestamps(created: string | undefined, startedAt: string | undefined, maxGapMs = 30_000): number | undefined {
  if (!created || !startedAt || NEVER.test(startedAt)) {
    return undefined;
  }
  const ms = Date.parse(startedAt) - Date.parse(created);
  return Number.isFinite(ms) && ms > 0 && ms <= maxGapMs ? ms : undefined;
}

/** Memory as `docker stats` reports it: usage without the page cache the kernel can drop. */
export function memoryInUse(stats: { memory_stats?: { usage?: number; stats?: Record<string, number> } }): number | undefined {
  const m = stats.memory_stats;
  if (!m?.usage) {
    return undefined;
  }
  const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? m.stats?.cache ?? 0;
  return Math.max(0, m.usage - cache);
}

/** The registry part of an image reference: docker.io when none is named. */
export function registryOf(repoTag: string): string {
  const first = repoTag.split('/')[0];
  return repoTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}
