/**
 * Which of the catalog's hosts are in a swarm, and which swarm: one `/info` per host. A manager
 * names its cluster; a worker only knows its managers' node ids, so it is placed by those.
 */
import type { DockerHostSession } from '../docker/hostSession';

export interface SwarmMembership {
  session: DockerHostSession;
  nodeId: string;
  manager: boolean;
}

export interface DiscoveredSwarm {
  /**
   * The cluster id; for a swarm none of whose managers can name it (reached only through workers,
   * or without a leader), `workers:` or `manager:` + the managers' node ids.
   */
  id: string;
  /** Hosts through which the swarm can be read and changed: managers first. */
  managers: SwarmMembership[];
  workers: SwarmMembership[];
}

interface SwarmInfo {
  Swarm?: {
    LocalNodeState?: string;
    NodeID?: string;
    ControlAvailable?: boolean;
    Cluster?: { ID?: string };
    RemoteManagers?: Array<{ NodeID?: string }> | null;
  };
}

/**
 * Hosts that do not answer (within `timeoutMs`, so one dead host does not hold the group back) are
 * left out here: the hosts views already say why.
 */
async function swarmInfos(sessions: readonly DockerHostSession[], timeoutMs: number) {
  return Promise.all(
    sessions.map(async (session) => {
      try {
        const info = await (session.connect().docker.info({ abortSignal: AbortSignal.timeout(timeoutMs) } as never) as unknown as Promise<SwarmInfo>);
        return { session, info };
      } catch {
        return undefined;
      }
    }),
  );
}

export async function discoverSwarms(sessions: readonly DockerHostSession[], timeoutMs = 10_000): Promise<DiscoveredSwarm[]> {
  const infos = await swarmInfos(sessions, timeoutMs);
  const swarms = new Map<string, DiscoveredSwarm>();
  const byManagerNode = new Map<string, DiscoveredSwarm>();
  const members: Array<{ membership: SwarmMembership; clusterId?: string; managers: string[] }> = [];
  for (const found of infos) {
    const s = found?.info.Swarm;
    if (!found || s?.LocalNodeState !== 'active' || !s.NodeID) {
      continue;
    }
    const managers = (s.RemoteManagers ?? []).map((m) => m.NodeID).filter((id): id is string => !!id);
    members.push({
      membership: { session: found.session, nodeId: s.NodeID, manager: s.ControlAvailable === true },
      clusterId: s.Cluster?.ID,
      managers,
    });
  }
  // A manager names its cluster only while the swarm has a leader; without one it is still where
  // the user learns why the swarm cannot be read. So managers that name it come first, then the
  // others are placed by their managers' node ids, as workers are.
  const order = (m: (typeof members)[number]) => (m.membership.manager ? (m.clusterId ? 0 : 1) : 2);
  for (const { membership, clusterId, managers } of [...members].sort((a, b) => order(a) - order(b))) {
    const known = [membership.nodeId, ...managers].map((id) => byManagerNode.get(id)).find(Boolean);
    const id = clusterId ?? known?.id ?? `${membership.manager ? 'manager' : 'workers'}:${[...managers].sort().join(',')}`;
    let swarm = swarms.get(id);
    if (!swarm) {
      swarm = { id, managers: [], workers: [] };
      swarms.set(id, swarm);
    }
    (membership.manager ? swarm.managers : swarm.workers).push(membership);
    if (membership.manager) {
      for (const nodeId of [membership.nodeId, ...managers]) {
        byManagerNode.set(nodeId, swarm);
      }
    }
  }
  return [...swarms.values()];
}

/** The hosts that answer and belong to no swarm: those a swarm may take in. */
export async function hostsInNoSwarm(sessions: readonly DockerHostSession[], timeoutMs = 10_000): Promise<DockerHostSession[]> {
  const infos = await swarmInfos(sessions, timeoutMs);
  return infos.flatMap((found) => (found && (found.info.Swarm?.LocalNodeState ?? 'inactive') === 'inactive' ? [found.session] : []));
}
