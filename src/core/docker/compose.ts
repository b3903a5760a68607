import { spawn } from 'child_process';
import type Dockerode from 'dockerode';

/** How to run Docker Compose here: the CLI plugin (`docker compose`) or the standalone `docker-compose`. */
export interface ComposeTool {
  command: string;
  args: string[];
  version: string;
}

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Files Compose itself looks for, and the names people give overrides (`compose.prod.yaml`). */
export const COMPOSE_FILE_PATTERN = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/i;

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

/** The project name Compose would derive from the folder, made explicit so Up and the tree agree. */
export function composeProjectName(folderName: string): string {
  const name = folderName
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'default';
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

/** Runs `compose -f … -p … <args>`; rejects with the tool's last lines of output when it fails. */
export function runCompose(tool: ComposeTool, args: string[], r: ComposeRun): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...(r.env ?? process.env) };
  for (const name of CONNECTION_VARIABLES) {
    delete env[name];
  }
  env.DOCKER_HOST = r.dockerHost;
  const argv = [...tool.args, ...r.files.flatMap((f) => ['-f', f]), '-p', r.project, ...args];
  const shown = [tool.command, ...tool.args, args[0]].join(' ');
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(tool.command, argv, { cwd: r.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      const text = d.toString();
      output += text;
      r.onOutput(text);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const abort = () => child.kill('SIGTERM');
    r.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => reject(new ComposeError(`${shown} could not start: ${err.message}`, null, output)));
    child.on('close', (code) => {
      r.signal?.removeEventListener('abort', abort);
      if (code === 0) {
        resolve();
      } else if (r.signal?.aborted) {
        reject(new ComposeError(`${shown} was cancelled.`, code, output));
      } else {
        reject(new ComposeError(`${shown} failed (exit ${code}):\n${lastLines(output, 8)}`, code, output));
      }
    });
  });
}

export function composeUp(tool: ComposeTool, r: ComposeRun): Promise<void> {
  // --build so a redeploy picks up source changes; --remove-orphans drops services deleted from the file.
  return runCompose(tool, ['up', '-d', '--build', '--remove-orphans'], r);
}

function notFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/**
 * What `compose down` does, through the Engine API: the project's containers and networks go, its
 * volumes and images stay. By label rather than through the tool, so a project can be taken down
 * from the tree without its compose file on this machine (started elsewhere, or the file moved).
 */
export async function composeDown(
  docker: Dockerode,
  project: string,
  onProgress: (text: string) => void,
): Promise<{ containers: number; networks: number }> {
  const filters = JSON.stringify({ label: [`${COMPOSE_PROJECT_LABEL}=${project}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      onProgress(`Removing ${name}`);
      const container = docker.getContainer(c.Id);
      try {
        // Stopped first, as compose does, so services get their stop signal and grace period.
        if (c.State === 'running') {
          await container.stop().catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 304) {
              throw err;
            }
          });
        }
        await container.remove({ force: true });
      } catch (err) {
        if (!notFound(err)) {
          throw err;
        }
      }
    }),
  );
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) {
    onProgress(`Removing network ${n.Name}`);
    try {
      await docker.getNetwork(n.Id).remove();
    } catch (err) {
      if (!notFound(err)) {
        throw err;
      }
    }
  }
  return { containers: containers.length, networks: networks.length };
}
