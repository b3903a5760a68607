/** Small process / command helpers: PATH for the tools, running commands, ports, pids and cleanup. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

// dockerd, sshd and ip live in sbin directories, which a non-login or non-root PATH may lack;
// dockerd also looks up docker-proxy, containerd and runc through PATH.
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const d of SYSTEM_PATH) {
    if (!dirs.includes(d)) {
      dirs.push(d);
    }
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirs.join(':'), ...extra };
  // A developer's own Docker settings must not redirect the CLI away from the test daemons.
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) {
    if (!(k in extra)) {
      delete env[k];
    }
  }
  return env;
}

/** Absolute path of an executable found on PATH (plus the sbin directories), or undefined. */
export function which(cmd: string): string | undefined {
  for (const d of (toolEnv().PATH ?? '').split(':')) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) {
        return p;
      }
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a command to completion; rejects with its stderr when it exits non-zero. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? toolEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) {
        resolve({ stdout, stderr });
      } else {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${how}\n${stderr.trim()}`));
      }
    });
    child.stdin.on('error', () => {
      /* the command may exit without reading its input */
    });
    child.stdin.end(opts.input);
  });
}

/**
 * Waits for every start, keeping in `into` each that succeeded (so the caller's cleanup can stop
 * it), then throws the first failure.
 */
export async function startEvery<T>(starts: Promise<T>[], into: T[]): Promise<void> {
  const settled = await Promise.allSettled(starts);
  for (const r of settled) {
    if (r.status === 'fulfilled') {
      into.push(r.value);
    }
  }
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    throw failed.reason;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may itself contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      // exited meanwhile
    }
    return { pid, state: rest[0], ppid: Number(rest[1]), cmdline };
  } catch {
    return undefined;
  }
}

export function listProcesses(): ProcInfo[] {
  const result: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const p = readProc(Number(name));
      if (p) {
        result.push(p);
      }
    }
  }
  return result;
}

// Zombies count as dead: their parent (often init, here a slow reaper) owns them now.
export function isAlive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

export function descendants(pid: number, procs = listProcesses()): number[] {
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of procs) {
      if (p.ppid === parent && !result.includes(p.pid)) {
        result.push(p.pid);
        queue.push(p.pid);
      }
    }
  }
  return result;
}

export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

export async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(100);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** SIGTERM, then SIGKILL whatever is still alive after `graceMs`. */
export async function terminate(pids: number[], graceMs: number): Promise<void> {
  const targets = pids.filter((p) => p > 1 && p !== process.pid);
  signal(targets, 'SIGTERM');
  const survivors = await waitForExit(targets, graceMs);
  if (survivors.length > 0) {
    signal(survivors, 'SIGKILL');
    const stuck = await waitForExit(survivors, 5000);
    if (stuck.length > 0) {
      throw new Error(`processes ${stuck.join(', ')} survived SIGKILL`);
    }
  }
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
