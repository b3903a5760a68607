/** A private bridge interface per test daemon (so containers get an IP and `-p` works). */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { run } from './processes';

export const BRIDGE_FILE = 'bridge';

/**
 * Creates a bridge with a free 172.31.x.0/24 for one daemon. A bridge of its own (instead of
 * docker0 + --bip) cannot collide with a system Docker's docker0 or with another test daemon.
 */
export async function createBridge(dir: string): Promise<string> {
  const name = 'doa' + randomBytes(3).toString('hex');
  const [addrs, routes] = await Promise.all([run('ip', ['-o', '-4', 'addr', 'show']), run('ip', ['-o', '-4', 'route', 'show'])]);
  const used = addrs.stdout + routes.stdout;
  let third: number | undefined;
  for (let x = 250; x >= 200; x--) {
    if (!used.includes(`172.31.${x}.`)) {
      third = x;
      break;
    }
  }
  if (third === undefined) {
    throw new Error('no free 172.31.200-250.0/24 subnet for a test bridge');
  }
  await fsp.writeFile(path.join(dir, BRIDGE_FILE), name);
  await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `172.31.${third}.1/24`, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
  return name;
}

export async function deleteBridge(dir: string): Promise<void> {
  const file = path.join(dir, BRIDGE_FILE);
  let name: string;
  try {
    name = (await fsp.readFile(file, 'utf8')).trim();
  } catch {
    return;
  }
  if (/^doa[0-9a-f]{6}$/.test(name)) {
    await run('ip', ['link', 'delete', name]).catch(() => undefined);
  }
  await fsp.rm(file, { force: true });
}
