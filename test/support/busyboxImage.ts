/** The base image of the tests, built from the host's busybox-static (no registry is reachable). */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from './processes';

const BUSYBOX_APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'sleep',
  'httpd',
  'wget',
  'id',
  'ps',
  'top',
  'env',
  'hostname',
  'true',
  'false',
  // A few more so tests can write small shell scripts without rebuilding the image.
  'mkdir',
  'rm',
  'cp',
  'mv',
  'ln',
  'touch',
  'chmod',
  'grep',
  'sed',
  'head',
  'tail',
  'wc',
  'kill',
  'nc',
  'date',
  'uname',
  'printf',
  'test',
  '[',
];

export const BASE_IMAGE = 'local/busybox:1';

/** Imports a busybox-static image as `tag` into the daemon at `socketPath` (no registry is reachable). */
export async function importBusybox(socketPath: string, tag = BASE_IMAGE): Promise<void> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) {
    throw new Error('busybox not found: run `bash scripts/ensure-test-deps.sh` (busybox-static)');
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'doa-rootfs-'));
  try {
    const root = path.join(tmp, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'root']) {
      await fsp.mkdir(path.join(root, d), { recursive: true });
    }
    await fsp.chmod(path.join(root, 'tmp'), 0o1777);
    await fsp.copyFile(busybox, path.join(root, 'bin', 'busybox'));
    await fsp.chmod(path.join(root, 'bin', 'busybox'), 0o755);
    for (const a of BUSYBOX_APPLETS) {
      await fsp.symlink('busybox', path.join(root, 'bin', a));
    }
    await fsp.writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await fsp.writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\n');
    await run('bash', [
      '-o',
      'pipefail',
      '-c',
      'tar --numeric-owner --owner=0 --group=0 -C "$1" -c . | docker -H "$2" import --change \'CMD ["sh"]\' - "$3"',
      'import',
      root,
      `unix://${socketPath}`,
      tag,
    ]);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
