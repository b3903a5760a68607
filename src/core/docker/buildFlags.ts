/**
 * The `docker build` flags both builders take, as the Engine API's `POST /build` query: the
 * classic builder reads them itself, and the daemon hands them to BuildKit as frontend options.
 */
export interface BuildFlags {
  noCache?: boolean;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** The stage of a multi-stage Dockerfile to build (`--target`). */
  target?: string;
  /** `--label`: labels on the built image. */
  labels?: Record<string, string>;
  /** `--network` for RUN steps: `default`, `host` or `none` (BuildKit takes no others). */
  networkMode?: string;
  /** `--add-host` entries, `name:address`. */
  extraHosts?: string[];
  /** `--pull`: fetch the FROM images even when the host has them. */
  pull?: boolean;
}

export function buildQuery(f: BuildFlags): Record<string, unknown> {
  return {
    ...(f.noCache ? { nocache: '1' } : {}),
    ...(f.buildArgs ? { buildargs: f.buildArgs } : {}),
    ...(f.target ? { target: f.target } : {}),
    ...(f.labels && Object.keys(f.labels).length ? { labels: f.labels } : {}),
    ...(f.networkMode ? { networkmode: f.networkMode } : {}),
    // An array becomes one `extrahosts=` per entry, as the CLI sends them.
    ...(f.extraHosts?.length ? { extrahosts: f.extraHosts } : {}),
    ...(f.pull ? { pull: '1' } : {}),
  };
}
