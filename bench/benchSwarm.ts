/**
 * A real 3-node swarm for one benchmark: the test harness's hosts (a dockerd per network
 * namespace), made a swarm by the product's createSwarm, each reached on its own socket.
 */
import * as fs from 'fs';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { createSwarm, type CreatedSwarm } from '../src/core/swarm/createSwarm';
import { RUNNER_PID_FILE } from '../test/support/engines';
import { startSwarmHosts, type SwarmHosts } from '../test/support/swarmCluster';

export interface BenchSwarm {
  cluster: SwarmHosts;
  /** Each node's daemon on its socket, the manager first. */
  direct: Dockerode[];
  created: CreatedSwarm;
}

export async function withBenchSwarm<T>(name: string, measure: (swarm: BenchSwarm) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(`/tmp/doa-bench-${name}-`);
  // Marked like a test run's root, so a bench killed half way has its namespaces removed by the next run.
  fs.writeFileSync(path.join(dir, RUNNER_PID_FILE), `${process.pid}\n`);
  const cluster = await startSwarmHosts(path.join(dir, 'swarm-bench'), 3);
  try {
    const { Dockerode } = await import('../src/core/docker/vendor');
    const direct = cluster.hosts.map((h) => new Dockerode({ socketPath: h.daemon.socketPath }));
    const created = await createSwarm({
      manager: { name: 'n1', docker: direct[0], advertiseAddress: cluster.hosts[0].address },
      workers: cluster.hosts.slice(1).map((h, i) => ({ name: h.name, docker: direct[i + 1], advertiseAddress: h.address })),
    });
    return await measure({ cluster, direct, created });
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
