import * as fs from 'fs';
import { Dockerode } from '../src/core/docker/vendor';
import { copyImage } from '../src/core/docker/copyImage';
import { importBusybox, run, startDockerd } from '../test/support/engines';
import { buildPayloadImage, median, timed } from './imageTransfer';

export interface CopyResult {
  megabytes: number;
  rounds: number;
  bytes: number;
  oursMs: number;
  cliMs: number;
}

/**
 * Our copy (one engine's save stream piped into the other's load) against
 * `docker save | docker -H other load`, between the same two daemons, the image removed from the
 * target after each copy so every copy loads every layer.
 */
export async function measureCopy(megabytes = 64, rounds = 3): Promise<CopyResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-copy-');
  const [a, b] = await Promise.all([startDockerd({ dir: `${dir}/a` }), startDockerd({ dir: `${dir}/b` })]);
  try {
    await importBusybox(a.socketPath);
    const source = new Dockerode({ socketPath: a.socketPath });
    const target = new Dockerode({ socketPath: b.socketPath });
    const image = 'bench/copy:1';
    await buildPayloadImage(source, dir, image, megabytes);
    const clear = () => run('docker', ['-H', b.host, 'image', 'rm', '-f', image]);
    const ours: number[] = [];
    const cli: number[] = [];
    let bytes = 0;
    const copyOurs = async () => {
      ours.push(await timed(async () => (bytes = (await copyImage(source, target, image, () => undefined)).bytes)));
      await clear();
    };
    const copyCli = async () => {
      cli.push(
        await timed(() => run('bash', ['-o', 'pipefail', '-c', 'docker -H "$1" save "$3" | docker -H "$2" load -q', 'copy', a.host, b.host, image])),
      );
      await clear();
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await copyOurs();
        await copyCli();
      } else {
        await copyCli();
        await copyOurs();
      }
    }
    return { megabytes, rounds, bytes, oursMs: median(ours), cliMs: median(cli) };
  } finally {
    await Promise.allSettled([a.stop(), b.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
