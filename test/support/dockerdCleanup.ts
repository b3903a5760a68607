/** Removes what a (possibly crashed) test dockerd leaves behind: processes and mounts. */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isAlive, listProcesses, run, signal, terminate, waitForExit } from './processes';

/**
 * Lazily unmounts everything mounted at or below `dir`, deepest first. dockerd leaves its
 * data-root bind mount behind even after a clean shutdown, and a crashed one leaves overlay
 * and netns mounts: all of them would make removing the directory fail.
 */
export async function unmountUnder(dir: string): Promise<void> {
  let info: string;
  try {
    info = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => Boolean(p))
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const p of [...new Set(points)]) {
    try {
      await run('umount', ['-l', p]);
    } catch {
      // already gone with its parent
    }
  }
}

/**
 * Kills whatever a dockerd in `dir` may have left: containerd and shims (their command lines
 * name the exec root), and container processes (their cgroup names a container id of this
 * daemon). Needed after a crash, and as a safety net after a clean stop.
 */
export async function sweepDaemonLeftovers(dir: string, extraPids: number[] = []): Promise<void> {
  let ids: string[] = [];
  try {
    ids = (await fsp.readdir(path.join(dir, 'data', 'containers'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    // no containers ever
  }
  const procs = listProcesses().filter((p) => p.pid !== process.pid && p.state !== 'Z');
  const byCmdline = procs.filter((p) => p.cmdline.includes(dir + '/')).map((p) => p.pid);
  const inContainers: number[] = [];
  if (ids.length > 0) {
    for (const p of procs) {
      try {
        const cg = fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8');
        if (ids.some((id) => cg.includes(id))) {
          inContainers.push(p.pid);
        }
      } catch {
        // exited meanwhile
      }
    }
  }
  // Container processes first: a container's init outlives its killed shim (it is reparented
  // to init), so shims going first would orphan the containers.
  if (inContainers.length > 0) {
    signal(inContainers, 'SIGKILL');
    await waitForExit(inContainers, 5000);
  }
  const rest = [...new Set([...byCmdline, ...extraPids])].filter(isAlive);
  if (rest.length > 0) {
    await terminate(rest, 5000);
  }
}
