/**
 * Private networks of network namespaces on Linux bridges, as hosts of their own on one LAN: each
 * node is a namespace whose `eth0` (a veth whose other end is enslaved to the bridge) has an
 * address of the network. Used by the swarm harness (swarmCluster.ts) and by the ARM emulator's
 * virtual networks (dockerHostBoot.ts).
 *
 * Names carry a random id so runs in other worktrees on this machine do not collide. What is made
 * is written to a record file before it is made, so a run killed half way is cleaned up from that
 * file by the next one ({@link deletePrivateNetwork}).
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { run } from './processes';

interface NetworkRecord {
  /** The process that made it; a record whose owner is gone is stale. */
  owner: number;
  bridges: string[];
  namespaces: string[];
  veths: string[];
  /** Daemons running in the namespaces, to be stopped before they go (see {@link readPrivateNetwork}). */
  daemonDirs: string[];
}

/** Every name this module makes: `doa` + kind letter + 6 hex + what it is. Nothing else is ever deleted. */
const NAME = /^doa[se][0-9a-f]{6}[bnv]?\d*$/;

export function inNamespace(netns: string, cmd: string, args: string[]) {
  return run('nsenter', [`--net=/var/run/netns/${netns}`, cmd, ...args]);
}

export class PrivateNetwork {
  private readonly id = randomBytes(3).toString('hex');
  private readonly record: NetworkRecord = { owner: process.pid, bridges: [], namespaces: [], veths: [], daemonDirs: [] };
  private nodes = 0;
  private bridgeCount = 0;

  /** `kind`: `s` for swarm harnesses, `e` for the ARM emulator, so one never takes the other's names. */
  constructor(
    readonly recordFile: string,
    private readonly kind: 's' | 'e',
  ) {}

  private get base(): string {
    return `doa${this.kind}${this.id}`;
  }

  private save(): Promise<void> {
    return fsp.writeFile(this.recordFile, JSON.stringify(this.record));
  }

  /** A bridge, with `address` (CIDR) in the root namespace if given, so the machine reaches the nodes. */
  async addBridge(address?: string): Promise<string> {
    // The swarm harness has one bridge, named as its nodes' prefix.
    const name = this.kind === 's' && this.bridgeCount === 0 ? this.base : `${this.base}b${this.bridgeCount}`;
    this.bridgeCount++;
    this.record.bridges.push(name);
    await this.save();
    await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
    if (address) {
      await run('ip', ['addr', 'add', address, 'dev', name]);
    }
    await run('ip', ['link', 'set', name, 'up']);
    return name;
  }

  /** A namespace on `bridge` whose eth0 has `address` (CIDR), lo up. Returns the namespace's name. */
  async addNode(bridge: string, address: string, name?: string): Promise<string> {
    this.nodes++;
    const ns = `${this.base}n${name ?? this.nodes}`;
    const veth = `${this.base}v${this.nodes}`;
    this.record.namespaces.push(ns);
    this.record.veths.push(veth);
    await this.save();
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
    await inNamespace(ns, 'ip', ['addr', 'add', address, 'dev', 'eth0']);
    await inNamespace(ns, 'ip', ['link', 'set', 'eth0', 'up']);
    await inNamespace(ns, 'ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Removes one node; only once the daemons in it have exited (see {@link deletePrivateNetwork}). */
  async removeNode(ns: string): Promise<void> {
    const i = this.record.namespaces.indexOf(ns);
    if (i < 0) {
      return;
    }
    const [veth] = this.record.veths.splice(i, 1);
    this.record.namespaces.splice(i, 1);
    await run('ip', ['link', 'delete', veth]).catch(() => undefined);
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await this.save();
  }

  /** Notes a daemon folder whose daemon runs in one of the namespaces, for whoever cleans up after a killed run. */
  async recordDaemon(dir: string): Promise<void> {
    if (!this.record.daemonDirs.includes(dir)) {
      this.record.daemonDirs.push(dir);
      await this.save();
    }
  }

  async forgetDaemon(dir: string): Promise<void> {
    this.record.daemonDirs = this.record.daemonDirs.filter((d) => d !== dir);
    await this.save();
  }

  /** Removes everything left, and the record. */
  delete(): Promise<void> {
    return deletePrivateNetwork(this.recordFile);
  }
}

/**
 * Removes the namespaces and bridges listed in `recordFile`. Only after the daemons in them have
 * exited: a namespace deleted under a running dockerd leaves it running, unreachable by name.
 */
export async function deletePrivateNetwork(recordFile: string): Promise<void> {
  let net: NetworkRecord;
  try {
    net = JSON.parse(await fsp.readFile(recordFile, 'utf8')) as NetworkRecord;
  } catch {
    return;
  }
  // A namespace's links go only once the kernel has let go of it, which may be later; a veth
  // deleted here takes its peer in the namespace with it at once.
  for (const veth of (net.veths ?? []).filter((v) => NAME.test(v))) {
    await run('ip', ['link', 'delete', veth]).catch(() => undefined);
  }
  for (const ns of (net.namespaces ?? []).filter((n) => NAME.test(n))) {
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
  for (const bridge of (net.bridges ?? []).filter((b) => NAME.test(b))) {
    await run('ip', ['link', 'delete', bridge]).catch(() => undefined);
  }
  await fsp.rm(recordFile, { force: true });
}

/** Who made the network in `recordFile` and which daemon folders it noted, if the file can be read. */
export async function readPrivateNetwork(recordFile: string): Promise<{ owner?: number; daemonDirs: string[] } | undefined> {
  try {
    const net = JSON.parse(await fsp.readFile(recordFile, 'utf8')) as Partial<NetworkRecord>;
    return { owner: Number.isInteger(net.owner) ? net.owner : undefined, daemonDirs: net.daemonDirs ?? [] };
  } catch {
    return undefined;
  }
}
