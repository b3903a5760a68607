/**
 * A pushed image as a replicated service: created when the swarm has no service of that name, its
 * image rolled out when it has one this extension made, and a stranger's left alone unless the
 * user says otherwise. The registry login travels as X-Registry-Auth, so nodes that never had the
 * image pull it; the swarm keeps it out of what inspect shows.
 */
import type Dockerode from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PortMapping } from '../docker/deployContainer';
import { DockerHostError } from '../docker/errors';
import { DEPLOYED_FROM_LABEL } from '../docker/presentation';
import { registryOf } from '../docker/registryAuth';
import { createService, inSwarm, registryAuthHeaders } from './swarmApi';
import { parseNode, taskName, withoutDigest, type SwarmTask } from './swarmModel';
import { nodeNames, tasksOfService, updateServiceImage, type FollowOptions } from './serviceUpdate';

export interface ServiceDeploySpec {
  name: string;
  /** The pushed reference, pinned by its digest where the push reported one, so every node runs the same build. */
  image: string;
  replicas: number;
  /** Published in host mode on the node each task runs on: no routing mesh is assumed. */
  ports: PortMapping[];
  /** Must carry DEPLOYED_FROM_LABEL: it is how a later deploy knows the service is ours. */
  labels: Record<string, string>;
}

export interface ServiceDeployOptions extends FollowOptions {
  /** A same-named service this extension did not make: only a yes lets its image be replaced. */
  confirmForeign(existing: { name: string; image: string }): Promise<boolean>;
}

export type ServiceDeployResult =
  { outcome: 'created' | 'updated'; service: string; running: number; nodes: string[] } | { outcome: 'unchanged' | 'declined'; service: string };

type Json = Record<string, unknown>;

interface RawService {
  ID: string;
  Spec?: { Name?: string; Labels?: Json; TaskTemplate?: { ContainerSpec?: { Image?: string } } };
}

/** Nodes that take new tasks: ready and active. A default for the replicas, so each node gets one. */
export async function schedulableNodes(docker: Dockerode): Promise<number> {
  const nodes = ((await inSwarm(() => docker.listNodes())) as unknown[]).map(parseNode);
  return nodes.filter((n) => n.status === 'ready' && n.availability === 'active').length;
}

function serviceSpec(spec: ServiceDeploySpec): Json {
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: { ContainerSpec: { Image: spec.image } },
    Mode: { Replicated: { Replicas: spec.replicas } },
    // A host-mode port is held by the old task until it stops, so a new one can only start after.
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'rollback' },
    RollbackConfig: { Parallelism: 1, Order: 'stop-first' },
    EndpointSpec: {
      Ports: spec.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.containerPort, PublishedPort: p.hostPort, PublishMode: 'host' })),
    },
  };
}

const PULL_FAILURE = /no such image|pull|manifest|unauthorized|denied|not found/i;

/** The first task that will not run, in one sentence that names its node and what to do. */
function notStarting(name: string, image: string, task: SwarmTask, node: string): DockerHostError {
  const error = task.error ?? task.message ?? task.state;
  const advice = PULL_FAILURE.test(error)
    ? `${node} could not pull ${withoutDigest(image)}: check that ${node} reaches ${registryOf(image)} and that the registry's credentials are valid`
    : 'fix the image, its command or its ports';
  return new DockerHostError(
    `Service ${name} did not start on ${node}: task ${taskName(name, task)} says "${error}"; ${advice}. The service stays and the swarm keeps retrying; remove it with Remove Service if you do not want it.`,
    'SWARM_TASK_FAILED',
    error,
  );
}

/** Two calls a poll (tasks, and nodes when a new one shows up), until every replica runs or one cannot. */
async function waitForReplicas(docker: Dockerode, serviceId: string, spec: ServiceDeploySpec, options: FollowOptions): Promise<string[]> {
  const { signal, pollMs = 250 } = options;
  let nodes = new Map<string, string>();
  const seen = new Map<string, string>();
  for (;;) {
    const tasks = await inSwarm(() => tasksOfService(docker, serviceId, signal));
    if (tasks.some((t) => t.nodeId && !nodes.has(t.nodeId))) {
      nodes = await inSwarm(() => nodeNames(docker, signal));
    }
    const nodeOf = (t: SwarmTask) => (t.nodeId ? (nodes.get(t.nodeId) ?? t.nodeId.slice(0, 12)) : 'no node yet');
    for (const t of tasks) {
      if (seen.get(t.id) !== t.state) {
        options.onTask?.({
          taskId: t.id,
          task: taskName(spec.name, t),
          node: nodeOf(t),
          image: t.image,
          from: seen.get(t.id),
          to: t.state,
          error: t.error,
        });
        seen.set(t.id, t.state);
      }
    }
    const broken = tasks.find((t) => ['failed', 'rejected'].includes(t.state) || (t.state === 'pending' && /no suitable node/i.test(t.error ?? '')));
    if (broken) {
      throw notStarting(spec.name, spec.image, broken, nodeOf(broken));
    }
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
    if (running.length === spec.replicas) {
      return running.map(nodeOf).sort();
    }
    await sleep(pollMs, undefined, { signal });
  }
}

async function runningNodes(docker: Dockerode, serviceId: string): Promise<string[]> {
  const [tasks, names] = await inSwarm(() => Promise.all([tasksOfService(docker, serviceId), nodeNames(docker)]));
  return tasks
    .filter((t) => t.desiredState === 'running' && t.state === 'running')
    .map((t) => names.get(t.nodeId) ?? t.nodeId.slice(0, 12))
    .sort();
}

/** The service of that name, if any, and whether this extension made it (a deploy asks before touching a stranger's). */
export async function serviceNamed(docker: Dockerode, name: string): Promise<{ id: string; ours: boolean; image: string } | undefined> {
  const services = (await inSwarm(() => docker.listServices({ filters: JSON.stringify({ name: [name] }) } as object))) as RawService[];
  const found = services.find((s) => s.Spec?.Name === name);
  return (
    found && {
      id: found.ID,
      ours: found.Spec?.Labels?.[DEPLOYED_FROM_LABEL] !== undefined,
      image: found.Spec?.TaskTemplate?.ContainerSpec?.Image ?? '',
    }
  );
}

export async function deployService(docker: Dockerode, spec: ServiceDeploySpec, options: ServiceDeployOptions): Promise<ServiceDeployResult> {
  const headers = registryAuthHeaders(options.registryAuth);
  const existing = await serviceNamed(docker, spec.name);
  if (!existing) {
    const made = await inSwarm(() => createService(docker, serviceSpec(spec), headers));
    const nodes = await waitForReplicas(docker, made.ID, spec, options);
    return { outcome: 'created', service: spec.name, running: nodes.length, nodes };
  }
  if (!existing.ours && !(await options.confirmForeign({ name: spec.name, image: existing.image }))) {
    return { outcome: 'declined', service: spec.name };
  }
  try {
    await updateServiceImage(docker, existing.id, spec.image, options);
  } catch (err) {
    if ((err as DockerHostError).code === 'SWARM_SAME_IMAGE') {
      return { outcome: 'unchanged', service: spec.name };
    }
    throw err;
  }
  const nodes = await runningNodes(docker, existing.id);
  return { outcome: 'updated', service: spec.name, running: nodes.length, nodes };
}
