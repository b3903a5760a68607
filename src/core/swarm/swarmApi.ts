/** Reading a swarm through one of its managers, and the node and service actions on it. */
import type Dockerode from 'dockerode';
import { DockerHostError } from '../docker/errors';
import { parseNode, parseService, parseTask, STACK_LABEL, type SwarmSnapshot } from './swarmModel';

/**
 * Nodes, services and tasks in three calls, however many tasks there are: the replica counts
 * and each service's tasks come from the one task list, not from a call per service.
 */
export async function readSwarm(docker: Dockerode, clusterId: string, signal?: AbortSignal): Promise<SwarmSnapshot> {
  const [nodes, services, tasks] = await inSwarm(() =>
    Promise.all([
      docker.listNodes({ abortSignal: signal } as object),
      docker.listServices({ abortSignal: signal } as object),
      docker.listTasks({ abortSignal: signal } as object),
    ]),
  );
  const parsedTasks = (tasks as unknown[]).map(parseTask);
  return {
    clusterId,
    nodes: (nodes as unknown[])
      .map(parseNode)
      .sort((a, b) => Number(b.role === 'manager') - Number(a.role === 'manager') || a.hostname.localeCompare(b.hostname)),
    services: (services as unknown[]).map((s) => parseService(s, parsedTasks)).sort((a, b) => a.name.localeCompare(b.name)),
    tasks: parsedTasks,
    loadedAt: Date.now(),
  };
}

/**
 * The engine's words for a swarm that cannot answer, turned into what happened and what to do.
 * Anything else is passed on as it came.
 */
export function swarmError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (/does not have a leader|lost quorum/i.test(message)) {
    return new DockerHostError(
      'The swarm has lost its quorum: fewer than half of its managers are online, so it cannot be read or changed. ' +
        'Bring the managers that are down back online. If they are gone for good, run `docker swarm init --force-new-cluster` on a remaining manager.',
      'SWARM_NO_QUORUM',
      message,
    );
  }
  if (/not a swarm manager/i.test(message)) {
    return new DockerHostError(
      'This host is no longer a manager of the swarm (demoted, or it left). Refresh to find the swarm through another one.',
      'SWARM_NOT_MANAGER',
      message,
    );
  }
  return err;
}

export async function inSwarm<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw swarmError(err);
  }
}

/** A raw Engine API request for what dockerode has no method for, or sends without the query it needs. */
export function dial<T>(docker: Dockerode, options: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(options as never, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)));
  });
}

export interface Versioned {
  Version?: { Index?: number };
  Spec?: Record<string, unknown>;
}

/**
 * The swarm refuses an update that was not made from the object's current version, so a change
 * made meanwhile by someone else (the CLI, another window) is never overwritten unseen.
 */
export async function postUpdate(
  docker: Dockerode,
  path: string,
  current: Versioned,
  spec: Record<string, unknown>,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<void> {
  const version = current.Version?.Index;
  if (version === undefined) {
    throw new DockerHostError(`The engine did not report the version of ${path}; nothing was changed.`, 'SWARM_NO_VERSION');
  }
  await dial(docker, {
    path: `${path}/update?`,
    method: 'POST',
    headers,
    options: { _query: { version, ...query }, _body: spec },
    statusCodes: { 200: true, 400: 'bad parameter', 404: 'not found', 500: 'server error', 503: 'node is not part of a swarm' },
  });
}

/** The header that hands a registry login (registryAuthHeader) to the nodes that pull; none for an anonymous pull. */
export function registryAuthHeaders(registryAuth: string | undefined): Record<string, string> {
  return registryAuth ? { 'X-Registry-Auth': registryAuth } : {};
}

/** `POST /services/create`; `headers` carry X-Registry-Auth when the nodes must sign in to pull. */
export function createService(docker: Dockerode, spec: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ ID: string }> {
  return dial<{ ID: string }>(docker, {
    path: '/services/create',
    method: 'POST',
    headers,
    options: { _body: spec },
    statusCodes: {
      201: true,
      400: 'bad parameter',
      403: 'network is not eligible for services',
      409: 'name conflicts with an existing service',
      500: 'server error',
      503: 'node is not part of a swarm',
    },
  });
}

export type NodeAvailability = 'active' | 'pause' | 'drain';

function updateNode(docker: Dockerode, nodeId: string, change: Record<string, unknown>): Promise<void> {
  return inSwarm(async () => {
    const node = (await docker.getNode(nodeId).inspect()) as Versioned;
    await postUpdate(docker, `/nodes/${encodeURIComponent(nodeId)}`, node, { ...node.Spec, ...change });
  });
}

/** Drain moves the node's tasks elsewhere and schedules none there; active takes new tasks again. */
export function setNodeAvailability(docker: Dockerode, nodeId: string, availability: NodeAvailability): Promise<void> {
  return updateNode(docker, nodeId, { Availability: availability });
}

/** Promote (manager) or demote (worker). */
export function setNodeRole(docker: Dockerode, nodeId: string, role: 'manager' | 'worker'): Promise<void> {
  return updateNode(docker, nodeId, { Role: role });
}

export async function scaleService(docker: Dockerode, serviceId: string, replicas: number): Promise<void> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new DockerHostError(`Replicas must be a whole number of 0 or more, not ${replicas}.`, 'SWARM_BAD_REPLICAS');
  }
  const service = (await inSwarm(() => docker.getService(serviceId).inspect())) as Versioned;
  const spec = service.Spec ?? {};
  const mode = (spec.Mode ?? {}) as Record<string, unknown>;
  if (!('Replicated' in mode)) {
    throw new DockerHostError(
      `Service ${String(spec.Name ?? serviceId)} runs one task on every node (global mode) and cannot be scaled.`,
      'SWARM_GLOBAL_SERVICE',
    );
  }
  await inSwarm(() =>
    postUpdate(docker, `/services/${encodeURIComponent(serviceId)}`, service, { ...spec, Mode: { Replicated: { Replicas: replicas } } }),
  );
}

export async function removeService(docker: Dockerode, serviceId: string): Promise<void> {
  await inSwarm(() => docker.getService(serviceId).remove());
}

export interface RemovedStack {
  services: number;
  networks: number;
  secrets: number;
  configs: number;
}

/**
 * What `docker stack rm` removes: the services, networks, secrets and configs that carry the
 * stack's label, and nothing else. A network is still in use while the removed services' tasks
 * stop, so its removal is tried again for a while.
 */
export function removeStack(docker: Dockerode, namespace: string, networkWaitMs = 30_000): Promise<RemovedStack> {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${namespace}`] });
  return inSwarm(async () => {
    const services = (await docker.listServices({ filters } as object)) as Array<{ ID: string }>;
    await Promise.all(services.map((s) => docker.getService(s.ID).remove()));
    const networks = (await docker.listNetworks({ filters } as object)) as Array<{ Id: string }>;
    const deadline = Date.now() + networkWaitMs;
    for (const n of networks) {
      for (;;) {
        try {
          await docker.getNetwork(n.Id).remove();
          break;
        } catch (err) {
          if (Date.now() > deadline || !/in use|active endpoints/i.test(String((err as Error).message))) {
            throw err;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    const secrets = (await docker.listSecrets({ filters } as object)) as Array<{ ID: string }>;
    await Promise.all(secrets.map((x) => docker.getSecret(x.ID).remove()));
    const configs = (await docker.listConfigs({ filters } as object)) as Array<{ ID: string }>;
    await Promise.all(configs.map((x) => docker.getConfig(x.ID).remove()));
    return { services: services.length, networks: networks.length, secrets: secrets.length, configs: configs.length };
  });
}
