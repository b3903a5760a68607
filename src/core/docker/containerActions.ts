import type Dockerode from 'dockerode';
import type { Readable } from 'stream';
import { demultiplexed, type FollowedLog } from './logStream';

export type ContainerAction = 'start' | 'stop' | 'restart';

/**
 * Runs a lifecycle action; a container already in the wanted state counts as success (Docker
 * answers 304), so multi-select over mixed states does what the user meant.
 */
export async function runContainerAction(docker: Dockerode, id: string, action: ContainerAction, signal?: AbortSignal): Promise<void> {
  const container = docker.getContainer(id);
  const opts = { abortSignal: signal } as object;
  try {
    if (action === 'start') {
      await container.start(opts);
    } else if (action === 'stop') {
      await container.stop(opts);
    } else {
      await container.restart(opts);
    }
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 304) {
      throw err;
    }
  }
}

export async function removeContainer(docker: Dockerode, id: string, force: boolean): Promise<void> {
  await docker.getContainer(id).remove({ force, v: false });
}

export async function removeImage(docker: Dockerode, id: string, force = false): Promise<void> {
  await docker.getImage(id).remove({ force });
}

export async function inspectContainer(docker: Dockerode, id: string): Promise<unknown> {
  return docker.getContainer(id).inspect();
}

export async function inspectImage(docker: Dockerode, id: string): Promise<unknown> {
  return docker.getImage(id).inspect();
}

/**
 * The container's log as one text stream, following new output. Non-TTY containers multiplex
 * stdout and stderr into frames; those are demultiplexed so the user sees plain text.
 */
export async function followLogs(docker: Dockerode, id: string, tail = 500): Promise<FollowedLog> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const raw = (await container.logs({ follow: true, stdout: true, stderr: true, tail })) as unknown as Readable;
  return { output: info.Config.Tty ? raw : await demultiplexed(docker, raw), stop: () => raw.destroy() };
}

export interface ShellSession {
  stream: NodeJS.ReadWriteStream & { destroy(): void };
  resize(columns: number, rows: number): Promise<void>;
  /** Resolves with the shell's exit code once the stream has closed. */
  exitCode(): Promise<number | undefined>;
}

/** Prefer bash, fall back to sh: images differ and the user should not have to know which. */
export const DEFAULT_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

/**
 * `signal` aborted before the exec starts means it never starts: the engine does not end an
 * exec whose client left, so a shell started for a closed terminal would run on.
 */
export async function openShell(
  docker: Dockerode,
  id: string,
  columns: number,
  rows: number,
  signal?: AbortSignal,
  command = DEFAULT_SHELL,
): Promise<ShellSession> {
  const exec = await docker.getContainer(id).exec({
    Cmd: command,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: [`COLUMNS=${columns}`, `LINES=${rows}`, 'TERM=xterm-256color'],
  });
  signal?.throwIfAborted();
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as ShellSession['stream'];
  return {
    stream,
    resize: async (w, h) => {
      await exec.resize({ w, h });
    },
    exitCode: async () => (await exec.inspect()).ExitCode ?? undefined,
  };
}
