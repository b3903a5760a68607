/**
 * Taking a node out of a swarm the way that loses no running replica: drain it, wait until its
 * tasks run on other nodes, make it leave through its own daemon, then delete it from the node list
 * on a manager. Cancelling stops the wait and leaves the node drained.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { DockerHostError } from '../docker/errors';
import { inSwarm, readSwarm, setNodeAvailability } from './swarmApi';
import type { SwarmNode, SwarmSnapshot } from './swarmModel';

/** A manager is not removed: the error says, in one sentence naming it, what to do first. */
export function refuseManagerRemoval(node: SwarmNode, nodes: readonly SwarmNode[]): void {
  if (node.role !== 'manager') {
    return;
  }
  throw new DockerHostError(
    nodes.filter((n) => n.role === 'manager').length <= 1
      ? `${node.hostname} is the only manager of the swarm, so removing it would end the swarm: promote another node, then demote ${node.hostname} and remove it.`
      : `${node.hostname} is a manager of the swarm: demote it first (Demote Node), then remove it.`,
    'SWARM_REMOVE_MANAGER',
  );
}

export interface RemoveNodeRequest {
  /** A manager's engine, where the swarm is changed. */
  manager: Dockerode;
  nodeId: string;
  /** The node's own daemon, when its host is among the user's: it leaves through it. Without it, the node is removed by force. */
  own?: Dockerode;
  onProgress?: (message: string) => void;
  /** Stops the wait for the tasks to move; the node stays drained. */
  signal?: AbortSignal;
  pollMs?: number;
}

export interface RemovedNode {
  hostname: string;
  /** Removed with `force` because it could not be made to leave: its engine still believes it is in the swarm. */
  forced: boolean;
}

/**
 * Replicas of the services that ran on the node, not yet running elsewhere; none left once the
 * node runs no task and every such service has its desired count on the other nodes.
 */
function stillToMove(s: SwarmSnapshot, nodeId: string, serviceIds: ReadonlySet<string>): { service: string; missing: number }[] {
  const waiting: { service: string; missing: number }[] = [];
  for (const service of s.services.filter((x) => serviceIds.has(x.id))) {
    const own = s.tasks.filter((t) => t.serviceId === service.id);
    const elsewhere = own.filter((t) => t.nodeId !== nodeId && t.state === 'running' && t.desiredState === 'running').length;
    const stillHere = own.filter((t) => t.nodeId === nodeId && t.state === 'running').length;
    if (stillHere > 0 || elsewhere < service.desired) {
      waiting.push({ service: service.name, missing: Math.max(service.desired - elsewhere, stillHere) });
    }
  }
  return waiting;
}

async function swarmState(docker: Dockerode): Promise<{ NodeID?: string; LocalNodeState?: string }> {
  return ((await docker.info()) as { Swarm?: { NodeID?: string; LocalNodeState?: string } }).Swarm ?? {};
}

export async function removeNode(req: RemoveNodeRequest): Promise<RemovedNode> {
  const { manager, nodeId, own, signal } = req;
  const progress = req.onProgress ?? (() => undefined);
  const pollMs = req.pollMs ?? 500;
  // The signal stops only the wait: until the node is drained, nothing is left half done to say.
  const first = await readSwarm(manager, '');
  const node = first.nodes.find((n) => n.id === nodeId);
  if (!node) {
    throw new DockerHostError(`Node ${nodeId.slice(0, 12)} is no longer in the swarm: refresh the Swarms group.`, 'SWARM_NODE_GONE');
  }
  refuseManagerRemoval(node, first.nodes);
  const name = node.hostname;
  const affected = new Set(first.tasks.filter((t) => t.nodeId === nodeId && t.desiredState === 'running').map((t) => t.serviceId));

  if (node.availability !== 'drain') {
    progress(`Draining ${name}…`);
    await setNodeAvailability(manager, nodeId, 'drain');
  }
  for (;;) {
    const waiting = stillToMove(await readSwarm(manager, '', signal), nodeId, affected);
    if (!waiting.length) {
      break;
    }
    progress(`Waiting for ${waiting.map((w) => `${w.missing} task(s) of ${w.service}`).join(', ')} to run on other nodes…`);
    await delay(pollMs, undefined, { signal });
  }

  if (!own) {
    progress(`Removing ${name} by force…`);
    await inSwarm(() => manager.getNode(nodeId).remove({ force: true }));
    return { hostname: name, forced: true };
  }
  // Made to leave, and then taken at its word: so it has to be that node.
  if ((await swarmState(own)).NodeID !== nodeId) {
    throw new DockerHostError(
      `The host shown for ${name} is no longer that node: refresh the Swarms group and try again. ${name} stays drained.`,
      'SWARM_NODE_MOVED',
    );
  }
  progress(`${name} leaves the swarm…`);
  await own.swarmLeave({ force: false });
  const left = (await swarmState(own)).LocalNodeState;
  if (left !== 'inactive') {
    throw new DockerHostError(
      `${name} did not leave the swarm (its engine says ${left ?? 'nothing'}); it stays drained. Try Remove Node again.`,
      'SWARM_LEAVE_FAILED',
    );
  }
  // Its own engine says it left: the managers' "not down yet" check, which would hold the delete
  // back for the seconds until they miss its heartbeat, guards against nothing here.
  await inSwarm(() => manager.getNode(nodeId).remove({ force: true }));
  return { hostname: name, forced: false };
}
