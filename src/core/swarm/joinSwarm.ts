/**
 * Joining hosts to a swarm, each through the extension's own connection to that host's daemon,
 * after checking from each host that it reaches the manager. One path for a new swarm and for a
 * host added to one. The join tokens are read from the manager and handed to the joins in memory
 * only: they are never logged, stored, or left in an error message.
 */
import type Dockerode from 'dockerode';
import { DockerHostError } from '../docker/errors';
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

/** A node cannot reach a port of the manager that joining needs. */
export class SwarmUnreachableError extends DockerHostError {
  constructor(
    readonly blocked: { node: string; target: string; port: number; reason: string }[],
    outcome: string,
  ) {
    super(
      blocked.map((b) => `${b.node} cannot reach ${b.target} on TCP port ${b.port} (${b.reason}).`).join(' ') +
        ` Open the port between the hosts (on Azure, an NSG rule from VirtualNetwork) and try again. ${outcome}`,
      'SWARM_UNREACHABLE',
    );
  }
}

export function hostPort(address: string, port: number): string {
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
  Swarm?: { LocalNodeState?: string; NodeID?: string };
}

/** Only hosts in no swarm are touched: making one leave would stop what runs there. */
export async function refuseSwarmMembers(members: readonly SwarmMember[]): Promise<EngineInfo[]> {
  const infos = (await Promise.all(members.map((m) => m.docker.info()))) as EngineInfo[];
  const busy = members.filter((_, i) => (infos[i].Swarm?.LocalNodeState ?? 'inactive') !== 'inactive');
  if (busy.length > 0) {
    throw new DockerHostError(`${busy.map((m) => m.name).join(', ')} already belong to a swarm. Nothing was changed.`, 'SWARM_MEMBER_BUSY');
  }
  return infos;
}

export async function leaveSwarm(member: SwarmMember): Promise<void> {
  await member.docker.swarmLeave({ force: true }).catch(() => undefined);
}

export interface JoinWorkersRequest {
  /** A manager, with the address the swarm knows it by. */
  manager: SwarmMember;
  /** Hosts to join as managers, before the workers. */
  managers?: readonly SwarmMember[];
  workers: readonly SwarmMember[];
  onProgress?: (message: string) => void;
  /** How long a node may take to reach a port before it counts as blocked. Default 10 s. */
  probeTimeoutMs?: number;
  /** The sentence that ends an error: what the caller leaves behind when a join fails. */
  outcome: string;
}

/**
 * Probes from every worker, then joins them one by one. When one cannot join, those joined by
 * this call leave again before the error is thrown; the manager is the caller's to undo.
 */
export async function joinWorkers(req: JoinWorkersRequest): Promise<void> {
  const { manager, outcome } = req;
  const joiners = [
    ...(req.managers ?? []).map((member) => ({ member, role: 'Manager' as const })),
    ...req.workers.map((member) => ({ member, role: 'Worker' as const })),
  ];
  const progress = req.onProgress ?? (() => undefined);
  // Gossip (7946) also needs UDP, and overlay traffic UDP 4789: neither can be probed this way.
  progress('Checking that every host reaches the manager…');
  const timeout = req.probeTimeoutMs ?? 10_000;
  const checks = joiners.flatMap(({ member: w }) => [SWARM_MANAGER_PORT, SWARM_GOSSIP_PORT].map((port) => ({ w, port })));
  const results = await Promise.all(checks.map(({ w, port }) => probeFromHost(w.docker, manager.advertiseAddress, port, timeout)));
  const blocked = checks.flatMap(({ w, port }, i) => {
    const reason = results[i];
    return reason === undefined ? [] : [{ node: w.name, target: `${manager.name} (${manager.advertiseAddress})`, port, reason }];
  });
  if (blocked.length > 0) {
    throw new SwarmUnreachableError(blocked, outcome);
  }

  const tokens = ((await manager.docker.swarmInspect()) as { JoinTokens?: { Worker?: unknown; Manager?: unknown } }).JoinTokens;
  const tokenFor = (role: 'Worker' | 'Manager') => (typeof tokens?.[role] === 'string' ? (tokens[role] as string) : '');
  const secrets = [tokenFor('Worker'), tokenFor('Manager')].filter(Boolean);
  const joined: SwarmMember[] = [];
  for (const { member: w, role } of joiners) {
    const token = tokenFor(role);
    if (!token) {
      throw new DockerHostError(`${manager.name} did not give a ${role.toLowerCase()} join token. ${outcome}`, 'SWARM_NO_TOKEN');
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
      for (const m of [w, ...joined]) {
        await leaveSwarm(m);
      }
      const message = secrets.reduce((text, secret) => text.split(secret).join('<join token>'), err instanceof Error ? err.message : String(err));
      throw new DockerHostError(`${w.name} could not join the swarm: ${message}. ${outcome}`, 'SWARM_JOIN_FAILED');
    }
    joined.push(w);
  }
}

export interface AddWorkerRequest {
  /** A manager of the swarm: its name and engine; its address comes from the swarm itself. */
  manager: Pick<SwarmMember, 'name' | 'docker'>;
  worker: SwarmMember;
  onProgress?: (message: string) => void;
  probeTimeoutMs?: number;
}

/** One more worker for a swarm that runs: the swarm is left as it was when the host cannot join. */
export async function addWorker(req: AddWorkerRequest): Promise<{ nodeId: string }> {
  const { manager, worker } = req;
  req.onProgress?.(`Checking ${worker.name}…`);
  await refuseSwarmMembers([worker]);
  const info = (await manager.docker.info()) as { Swarm?: { ControlAvailable?: boolean; NodeAddr?: string } };
  const nodeAddr = info.Swarm?.NodeAddr;
  if (info.Swarm?.ControlAvailable !== true || !nodeAddr) {
    throw new DockerHostError(
      `${manager.name} is not a manager of the swarm (any more): refresh the Swarms group and try again.`,
      'SWARM_NOT_MANAGER',
    );
  }
  await joinWorkers({
    manager: { ...manager, advertiseAddress: nodeAddr },
    workers: [worker],
    onProgress: req.onProgress,
    probeTimeoutMs: req.probeTimeoutMs,
    outcome: `${worker.name} was not added; the swarm is as it was.`,
  });
  const joined = (await worker.docker.info()) as EngineInfo;
  return { nodeId: joined.Swarm?.NodeID ?? '' };
}
