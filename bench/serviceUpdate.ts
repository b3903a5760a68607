/**
 * A rolling image update of a 3-replica service on a real 3-node swarm, from the request to every
 * task running the new image: the product's updateServiceImage against `docker service update
 * --image` (which waits for convergence too), on the same service, taking turns in the same run.
 * Both roll the same UpdateConfig (parallelism 1, no delay, 1 s monitor); the images are busybox
 * tagged anew on every node, since nothing can be pulled here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createSwarm } from '../src/core/swarm/createSwarm';
import { updateServiceImage } from '../src/core/swarm/serviceUpdate';
import { BASE_IMAGE, RUNNER_PID_FILE } from '../test/support/engines';
import { startSwarmHosts } from '../test/support/swarmCluster';
import { dockerCli } from '../test/support/testEnv';

export interface ServiceUpdateResult {
  replicas: number;
  rounds: number;
  oursMs: number;
  cliMs: number;
}

const ROUNDS = 3;
const REPLICAS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function measureServiceUpdate(): Promise<ServiceUpdateResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-svc-');
  // Marked like a test run's root, so a bench killed half way has its namespaces removed by the next run.
  fs.writeFileSync(path.join(dir, RUNNER_PID_FILE), `${process.pid}\n`);
  const cluster = await startSwarmHosts(path.join(dir, 'swarm-bench'), 3);
  try {
    const { Dockerode } = await import('../src/core/docker/vendor');
    const direct = cluster.hosts.map((h) => new Dockerode({ socketPath: h.daemon.socketPath }));
    await createSwarm({
      manager: { name: 'n1', docker: direct[0], advertiseAddress: cluster.hosts[0].address },
      workers: cluster.hosts.slice(1).map((h, i) => ({ name: h.name, docker: direct[i + 1], advertiseAddress: h.address })),
    });
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
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
