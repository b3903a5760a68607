/**
 * A new image for a service, rolled out as the service's own UpdateConfig says (parallelism, delay,
 * failure action: the swarm applies it, nothing here re-implements it), and rolling back; both
 * followed task by task until the swarm says the update is over.
 */
import type Dockerode from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerHostError } from '../docker/errors';
import { inSwarm, postUpdate, registryAuthHeaders, type Versioned } from './swarmApi';
import { parseNode, parseTask, taskName, withoutDigest, type SwarmTask } from './swarmModel';

/** One task of the service that changed state (or was first seen) while the update ran. */
export interface TaskChange {
  taskId: string;
  /** As the CLI names it: web.2 */
  task: string;
  node: string;
  image: string;
  /** Absent for a task the update made. */
  from?: string;
  to: string;
  error?: string;
}

export interface UpdateResult {
  service: string;
  /** completed, or rollback_completed for a rollback. */
  state: string;
  image: string;
  running: number;
}

export interface FollowOptions {
  onTask?: (change: TaskChange) => void;
  /**
   * X-Registry-Auth for the new image's registry (registryAuthHeader): the swarm hands it to the
   * nodes that pull, and keeps it out of the service's inspect output.
   */
  registryAuth?: string;
  /** Stops following; the swarm carries on with the update. */
  signal?: AbortSignal;
  pollMs?: number;
}

type Json = Record<string, unknown>;

interface RawService extends Versioned {
  Spec?: Json;
  PreviousSpec?: Json;
  UpdateStatus?: { State?: string; StartedAt?: string; Message?: string };
}

const OVER = new Set(['completed', 'paused', 'rollback_completed', 'rollback_paused']);

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** The image as the spec names it, digest and all: a rebuild pushed under the same tag differs only in its digest. */
function referenceOf(spec: Json | undefined): string {
  const image = obj(obj(obj(spec).TaskTemplate).ContainerSpec).Image;
  return typeof image === 'string' ? image : '';
}

/** The image as the CLI shows it, without its digest. */
function imageOf(spec: Json | undefined): string {
  return withoutDigest(referenceOf(spec));
}

function nameOf(service: RawService, fallback: string): string {
  return typeof service.Spec?.Name === 'string' ? service.Spec.Name : fallback;
}

export function taskChangeText(c: TaskChange): string {
  return `${c.task} on ${c.node}: ${c.from ? `${c.from} → ` : ''}${c.to} (${c.image})${c.error ? ` — ${c.error}` : ''}`;
}

function inspect(docker: Dockerode, serviceId: string, signal?: AbortSignal): Promise<RawService> {
  return docker.getService(serviceId).inspect({ abortSignal: signal } as object) as Promise<RawService>;
}

export async function tasksOfService(docker: Dockerode, serviceId: string, signal?: AbortSignal): Promise<SwarmTask[]> {
  const raw = (await docker.listTasks({ filters: JSON.stringify({ service: [serviceId] }), abortSignal: signal } as object)) as unknown[];
  return raw.map(parseTask);
}

/** Node id → hostname. */
export async function nodeNames(docker: Dockerode, signal?: AbortSignal): Promise<Map<string, string>> {
  const nodes = ((await docker.listNodes({ abortSignal: signal } as object)) as unknown[]).map(parseNode);
  return new Map(nodes.map((n) => [n.id, n.hostname]));
}

const statusKey = (s: RawService) => `${s.UpdateStatus?.State ?? ''}@${s.UpdateStatus?.StartedAt ?? ''}`;

/** Every task the swarm means to run is running, on the service's image now, as many as it asks for. */
function converged(service: RawService, tasks: readonly SwarmTask[]): boolean {
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const replicas = obj(obj(service.Spec?.Mode).Replicated).Replicas;
  return (
    wanted.every((t) => t.state === 'running' && t.imageReference === referenceOf(service.Spec)) &&
    (typeof replicas !== 'number' || wanted.length === replicas)
  );
}

/** The task the swarm names in its "paused due to failure … of task X", else the newest that failed. */
function failingTask(service: RawService, tasks: readonly SwarmTask[]): SwarmTask | undefined {
  const named = /task ([0-9a-z]{10,})/.exec(service.UpdateStatus?.Message ?? '')?.[1];
  return (
    tasks.find((t) => t.id === named) ??
    tasks.filter((t) => ['failed', 'rejected'].includes(t.state)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]
  );
}

function failure(
  what: 'update' | 'rollback',
  name: string,
  image: string,
  service: RawService,
  task: SwarmTask | undefined,
  node: string,
): DockerHostError {
  image = withoutDigest(image);
  const failed = task
    ? `its task ${taskName(name, task)} on ${node} failed with "${task.error ?? task.message ?? task.state}"`
    : `the swarm says "${service.UpdateStatus?.Message ?? service.UpdateStatus?.State}"`;
  const state = service.UpdateStatus?.State;
  const text =
    what === 'rollback'
      ? `Service ${name} did not roll back to ${image}: ${failed}, so the rollback paused; update the service to an image that runs.`
      : state === 'rollback_completed'
        ? `Service ${name} did not update to ${image}: ${failed}, so the swarm rolled it back to ${imageOf(service.Spec)}; fix the image or its command and update again.`
        : `Service ${name} did not update to ${image}: ${failed}, so the update ${state === 'paused' ? 'paused' : `stopped (${state})`}; roll it back with Roll Back Service.`;
  return new DockerHostError(text, 'SWARM_UPDATE_FAILED', service.UpdateStatus?.Message);
}

interface Before {
  seen: Map<string, string>;
  status: string;
}

async function before(docker: Dockerode, serviceId: string, service: RawService, signal?: AbortSignal): Promise<Before> {
  const tasks = await tasksOfService(docker, serviceId, signal);
  return { seen: new Map(tasks.map((t) => [t.id, t.state])), status: statusKey(service) };
}

/**
 * Two calls a poll (the service, its tasks), however many tasks. An UpdateStatus left from an
 * earlier update does not end it: only one that changed since the request counts, or (when the
 * swarm had nothing to roll, and so wrote none) tasks that have all converged.
 */
async function follow(
  docker: Dockerode,
  serviceId: string,
  what: 'update' | 'rollback',
  image: string,
  start: Before,
  options: FollowOptions,
): Promise<UpdateResult> {
  const { signal, pollMs = 250 } = options;
  let nodes = await inSwarm(() => nodeNames(docker, signal));
  for (;;) {
    const [service, tasks] = await inSwarm(() => Promise.all([inspect(docker, serviceId, signal), tasksOfService(docker, serviceId, signal)]));
    const name = nameOf(service, serviceId);
    if (tasks.some((t) => t.nodeId && !nodes.has(t.nodeId))) {
      nodes = await inSwarm(() => nodeNames(docker, signal));
    }
    const nodeOf = (t: SwarmTask) => (t.nodeId ? (nodes.get(t.nodeId) ?? t.nodeId.slice(0, 12)) : 'no node yet');
    for (const t of tasks) {
      const from = start.seen.get(t.id);
      if (from !== t.state) {
        start.seen.set(t.id, t.state);
        options.onTask?.({ taskId: t.id, task: taskName(name, t), node: nodeOf(t), image: t.image, from, to: t.state, error: t.error });
      }
    }
    const state = service.UpdateStatus?.State;
    const fresh = statusKey(service) !== start.status;
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running').length;
    if (state && fresh && OVER.has(state)) {
      if (state === (what === 'update' ? 'completed' : 'rollback_completed')) {
        return { service: name, state, image: imageOf(service.Spec), running };
      }
      const task = failingTask(service, tasks);
      throw failure(what, name, image, service, task, task ? nodeOf(task) : '');
    }
    if ((!state || !fresh) && converged(service, tasks) && referenceOf(service.Spec) === image) {
      return { service: name, state: what === 'update' ? 'completed' : 'rollback_completed', image: withoutDigest(image), running };
    }
    await sleep(pollMs, undefined, { signal });
  }
}

/** A reference the engine could take: a name with an optional tag or digest, no spaces. */
export function isImageName(value: string): boolean {
  return /^[^\s@]+(@sha256:[0-9a-f]{64})?$/.test(value.trim());
}

/**
 * Rolls `image` out to the service's tasks, as `docker service update --image` does. An image with
 * a digest is compared by it, so a new build of the same tag rolls out; one without is compared by
 * name, as the CLI shows it.
 */
export async function updateServiceImage(docker: Dockerode, serviceId: string, image: string, options: FollowOptions = {}): Promise<UpdateResult> {
  const wanted = image.trim();
  if (!isImageName(wanted)) {
    throw new DockerHostError(`"${image}" is not an image name: give one such as myregistry.azurecr.io/web:2.`, 'SWARM_BAD_IMAGE');
  }
  const service = await inSwarm(() => inspect(docker, serviceId, options.signal));
  const spec = service.Spec ?? {};
  const name = nameOf(service, serviceId);
  if (wanted.includes('@') ? referenceOf(spec) === wanted : imageOf(spec) === wanted) {
    throw new DockerHostError(`Service ${name} already runs ${wanted}; nothing was changed.`, 'SWARM_SAME_IMAGE');
  }
  const start = await inSwarm(() => before(docker, serviceId, service, options.signal));
  const template = obj(spec.TaskTemplate);
  const changed = { ...spec, TaskTemplate: { ...template, ContainerSpec: { ...obj(template.ContainerSpec), Image: wanted } } };
  const headers = registryAuthHeaders(options.registryAuth);
  await inSwarm(() => postUpdate(docker, `/services/${encodeURIComponent(serviceId)}`, service, changed, {}, headers));
  return follow(docker, serviceId, 'update', wanted, start, options);
}

/** Back to the spec before the last update, server-side, as `docker service rollback` does. */
export async function rollbackService(docker: Dockerode, serviceId: string, options: FollowOptions = {}): Promise<UpdateResult> {
  const service = await inSwarm(() => inspect(docker, serviceId, options.signal));
  const name = nameOf(service, serviceId);
  if (!service.PreviousSpec) {
    throw new DockerHostError(`Service ${name} has not been updated since it was made, so there is nothing to roll back to.`, 'SWARM_NO_PREVIOUS');
  }
  const start = await inSwarm(() => before(docker, serviceId, service, options.signal));
  await inSwarm(() => postUpdate(docker, `/services/${encodeURIComponent(serviceId)}`, service, service.Spec ?? {}, { rollback: 'previous' }));
  return follow(docker, serviceId, 'rollback', referenceOf(service.PreviousSpec), start, options);
}
