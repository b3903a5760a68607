/**
 * The Swarms tree on a real 3-node swarm: API calls and time to read a swarm and build its rows
 * (services with their tasks) for 10 services × 10 tasks and for 100 × 10, against reading each
 * service's tasks with a call of its own (as `docker service ps` per service does). The tasks are
 * real swarm tasks kept pending by a placement constraint no node meets, so a thousand of them
 * need no thousand containers on this machine.
 */
import type Dockerode from 'dockerode';
import { readSwarm } from '../src/core/swarm/swarmApi';
import { tasksOf } from '../src/core/swarm/swarmModel';
import { swarmServiceModel, swarmTaskModel } from '../src/core/swarm/swarmPresentation';
import { startEngineProxy } from '../test/support/engineProxy';
import { withBenchSwarm } from './benchSwarm';
import { median } from './median';

export interface SwarmListingRound {
  services: number;
  tasks: number;
  calls: number;
  ms: number;
  perServiceCalls: number;
  perServiceMs: number;
}

export interface SwarmListingResult {
  rounds: SwarmListingRound[];
  samples: number;
}

const SAMPLES = 5;

function renderRows(snapshot: Awaited<ReturnType<typeof readSwarm>>): number {
  const names = new Map(snapshot.nodes.map((n) => [n.id, n.hostname]));
  let rows = 0;
  for (const s of snapshot.services) {
    const row = swarmServiceModel(snapshot.clusterId, s);
    rows += 1 + tasksOf(snapshot, s.id).map((t) => swarmTaskModel(row.id, s.name, t, names.get(t.nodeId))).length;
  }
  return rows;
}

async function perService(docker: Dockerode): Promise<number> {
  const services = await docker.listServices();
  await docker.listNodes();
  const tasks = await Promise.all(services.map((s) => docker.listTasks({ filters: JSON.stringify({ service: [s.ID] }) } as object)));
  return tasks.flat().length;
}

async function addServices(docker: Dockerode, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, to - i) }, (_, j) =>
        docker.createService({
          Name: `bench-${i + j}`,
          TaskTemplate: {
            ContainerSpec: { Image: 'local/busybox:1', Command: ['sleep', '3600'] },
            Placement: { Constraints: ['node.labels.bench==never'] },
          },
          Mode: { Replicated: { Replicas: 10 } },
          EndpointSpec: { Mode: 'dnsrr' },
        } as never),
      ),
    );
  }
}

export async function measureSwarmListing(): Promise<SwarmListingResult> {
  return withBenchSwarm('swarm', async ({ cluster, direct, created }) => {
    const proxy = await startEngineProxy(cluster.hosts[0].daemon.socketPath);
    try {
      const { Dockerode } = await import('../src/core/docker/vendor');
      const viaProxy = new Dockerode({ host: '127.0.0.1', port: proxy.port, protocol: 'http' });
      const rounds: SwarmListingRound[] = [];
      let made = 0;
      for (const services of [10, 100]) {
        await addServices(direct[0], made, services);
        made = services;
        let tasks = 0;
        // The orchestrator makes the tasks a moment after each service.
        for (let tries = 0; tries < 100 && tasks < services * 10; tries++) {
          tasks = (await direct[0].listTasks()).length;
          await new Promise((r) => setTimeout(r, 200));
        }
        const times: number[] = [];
        const perServiceTimes: number[] = [];
        let calls = 0;
        let perServiceCalls = 0;
        for (let i = 0; i < SAMPLES; i++) {
          let before = proxy.requests.length;
          let t0 = performance.now();
          const snapshot = await readSwarm(viaProxy, created.clusterId);
          renderRows(snapshot);
          times.push(performance.now() - t0);
          calls = proxy.requests.length - before;
          tasks = snapshot.tasks.length;
          before = proxy.requests.length;
          t0 = performance.now();
          await perService(viaProxy);
          perServiceTimes.push(performance.now() - t0);
          perServiceCalls = proxy.requests.length - before;
        }
        rounds.push({ services, tasks, calls, ms: median(times), perServiceCalls, perServiceMs: median(perServiceTimes) });
      }
      return { rounds, samples: SAMPLES };
    } finally {
      await proxy.close();
    }
  });
}
