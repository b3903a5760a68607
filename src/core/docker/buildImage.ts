import * as crypto from 'crypto';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { buildQuery, type BuildFlags } from './buildFlags';
import { prepareBuildContext } from './buildContext';
import { followEngineStream, type EngineStreamMessage } from './engineStream';
import { formatBytes } from './presentation';
import { registryOf } from './registryAuth';
import type { BuildTarget } from './buildkit/buildKitBuild';
import type { SessionOptions } from './buildkit/buildSession';
import { buildKit } from './buildkit/lazyBuildKit';

export class BuildFailedError extends Error {
  constructor(
    message: string,
    /** The step that failed ("[3/5] RUN make"; "Step 3/5 : RUN make" from the classic builder), when known. */
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

export interface BuildOptions extends BuildFlags {
  contextDir: string;
  dockerfile: string;
  tag: string;
  signal?: AbortSignal;
  /**
   * This installation's stable id: with the context folder it makes the session's shared key, so
   * the host diffs a rebuild against the files it got last time and only changes travel.
   */
  clientId?: string;
  /** Values for `RUN --mount=type=secret`, asked for by id while the build runs; BuildKit only. */
  secret?: SessionOptions['secret'];
  /** Logins for the registries of `FROM` images, asked for by host while the build resolves them; BuildKit only. */
  credentials?: SessionOptions['credentials'];
  /** The step running now ("[2/5] RUN npm ci"), for a progress notification; BuildKit only. */
  onStep?: (name: string) => void;
}

export interface BuildResult {
  imageId?: string;
  builder: 'buildkit' | 'classic';
  /** BuildKit only: context entries listed, and the files and bytes the host asked for. */
  sent?: { entries: number; files: number; bytes: number };
  /** "4 steps, 2 cached, 3.1s", for a notification. */
  summary: string;
}

/** Without a stored id, builds in one run of the extension still share the host's cached context. */
const PROCESS_CLIENT_ID = crypto.randomBytes(16).toString('hex');

/** The Docker CLI's rule: sha256 of "<client id>:<absolute context folder>". */
export function sessionSharedKey(clientId: string, contextDir: string): string {
  return crypto
    .createHash('sha256')
    .update(`${clientId}:${path.resolve(contextDir)}`)
    .digest('hex');
}

/** What the host asked for: after the first build, only files that changed since the last one. */
function describeTransfer(sent: { entries: number; files: number; bytes: number }): string {
  return sent.files === 0
    ? 'Sent no files: the host still had every file of the context from its last build.'
    : `Sent ${sent.files} file${sent.files === 1 ? '' : 's'} (${formatBytes(sent.bytes)}) that the host did not have from its last build.`;
}

/** BuildKit sessions need API 1.39 (Engine 18.09) and a Linux engine. */
export function buildKitUnavailable(version: { ApiVersion?: string; Os?: string }): string | undefined {
  const [major, minor] = (version.ApiVersion ?? '0.0').split('.').map(Number);
  if (version.Os && version.Os !== 'linux') {
    return `its engine runs ${version.Os} containers`;
  }
  if (major < 1 || (major === 1 && minor < 39)) {
    return `its engine's API ${version.ApiVersion ?? '(unknown)'} is older than 1.39`;
  }
  return undefined;
}

/** Builds images on one host, each with `build(opts)`. */
export type HostBuilder = (opts: BuildOptions) => Promise<BuildResult>;

/**
 * Builds images on a host from local contexts: through BuildKit when the engine has it, with the
 * classic builder only where it does not. The choice is made once per builder, so the several
 * images of a Compose project say a fallback once in the output. A failed build throws with the
 * failing step and its output; nothing on the host changes but the build cache.
 */
export function hostBuilder(target: BuildTarget, onLog: (text: string) => void): HostBuilder {
  let engine: { ApiVersion?: string; Os?: string } | undefined;
  /** Why this host builds with the classic builder; undefined while BuildKit serves. */
  let classicBecause: string | undefined;
  let saidClassic = false;
  return async (opts) => {
    if (!engine) {
      engine = (await target.docker.version()) as { ApiVersion?: string; Os?: string };
      classicBecause = buildKitUnavailable(engine);
    }
    if (!classicBecause) {
      const built = await tryBuildKit(target, engine.ApiVersion as string, opts, onLog);
      if (!('refused' in built)) {
        return built;
      }
      classicBecause = built.refused;
    }
    if (!saidClassic) {
      saidClassic = true;
      onLog(`BuildKit is not available on this host (${classicBecause}); building with the classic builder.\n`);
    }
    const classic = await buildClassic(target.docker, opts, onLog);
    return { imageId: classic.imageId, builder: 'classic', summary: `${classic.sentEntries} context entries sent` };
  };
}

/** One image on a host: see hostBuilder. */
export function buildImage(target: BuildTarget, opts: BuildOptions, onLog: (text: string) => void): Promise<BuildResult> {
  return hostBuilder(target, onLog)(opts);
}

/** A base image the registry would not let the host pull: say how the build gets a login. */
function pullAdvice(step: string | undefined, message: string): string {
  const image = step && /^\[internal\] load metadata for (\S+)$/.exec(step)?.[1];
  if (!image || !/\b401\b|unauthorized|denied/i.test(message)) {
    return '';
  }
  const registry = registryOf(image);
  return `. ${registry} did not let the host pull ${image}: push an image there once with Push Image… so its login is kept (for an Azure Container Registry, sign in to Azure), then deploy again.`;
}

async function tryBuildKit(
  target: BuildTarget,
  apiVersion: string,
  opts: BuildOptions,
  onLog: (text: string) => void,
): Promise<BuildResult | { refused: string }> {
  const { buildWithBuildKit, SessionRefusedError } = buildKit();
  let log = '';
  const line = (text: string) => {
    log += `${text}\n`;
    onLog(`${text}\n`);
  };
  try {
    const result = await buildWithBuildKit(
      target,
      { ...opts, apiVersion, sharedKey: sessionSharedKey(opts.clientId ?? PROCESS_CLIENT_ID, opts.contextDir) },
      line,
    );
    if (result.failure) {
      const { step, tail, message } = result.failure;
      if (step) {
        onLog(`------\n > ${step}:\n${tail.map((l) => `${l}\n`).join('')}------\n`);
      }
      throw new BuildFailedError(`The build failed${step ? ` at ${step}` : ''}: ${message}${pullAdvice(step, message)}`, step, log);
    }
    if (result.refused) {
      return { refused: result.refused };
    }
    onLog(`${describeTransfer(result.sent)}\n`);
    return { imageId: result.imageId, builder: 'buildkit', sent: result.sent, summary: result.summary };
  } catch (err) {
    if (err instanceof SessionRefusedError) {
      return { refused: err.message };
    }
    throw err;
  }
}

/**
 * The classic builder: the whole context as one tar on every build, and no `RUN --mount`.
 */
export async function buildClassic(
  docker: Dockerode,
  opts: Pick<BuildOptions, 'contextDir' | 'dockerfile' | 'tag' | 'signal' | keyof BuildFlags>,
  onLog: (text: string) => void,
): Promise<{ imageId?: string; sentEntries: number }> {
  const context = await prepareBuildContext(opts.contextDir, opts.dockerfile);
  const stream = (await docker.buildImage(context.tar(), {
    t: opts.tag,
    dockerfile: context.dockerfile,
    rm: true,
    ...buildQuery(opts),
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
