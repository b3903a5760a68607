/**
 * Making a swarm of hosts: `/swarm/init` on the chosen manager, then the joins of
 * {@link joinWorkers} on each other host (further managers first, with the manager token).
 */
import { parseHostAddress } from '../docker/hostAddress';
import { DockerHostError } from '../docker/errors';
import { hostPort, joinWorkers, leaveSwarm, refuseSwarmMembers, SWARM_MANAGER_PORT, type SwarmMember } from './joinSwarm';

export interface CreateSwarmRequest {
  manager: SwarmMember;
  /** Further managers (a swarm keeps quorum with a majority of them: 3 survives one lost). */
  managers?: SwarmMember[];
  workers: SwarmMember[];
  /** One line per step and node, for a progress notification. */
  onProgress?: (message: string) => void;
  /** How long a node may take to reach a port before it counts as blocked. Default 10 s. */
  probeTimeoutMs?: number;
}

export interface CreatedSwarm {
  clusterId: string;
  managerNodeId: string;
}

/**
 * Where other hosts reach this one, when its Docker address says so (tcp:// and ssh:// name the
 * host). A local socket, a pipe or a loopback address names no place another host can reach.
 */
export function advertiseAddressFor(dockerAddress: string): string | undefined {
  let parsed;
  try {
    parsed = parseHostAddress(dockerAddress);
  } catch {
    return undefined;
  }
  if (parsed.kind !== 'tcp' && parsed.kind !== 'ssh') {
    return undefined;
  }
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  return /^(localhost|127\.|::1$)/i.test(host) ? undefined : host;
}

export async function createSwarm(req: CreateSwarmRequest): Promise<CreatedSwarm> {
  const { manager, workers } = req;
  const managers = req.managers ?? [];
  const progress = req.onProgress ?? (() => undefined);
  const members = [manager, ...managers, ...workers];

  progress('Checking the hosts…');
  const infos = await refuseSwarmMembers(members);
  // The same engine picked twice (say the local engine and a context naming it). The engine id
  // alone is not enough: VMs cloned from one image may share it, their host names differ.
  const seen = new Map<string, string>();
  for (const [i, m] of members.entries()) {
    const identity = `${infos[i].ID ?? m.name}/${infos[i].Name ?? ''}`;
    const other = seen.get(identity);
    if (other) {
      throw new DockerHostError(`${other} and ${m.name} are the same Docker engine. Nothing was changed.`, 'SWARM_DUPLICATE_HOST');
    }
    seen.set(identity, m.name);
  }

  progress(`Initialising the swarm on ${manager.name}…`);
  const managerNodeId = String(
    await manager.docker.swarmInit({
      ListenAddr: `0.0.0.0:${SWARM_MANAGER_PORT}`,
      AdvertiseAddr: hostPort(manager.advertiseAddress, SWARM_MANAGER_PORT),
    }),
  );
  try {
    await joinWorkers({ manager, managers, workers, onProgress: progress, probeTimeoutMs: req.probeTimeoutMs, outcome: 'No swarm was made.' });
  } catch (err) {
    progress('Undoing…');
    await leaveSwarm(manager);
    throw err;
  }
  const info = (await manager.docker.info()) as { Swarm?: { Cluster?: { ID?: string } } };
  return { clusterId: info.Swarm?.Cluster?.ID ?? '', managerNodeId };
}
