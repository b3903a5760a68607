import * as path from 'path';
import { parse } from 'yaml';
import type { BuildFlags } from './buildFlags';

/** One service's image, to be built on the host before Compose starts the project. */
export interface ComposeBuild extends BuildFlags {
  service: string;
  /** The name Compose looks for with `up --no-build`: the service's `image:`, or the project's default. */
  tag: string;
  contextDir: string;
  dockerfile: string;
}

/** The `build:` keys the extension's builder honours; any other would be silently dropped, so it is refused. */
const SUPPORTED_BUILD_KEYS = new Set(['context', 'dockerfile', 'args', 'target', 'labels', 'network', 'extra_hosts', 'no_cache', 'pull']);

/**
 * The separator in a built service's default image name: `_` up to Compose 2.9 (and with
 * `--compatibility`), `-` from 2.10 (docker/compose#9687).
 */
export function imageNameSeparator(composeVersion: string, env: NodeJS.ProcessEnv): '_' | '-' {
  const [major, minor] = composeVersion.replace(/^v/, '').split('.').map(Number);
  if (major < 2 || (major === 2 && minor < 10)) {
    return '_';
  }
  return /^(1|true)$/i.test(env.COMPOSE_COMPATIBILITY ?? '') ? '_' : '-';
}

/** A map, or a list of `key=value` (or `key:value`, Compose's older extra_hosts form) entries. */
function keyValues(value: unknown, separator: RegExp): [string, unknown][] {
  if (!value || typeof value !== 'object') {
    return [];
  }
  return Array.isArray(value) ? value.map((a) => String(a).split(separator, 2) as [string, string | undefined]) : Object.entries(value);
}

function buildArgs(args: unknown): Record<string, string> | undefined {
  if (!args || typeof args !== 'object') {
    return undefined;
  }
  const entries = keyValues(args, /=(.*)/s);
  // A name without a value is left to the Dockerfile's ARG default, as `docker build` leaves it.
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
}

/** The options beyond context, Dockerfile, args and target, only those the file sets. */
function buildFlags(build: Record<string, unknown>): BuildFlags {
  const flags: BuildFlags = {};
  const labels = keyValues(build.labels, /=(.*)/s);
  if (labels.length) {
    flags.labels = Object.fromEntries(labels.map(([k, v]) => [k, String(v ?? '')]));
  }
  if (typeof build.network === 'string' && build.network) {
    flags.networkMode = build.network;
  }
  const hosts = keyValues(build.extra_hosts, /[=:](.*)/s);
  if (hosts.length) {
    flags.extraHosts = hosts.map(([name, address]) => `${name}:${String(address ?? '')}`);
  }
  if (build.no_cache === true) {
    flags.noCache = true;
  }
  if (build.pull === true) {
    flags.pull = true;
  }
  return flags;
}

/**
 * The images to build, from what `compose config` printed: the project as Compose resolved it
 * (every file merged, variables interpolated, contexts made absolute), so the extension reads no
 * compose file rules of its own. A Dockerfile path is relative to its context and may leave it.
 */
export function composeBuilds(resolvedConfig: string, opts: { project: string; projectDir: string; separator: '_' | '-' }): ComposeBuild[] {
  const config = parse(resolvedConfig) as { services?: Record<string, { build?: unknown; image?: unknown }> } | null;
  const builds: ComposeBuild[] = [];
  for (const [service, def] of Object.entries(config?.services ?? {})) {
    if (def?.build === undefined || def.build === null) {
      continue;
    }
    const build = (typeof def.build === 'string' ? { context: def.build } : def.build) as Record<string, unknown>;
    const unsupported = Object.keys(build).filter((k) => !SUPPORTED_BUILD_KEYS.has(k) && !k.startsWith('x-'));
    if (unsupported.length) {
      throw new Error(
        `Service ${service}: the build option${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} not supported by Docker on Azure's builder yet; only context, dockerfile, args, target, labels, network, extra_hosts, no_cache and pull are. Nothing was built or started.`,
      );
    }
    const context = String(build.context ?? '.');
    if (/^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(context)) {
      throw new Error(
        `Service ${service}: the build context ${context} is not a local folder; Docker on Azure builds from folders on this machine. Nothing was built or started.`,
      );
    }
    const contextDir = path.resolve(opts.projectDir, context);
    builds.push({
      service,
      tag: typeof def.image === 'string' && def.image ? def.image : `${opts.project}${opts.separator}${service}`,
      contextDir,
      dockerfile: path.resolve(contextDir, String(build.dockerfile ?? 'Dockerfile')),
      buildArgs: buildArgs(build.args),
      target: typeof build.target === 'string' && build.target ? build.target : undefined,
      ...buildFlags(build),
    });
  }
  return builds;
}
