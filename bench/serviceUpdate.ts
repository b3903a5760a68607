/**
 * A rolling image update of a 3-replica service on a real 3-node swarm, from the request to every
 * task running the new image: the product's updateServiceImage against `docker service update
 * --image` (which waits for convergence too), on the same service, taking turns in the same run.
 * Both roll the same UpdateConfig (parallelism 1, no delay, 1 s monitor); the images are busybox
 * tagged anew on every node, since nothing can be pulled here.
 */
import { updateServiceImage } from '../src/core/swarm/serviceUpdate';
import { BASE_IMAGE } from '../test/support/engines';
import { withBenchSwarm } from './benchSwarm';
import { median } from './median';
import { dockerCli } from '../test/support/testEnv';

export interface ServiceUpdateResult {
  replicas: number;
  rounds: number;
  oursMs: number;
  cliMs: number;
}

const ROUNDS = 3;
const REPLICAS = 3;

export async function measureServiceUpdate(): Promise<ServiceUpdateResult> {
  return withBenchSwarm('svc', async ({ cluster, direct }) => {
    const tags = Array.from({ length: ROUNDS * 2 }, (_, i) => `local/busybox:bench-${i}`);
    for (const h of cluster.hosts) {
      for (const tag of tags) {
        await dockerCli(['tag', BASE_IMAGE, tag], h.daemon.socketPath);
      }
    }
    const cli = (args: string[]) => dockerCli(args, cluster.hosts[0].daemon.socketPath);
    // prettier-ignore
    await cli([
      'service', 'create', '--quiet', '--name', 'bench-update', '--replicas', String(REPLICAS), '--endpoint-mode', 'dnsrr',
      '--stop-grace-period', '1s', '--update-parallelism', '1', '--update-delay', '0s', '--update-monitor', '1s',
      BASE_IMAGE, 'sleep', '3600',
    ]);
    const id = (await cli(['service', 'inspect', 'bench-update', '--format', '{{.ID}}'])).trim();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      await updateServiceImage(direct[0], id, tags[2 * i]);
      ours.push(performance.now() - t0);
      t0 = performance.now();
      await cli(['service', 'update', '--quiet', '--no-resolve-image', '--image', tags[2 * i + 1], 'bench-update']);
      theirs.push(performance.now() - t0);
    }
    return { replicas: REPLICAS, rounds: ROUNDS, oursMs: median(ours), cliMs: median(theirs) };
  });
}
