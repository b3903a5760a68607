import * as fs from 'fs';
import { Dockerode } from '../src/core/docker/vendor';
import { pushImage } from '../src/core/docker/pushImage';
import { importBusybox, run, startDockerd } from '../test/support/engines';
import { startRegistry } from '../test/support/registry';
import { buildPayloadImage, median, timed } from './imageTransfer';

export interface PushResult {
  megabytes: number;
  rounds: number;
  oursMs: number;
  cliMs: number;
}

/**
 * Our push against `docker push`, same daemon and registry. Every push sends an image of its own
 * to a repository of its own, so neither side finds its layers already in the registry.
 */
export async function measurePush(megabytes = 48, rounds = 3): Promise<PushResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-push-');
  const daemon = await startDockerd({ dir: `${dir}/d` });
  const registry = await startRegistry();
  try {
    await importBusybox(daemon.socketPath);
    const docker = new Dockerode({ socketPath: daemon.socketPath });
    const ours: number[] = [];
    const cli: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [mine, theirs] = [`bench/ours-${r}:1`, `bench/cli-${r}:1`];
      await buildPayloadImage(docker, dir, mine, megabytes);
      await buildPayloadImage(docker, dir, theirs, megabytes);
      const pushOurs = async () => {
        const target = `${registry.address}/ours-${r}/app:1`;
        ours.push(await timed(() => pushImage(docker, { source: mine, target, registry: registry.address }, () => undefined)));
      };
      const pushCli = async () => {
        const target = `${registry.address}/cli-${r}/app:1`;
        const cliArgs = ['-H', daemon.host];
        cli.push(
          await timed(async () => {
            await run('docker', [...cliArgs, 'tag', theirs, target]);
            await run('docker', [...cliArgs, 'push', '--quiet', target]);
          }),
        );
      };
      // Alternate which goes first, so neither always meets a cold or a warm disk.
      if (r % 2 === 0) {
        await pushOurs();
        await pushCli();
      } else {
        await pushCli();
        await pushOurs();
      }
    }
    return { megabytes, rounds, oursMs: median(ours), cliMs: median(cli) };
  } finally {
    await registry.stop();
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
