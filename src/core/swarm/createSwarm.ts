/**
 * Making a swarm of hosts the user already has: `/swarm/init` on the chosen manager, then
 * `/swarm/join` on each other host through the extension's own connection to that host's daemon.
 * The join token is read from the manager and handed to the joins in memory only: it is never
 * logged, stored, or left in an error message.
 */
import type Dockerode from 'dockerode';
import { DockerHostError } from '../docker/errors';
import { parseHostAddress } from '../docker/hostAddress';
import { dial } from './swarmApi';

export const SWARM_MANAGER_PORT = 2377;
export const SWARM_GOSSIP_PORT = 7946;
/** VXLAN of overlay networks (UDP). */
export const SWARM_OVERLAY_PORT = 4789;

export interface SwarmMember {
  /** The host's name, for messages and progress. */
  name: string;
  docker: Dockerode;
  /** Where the other nodes reach this one (an address or DNS name of the host, no port). */
  advertiseAddress: string;
}

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

/** A node cannot reach a port of the manager that joining needs; nothing of the swarm is left. */
export class SwarmUnreachableError extends DockerHostError {
  constructor(readonly blocked: { node: string; target: string; port: number; reason: string }[]) {
    super(
      blocked.map((b) => `${b.node} cannot reach ${b.target} on TCP port ${b.port} (${b.reason}).`).join(' ') +
        ' Open the port between the hosts (on Azure, an NSG rule from VirtualNetwork) and try again. No swarm was made.',
      'SWARM_UNREACHABLE',
    );
  }
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

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Whether `docker`'s host can open a TCP connection to address:port, seen from that host itself,
 * with no image or container: the daemon is asked for a registry manifest there, which makes it
 * dial the port. A refusal, timeout or missing route comes back as a `dial tcp` error; anything
 * after the dial (TLS or HTTP mismatch) means the port answered.
 */
export async function probeFromHost(docker: Dockerode, address: string, port: number, timeoutMs: number): Promise<string | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const answer = await dial<{ message?: unknown } | undefined>(docker, {
      path: `/distribution/${hostPort(address, port)}/doa-reachability-probe:1/json`,
      method: 'GET',
      abortSignal: controller.signal,
      statusCodes: { 200: true, 401: true, 403: true, 404: true, 500: true },
    });
    const message = typeof answer?.message === 'string' ? answer.message : '';
    const dialError = /dial tcp(?: \S+)?: (.*)$/.exec(message);
    return dialError ? dialError[1].replace(/^connect: /, '') : undefined;
  } catch (err) {
    if (controller.signal.aborted) {
      return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

interface EngineInfo {
  ID?: string;
  Name?: string;
  Swarm?: { LocalNodeState?: string };
}

async function leave(member: SwarmMember): Promise<void> {
  await member.docker.swarmLeave({ force: true }).catch(() => undefined);
}

function joinFailure(node: string, err: unknown, secrets: string[]): Error {
  const message = secrets.reduce((text, secret) => text.split(secret).join('<join token>'), err instanceof Error ? err.message : String(err));
  return new DockerHostError(`${node} could not join the swarm: ${message}. No swarm was left behind.`, 'SWARM_JOIN_FAILED');
}

export async function createSwarm(req: CreateSwarmRequest): Promise<CreatedSwarm> {
  const { manager, workers } = req;
  const managers = req.managers ?? [];
  const progress = req.onProgress ?? (() => undefined);
  const joiners = [...managers.map((m) => ({ m, role: 'Manager' as const })), ...workers.map((m) => ({ m, role: 'Worker' as const }))];
  const members = [manager, ...joiners.map((j) => j.m)];

  progress('Checking the hosts…');
  const infos = (await Promise.all(members.map((m) => m.docker.info()))) as EngineInfo[];
  const inSwarm = members.filter((_, i) => (infos[i].Swarm?.LocalNodeState ?? 'inactive') !== 'inactive');
  if (inSwarm.length > 0) {
    // Only hosts in no swarm are touched: leaving one would stop what runs there.
    throw new DockerHostError(`${inSwarm.map((m) => m.name).join(', ')} already belong to a swarm. Nothing was changed.`, 'SWARM_MEMBER_BUSY');
  }
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
  const joined: SwarmMember[] = [];
  const undo = async () => {
    for (const m of [...joined, manager]) {
      await leave(m);
    }
  };
  try {
    // Gossip (7946) also needs UDP, and overlay traffic UDP 4789: neither can be probed this way.
    progress('Checking that every host reaches the manager…');
    const timeout = req.probeTimeoutMs ?? 10_000;
    const checks = joiners.flatMap(({ m: w }) => [SWARM_MANAGER_PORT, SWARM_GOSSIP_PORT].map((port) => ({ w, port })));
    const results = await Promise.all(checks.map(({ w, port }) => probeFromHost(w.docker, manager.advertiseAddress, port, timeout)));
    const blocked = checks.flatMap(({ w, port }, i) => {
      const reason = results[i];
      return reason === undefined ? [] : [{ node: w.name, target: `${manager.name} (${manager.advertiseAddress})`, port, reason }];
    });
    if (blocked.length > 0) {
      throw new SwarmUnreachableError(blocked);
    }

    const tokens = ((await manager.docker.swarmInspect()) as { JoinTokens?: { Worker?: unknown; Manager?: unknown } }).JoinTokens;
    const tokenFor = (role: 'Worker' | 'Manager') => (typeof tokens?.[role] === 'string' ? (tokens[role] as string) : '');
    const secrets = [tokenFor('Worker'), tokenFor('Manager')].filter(Boolean);
    for (const { m: w, role } of joiners) {
      const token = tokenFor(role);
      if (!token) {
        throw new DockerHostError(`${manager.name} did not give a ${role.toLowerCase()} join token.`, 'SWARM_NO_TOKEN');
      }
      progress(`Joining ${w.name}${role === 'Manager' ? ' as a manager' : ''}…`);
      try {
        await w.docker.swarmJoin({
          ListenAddr: `0.0.0.0:${SWARM_MANAGER_PORT}`,
          AdvertiseAddr: hostPort(w.advertiseAddress, SWARM_MANAGER_PORT),
          RemoteAddrs: [hostPort(manager.advertiseAddress, SWARM_MANAGER_PORT)],
          JoinToken: token,
        });
      } catch (err) {
        // A join that timed out goes on trying in the background.
        await leave(w);
        throw joinFailure(w.name, err, secrets);
      }
      joined.push(w);
    }
  } catch (err) {
    progress('Undoing…');
    await undo();
    throw err;
  }
  const info = (await manager.docker.info()) as { Swarm?: { Cluster?: { ID?: string } } };
  return { clusterId: info.Swarm?.Cluster?.ID ?? '', managerNodeId };
}
