/**
 * A swarm as one manager reports it, read from the raw Engine API answers. Only the fields shown or
 * acted on are kept, each checked for its type: a daemon's answer is not trusted to have a shape.
 */

export const STACK_LABEL = 'com.docker.stack.namespace';

export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker' | string;
  availability: 'active' | 'pause' | 'drain' | string;
  /** ready, down, unknown, disconnected */
  status: string;
  address: string;
  engineVersion: string;
  leader: boolean;
  /** A manager's reachability (reachable, unreachable) as the raft sees it. */
  managerReachability?: string;
}

export interface SwarmPort {
  published?: number;
  target?: number;
  protocol: string;
  /** host or ingress */
  mode: string;
}

export interface SwarmService {
  id: string;
  name: string;
  image: string;
  mode: 'replicated' | 'global' | string;
  /** Desired replicas: the spec's for a replicated service, the scheduled tasks' for a global one. */
  desired: number;
  running: number;
  ports: SwarmPort[];
  stack?: string;
  updateState?: string;
  /** The engine kept the spec before the last update, so there is something to roll back to. */
  hasPreviousSpec?: boolean;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId: string;
  /** The image this task was made to run: after an update, old and new tasks differ here. */
  image: string;
  /** That image as the task's spec names it, digest and all: a rebuild under the same tag differs only here. */
  imageReference: string;
  state: string;
  desiredState: string;
  error?: string;
  message?: string;
  updatedAt: string;
}

export interface SwarmStack {
  name: string;
  services: SwarmService[];
}

export interface SwarmSnapshot {
  clusterId: string;
  nodes: SwarmNode[];
  services: SwarmService[];
  tasks: SwarmTask[];
  loadedAt: number;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function parseNode(raw: unknown): SwarmNode {
  const n = obj(raw);
  const spec = obj(n.Spec);
  const status = obj(n.Status);
  const description = obj(n.Description);
  const manager = obj(n.ManagerStatus);
  return {
    id: str(n.ID),
    hostname: str(description.Hostname, str(n.ID).slice(0, 12)),
    role: str(spec.Role, 'worker'),
    availability: str(spec.Availability, 'active'),
    status: str(status.State, 'unknown'),
    address: str(status.Addr),
    engineVersion: str(obj(description.Engine).EngineVersion),
    leader: manager.Leader === true,
    managerReachability: typeof manager.Reachability === 'string' ? manager.Reachability : undefined,
  };
}

export function parseTask(raw: unknown): SwarmTask {
  const t = obj(raw);
  const status = obj(t.Status);
  return {
    id: str(t.ID),
    serviceId: str(t.ServiceID),
    slot: num(t.Slot),
    nodeId: str(t.NodeID),
    image: imageName(obj(obj(t.Spec).ContainerSpec).Image),
    imageReference: str(obj(obj(t.Spec).ContainerSpec).Image),
    state: str(status.State, 'unknown'),
    desiredState: str(t.DesiredState, 'unknown'),
    error: typeof status.Err === 'string' && status.Err ? status.Err : undefined,
    message: typeof status.Message === 'string' ? status.Message : undefined,
    updatedAt: str(t.UpdatedAt),
  };
}

/** Image digests are cut, as `docker service ls` shows them. */
/** An image reference as the CLI shows it, without its digest. */
export function withoutDigest(reference: string): string {
  return reference.replace(/@sha256:[0-9a-f]+$/, '');
}

function imageName(v: unknown): string {
  return withoutDigest(str(v));
}

/** A task's name as the CLI writes it: the service and slot, or the node for a global service. */
export function taskName(serviceName: string, t: Pick<SwarmTask, 'slot' | 'nodeId'>): string {
  return t.slot !== undefined ? `${serviceName}.${t.slot}` : `${serviceName}.${t.nodeId.slice(0, 12)}`;
}

/** A task that the swarm means to keep running and that runs. */
function runningNow(t: SwarmTask): boolean {
  return t.state === 'running' && t.desiredState === 'running';
}

/**
 * Replica counts come from the task list already read (so older engines without `?status=true`
 * cost no extra call).
 */
export function parseService(raw: unknown, tasks: readonly SwarmTask[]): SwarmService {
  const s = obj(raw);
  const spec = obj(s.Spec);
  const mode = obj(spec.Mode);
  const id = str(s.ID);
  const own = tasks.filter((t) => t.serviceId === id);
  const replicated = obj(mode.Replicated);
  const isReplicated = 'Replicated' in mode;
  const container = obj(obj(spec.TaskTemplate).ContainerSpec);
  const endpointPorts = list(obj(s.Endpoint).Ports);
  const ports = (endpointPorts.length ? endpointPorts : list(obj(spec.EndpointSpec).Ports)).map((p) => {
    const port = obj(p);
    return {
      published: num(port.PublishedPort),
      target: num(port.TargetPort),
      protocol: str(port.Protocol, 'tcp'),
      mode: str(port.PublishMode, 'ingress'),
    };
  });
  const labels = obj(spec.Labels);
  return {
    id,
    name: str(spec.Name, id.slice(0, 12)),
    image: imageName(container.Image),
    mode: isReplicated ? 'replicated' : 'Global' in mode ? 'global' : (Object.keys(mode)[0]?.toLowerCase() ?? 'unknown'),
    desired: isReplicated ? (num(replicated.Replicas) ?? 1) : own.filter((t) => t.desiredState === 'running').length,
    running: own.filter(runningNow).length,
    ports,
    stack: typeof labels[STACK_LABEL] === 'string' ? (labels[STACK_LABEL] as string) : undefined,
    updateState: typeof obj(s.UpdateStatus).State === 'string' ? (obj(s.UpdateStatus).State as string) : undefined,
    hasPreviousSpec: Object.keys(obj(s.PreviousSpec)).length > 0,
  };
}

/** Services by their stack label, as `docker stack ls` groups them; stacks by name. */
export function groupStacks(services: readonly SwarmService[]): SwarmStack[] {
  const byName = new Map<string, SwarmService[]>();
  for (const s of services) {
    if (s.stack) {
      byName.set(s.stack, [...(byName.get(s.stack) ?? []), s]);
    }
  }
  return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => ({ name, services: members }));
}

/**
 * A service's tasks as `docker service ps` lists them: by slot (or node, for a global service),
 * the current task of each first, then its history, newest first.
 */
export function tasksOf(snapshot: Pick<SwarmSnapshot, 'tasks'>, serviceId: string): SwarmTask[] {
  return snapshot.tasks
    .filter((t) => t.serviceId === serviceId)
    .sort(
      (a, b) =>
        (a.slot ?? 0) - (b.slot ?? 0) ||
        (a.slot === undefined ? a.nodeId.localeCompare(b.nodeId) : 0) ||
        Number(b.desiredState === 'running') - Number(a.desiredState === 'running') ||
        b.updatedAt.localeCompare(a.updatedAt),
    );
}
