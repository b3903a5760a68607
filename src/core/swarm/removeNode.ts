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
  progress(`${name} leaves the swarm…`);
  await own.swarmLeave({ force: false });
  // The managers refuse to delete a node they still see up; it is down once its session ends.
  for (;;) {
    const state = ((await inSwarm(() => manager.getNode(nodeId).inspect())) as { Status?: { State?: string } }).Status?.State;
    if (state === 'down') {
      break;
    }
    progress(`Waiting for the managers to see ${name} gone…`);
    // Not cancellable: the node has left already, and this ends as soon as the managers notice.
    await delay(pollMs);
  }
  await inSwarm(() => manager.getNode(nodeId).remove({}));
  return { hostname: name, forced: false };
}
