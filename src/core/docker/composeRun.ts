import { spawn } from 'child_process';
import { BuildFailedError, hostBuilder, type BuildOptions, type BuildResult } from './buildImage';
import type { BuildTarget } from './buildkit/buildKitBuild';
import { composeBuilds, imageNameSeparator } from './composeBuilds';

// Running the Compose tool, loaded with the connection layer (vendor.ts) on first use.

/** How to run Docker Compose here: the CLI plugin (`docker compose`) or the standalone `docker-compose`. */
export interface ComposeTool {
  command: string;
  args: string[];
  version: string;
}

/** Variables that would point Compose somewhere other than the host we forward it to. */
const CONNECTION_VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS'];

export class ComposeError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(message);
    this.name = 'ComposeError';
  }
}

/** One service's image did not build; Compose was not started, so the project runs as before. */
export class ServiceBuildError extends BuildFailedError {
  constructor(
    readonly service: string,
    cause: BuildFailedError,
  ) {
    super(`Service ${service}: ${cause.message}`, cause.failedStep, cause.log);
    this.name = 'ServiceBuildError';
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', () => resolve({ code: null, stdout: '' }));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** The plugin first, as `docker compose` is what Docker documents today; undefined when neither is installed. */
export async function findComposeTool(env: NodeJS.ProcessEnv = process.env): Promise<ComposeTool | undefined> {
  for (const [command, args] of [
    ['docker', ['compose']],
    ['docker-compose', []],
  ] as const) {
    const probe = await run(command, [...args, 'version', '--short'], env);
    if (probe.code === 0) {
      return { command, args: [...args], version: probe.stdout.trim() };
    }
  }
  return undefined;
}

export interface ComposeRun {
  files: string[];
  cwd: string;
  project: string;
  /** DOCKER_HOST for the tool, e.g. a forwarder's socket. */
  dockerHost: string;
  onOutput: (text: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-n).join('\n');
}

/**
 * Runs `compose -f … -p … <args>`; rejects with the tool's last lines of output when it fails.
 * Resolves with what it printed on stdout, which goes to `onOutput` unless captured.
 */
export function runCompose(tool: ComposeTool, args: string[], r: ComposeRun, opts: { captureStdout?: boolean } = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...(r.env ?? process.env) };
  for (const name of CONNECTION_VARIABLES) {
    delete env[name];
  }
  env.DOCKER_HOST = r.dockerHost;
  const argv = [...tool.args, ...r.files.flatMap((f) => ['-f', f]), '-p', r.project, ...args];
  const shown = [tool.command, ...tool.args, args[0]].join(' ');
  return new Promise((resolve, reject) => {
    let output = '';
    let stdout = '';
    const child = spawn(tool.command, argv, { cwd: r.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      const text = d.toString();
      output += text;
      r.onOutput(text);
    };
    child.stdout.on('data', opts.captureStdout ? (d: Buffer) => (stdout += d.toString()) : onData);
    child.stderr.on('data', onData);
    const abort = () => child.kill('SIGTERM');
    r.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => reject(new ComposeError(`${shown} could not start: ${err.message}`, null, output)));
    child.on('close', (code) => {
      r.signal?.removeEventListener('abort', abort);
      if (code === 0) {
        resolve(stdout);
      } else if (r.signal?.aborted) {
        reject(new ComposeError(`${shown} was cancelled.`, code, output));
      } else {
        reject(new ComposeError(`${shown} failed (exit ${code}):\n${lastLines(output, 8)}`, code, output));
      }
    });
  });
}

export interface ComposeUpRun extends ComposeRun {
  /** The host's own connection: the services' images are built through it, as Deploy builds. */
  target: BuildTarget;
  /** This installation's build id (see BuildOptions.clientId). */
  clientId?: string;
  /** The service and step building now ("web: [2/5] RUN npm ci"), for a progress notification. */
  onStep?: (text: string) => void;
  /** Logins for the registries of the services' `FROM` images, as Deploy's build gets them. */
  credentials?: BuildOptions['credentials'];
}

export interface ServiceBuild {
  service: string;
  tag: string;
  result: BuildResult;
}

/**
 * Compose Up with the images built the way Deploy builds them: each service with a `build:` is
 * built on the host through BuildKit (the classic builder only where the engine lacks it), under
 * the name Compose looks for, and only once every image is built does `up --no-build` start
 * anything. A failed or cancelled build leaves the running project as it was.
 */
export async function composeUp(tool: ComposeTool, r: ComposeUpRun): Promise<{ builds: ServiceBuild[] }> {
  // Compose resolves its own files (merges, variables, relative paths); its stdout may hold
  // interpolated secrets, so it is read, not shown.
  const resolved = await runCompose(tool, ['config'], r, { captureStdout: true });
  const planned = composeBuilds(resolved, {
    project: r.project,
    projectDir: r.cwd,
    separator: imageNameSeparator(tool.version, r.env ?? process.env),
  });
  const build = hostBuilder(r.target, r.onOutput);
  const builds: ServiceBuild[] = [];
  for (const b of planned) {
    r.onOutput(`Building service ${b.service} as ${b.tag}\n`);
    try {
      const { service, ...options } = b;
      const result = await build({
        ...options,
        signal: r.signal,
        clientId: r.clientId,
        credentials: r.credentials,
        onStep: (step) => r.onStep?.(`${b.service}: ${step}`),
      });
      builds.push({ service, tag: b.tag, result });
    } catch (err) {
      throw err instanceof BuildFailedError ? new ServiceBuildError(b.service, err) : err;
    }
  }
  // --remove-orphans drops services deleted from the file.
  await runCompose(tool, ['up', '-d', '--no-build', '--remove-orphans'], r);
  return { builds };
}
