/**
 * Deploying a compose file as a stack on a real 3-node swarm, until every replica runs: through the
 * product, and through `docker stack deploy -c` on the same swarm in the same run. Both are given
 * the same file; the CLI is told `--resolve-image never` because the product does not pin digests
 * and no registry is reachable here.
 */
import * as fs from 'fs';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { createSwarm } from '../src/core/swarm/createSwarm';
import { deployStackFile } from '../src/core/swarm/stackDeploy';
import { removeStack } from '../src/core/swarm/swarmApi';
import { STACK_LABEL } from '../src/core/swarm/swarmModel';
import { RUNNER_PID_FILE } from '../test/support/engines';
import { startSwarmHosts } from '../test/support/swarmCluster';
import { dockerCli } from '../test/support/testEnv';

export interface StackDeployResult {
  replicas: number;
  samples: number;
  oursMs: number;
  cliMs: number;
}

const SAMPLES = 3;
const REPLICAS = 3;

const COMPOSE = `services:
  web:
    image: local/busybox:1
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    networks: [back]
    deploy:
      replicas: ${REPLICAS}
      endpoint_mode: dnsrr
networks:
  back:
    driver: overlay
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function allRunning(docker: Dockerode, stack: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${stack}`], 'desired-state': ['running'] });
  for (;;) {
    const tasks = (await docker.listTasks({ filters } as object)) as Array<{ Status?: { State?: string } }>;
    if (tasks.filter((t) => t.Status?.State === 'running').length >= REPLICAS) {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function measureStackDeploy(): Promise<StackDeployResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-stack-');
  fs.writeFileSync(path.join(dir, RUNNER_PID_FILE), `${process.pid}\n`);
  const cluster = await startSwarmHosts(path.join(dir, 'swarm-bench'), 3);
  try {
    const { Dockerode } = await import('../src/core/docker/vendor');
    const direct = cluster.hosts.map((h) => new Dockerode({ socketPath: h.daemon.socketPath }));
    await createSwarm({
      manager: { name: 'n1', docker: direct[0], advertiseAddress: cluster.hosts[0].address },
      workers: cluster.hosts.slice(1).map((h, i) => ({ name: h.name, docker: direct[i + 1], advertiseAddress: h.address })),
    });
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(file, COMPOSE);
    const ours: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      let t0 = performance.now();
      await deployStackFile(direct[0], file, `ours${i}`, { env: {} });
      await allRunning(direct[0], `ours${i}`);
      ours.push(performance.now() - t0);
      t0 = performance.now();
      await dockerCli(['stack', 'deploy', '--resolve-image', 'never', '-c', file, `cli${i}`], cluster.hosts[0].daemon.socketPath);
      await allRunning(direct[0], `cli${i}`);
      cli.push(performance.now() - t0);
      await removeStack(direct[0], `ours${i}`);
      await removeStack(direct[0], `cli${i}`);
    }
    return { replicas: REPLICAS, samples: SAMPLES, oursMs: median(ours), cliMs: median(cli) };
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
