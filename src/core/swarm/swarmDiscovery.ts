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
  /** The cluster id; for a swarm reached only through workers, `workers:` + their managers' node ids. */
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

/** Hosts that do not answer are left out here: the hosts views already say why. */
export async function discoverSwarms(sessions: readonly DockerHostSession[]): Promise<DiscoveredSwarm[]> {
  const infos = await Promise.all(
    sessions.map((session) =>
      (session.connect().docker.info() as Promise<SwarmInfo>).then(
        (info) => ({ session, info }),
        () => undefined,
      ),
    ),
  );
  const swarms = new Map<string, DiscoveredSwarm>();
  const byManagerNode = new Map<string, DiscoveredSwarm>();
  const workers: Array<{ membership: SwarmMembership; managers: string[] }> = [];
  for (const found of infos) {
    const s = found?.info.Swarm;
    if (!found || s?.LocalNodeState !== 'active' || !s.NodeID) {
      continue;
    }
    const membership = { session: found.session, nodeId: s.NodeID, manager: s.ControlAvailable === true };
    const managers = (s.RemoteManagers ?? []).map((m) => m.NodeID).filter((id): id is string => !!id);
    if (membership.manager && s.Cluster?.ID) {
      let swarm = swarms.get(s.Cluster.ID);
      if (!swarm) {
        swarm = { id: s.Cluster.ID, managers: [], workers: [] };
        swarms.set(swarm.id, swarm);
      }
      swarm.managers.push(membership);
      for (const id of [membership.nodeId, ...managers]) {
        byManagerNode.set(id, swarm);
      }
    } else {
      workers.push({ membership, managers });
    }
  }
  for (const { membership, managers } of workers) {
    const known = managers.map((id) => byManagerNode.get(id)).find(Boolean);
    const key = `workers:${[...managers].sort().join(',')}`;
    const swarm = known ?? swarms.get(key) ?? { id: key, managers: [], workers: [] };
    swarm.workers.push(membership);
    swarms.set(swarm.id, swarm);
  }
  return [...swarms.values()];
}
