/**
 * Deploying a compose file as a stack on a real 3-node swarm, until every replica runs: through the
 * product, and through `docker stack deploy -c` on the same swarm in the same run. Both are given
 * the same file; the CLI is told `--resolve-image never` because the product does not pin digests
 * and no registry is reachable here.
 */
import * as fs from 'fs';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { deployStackFile } from '../src/core/swarm/stackDeploy';
import { removeStack } from '../src/core/swarm/swarmApi';
import { STACK_LABEL } from '../src/core/swarm/swarmModel';
import { dockerCli } from '../test/support/testEnv';
import { withBenchSwarm } from './benchSwarm';
import { median } from './median';

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
  return withBenchSwarm('stack', async ({ cluster, direct }) => {
    const file = path.join(cluster.dir, 'compose.yaml');
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
  });
}
