/**
 * A local IPv4 address that is not loopback, for servers that must look remote to dockerd: it
 * treats 127.0.0.0/8 registries as insecure and BuildKit pulls from them over plain HTTP, where an
 * Azure Container Registry is verified HTTPS. The address (198.18.0.0/15, reserved for benchmark
 * networks, so no real host has it) goes on `lo` for this run only; runs in other worktrees pick
 * their own. A run killed before `remove` leaves one /32 on `lo`, which routes nowhere else.
 */
import { randomInt } from 'node:crypto';
import { run } from './processes';

export interface LocalAddress {
  address: string;
  remove(): Promise<void>;
}

export async function addLocalAddress(): Promise<LocalAddress> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (stdout.includes(` ${address}/`)) {
      continue;
    }
    await run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
    return {
      address,
      remove: () =>
        run('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']).then(
          () => undefined,
          () => undefined,
        ),
    };
  }
  throw new Error('no free 198.18.x.y address for a local registry');
}
