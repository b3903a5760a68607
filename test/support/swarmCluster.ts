/**
 * Hosts for a real multi-node swarm: N dockerd instances, each in a network namespace of its own,
 * joined by a private bridge in the root namespace. Each is reached like a provisioned host, on
 * tcp://<its address>:2376 with mutual TLS, and has the busybox base image (nothing can be pulled).
 * They are not in a swarm yet: making one is the product's job.
 *
 * Names (bridge, namespaces, veths) carry a random id so runs in other worktrees on this machine
 * do not collide; what was made is written to `net.json` before it is made, so a run killed half
 * way is cleaned up by the next one ({@link cleanupStaleRuns}).
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { importBusybox } from './busyboxImage';
import { makeTlsMaterial } from './certs';
import { startDockerd, type DockerdHandle } from './dockerd';
import { run, startEvery } from './processes';
import { startRegistry, type RegistryHandle, type RegistryOptions } from './registry';

const NET_FILE = 'net.json';
const DAEMON_PORT = 2376;

interface SwarmNetwork {
  bridge: string;
  namespaces: string[];
  veths: string[];
}

export interface SwarmHost {
  /** n1, n2, ... */
  name: string;
  /** The node's address on the bridge (its namespace's eth0), where its dockerd listens. */
  address: string;
  /** The node's daemon for `docker -H` / `dockerCli` (a TlsTarget). */
  tls: { host: string; port: number; ca: string; cert: string; key: string };
  daemon: DockerdHandle;
  netns: string;
}

export interface SwarmHosts {
  dir: string;
  hosts: SwarmHost[];
  /**
   * With the `registry` option: a registry on the bridge's own address, which every node reaches
   * and trusts over plain HTTP (in its insecure-registries, as a registry off loopback must be).
   */
  registry?: RegistryHandle;
  /** Makes `host` refuse outgoing TCP to `port` on every other host (as a closed NSG port would). */
  blockOutgoing(host: SwarmHost, port: number): Promise<{ unblock(): Promise<void> }>;
  /** Stops every daemon, then removes the namespaces and the bridge. */
  stop(): Promise<void>;
}

async function freeSubnet(): Promise<string> {
  const [addrs, routes] = await Promise.all([run('ip', ['-o', '-4', 'addr', 'show']), run('ip', ['-o', '-4', 'route', 'show'])]);
  const used = addrs.stdout + routes.stdout;
  const start = 1 + Math.floor(Math.random() * 250);
  for (let i = 0; i < 250; i++) {
    const third = 1 + ((start + i) % 250);
    if (!used.includes(`10.213.${third}.`)) {
      return `10.213.${third}`;
    }
  }
  throw new Error('no free 10.213.x.0/24 subnet for a swarm test bridge');
}

function inNamespace(netns: string, cmd: string, args: string[]) {
  return run('nsenter', [`--net=/var/run/netns/${netns}`, cmd, ...args]);
}

/**
 * Removes the namespaces and bridge listed in `dir`'s net.json. Only after the daemons in them have
 * exited: a namespace deleted under a running dockerd leaves it running, unreachable by name.
 */
export async function deleteSwarmNetwork(dir: string): Promise<void> {
  let net: SwarmNetwork;
  try {
    net = JSON.parse(await fsp.readFile(path.join(dir, NET_FILE), 'utf8')) as SwarmNetwork;
  } catch {
    return;
  }
  // A namespace's links go only once the kernel has let go of it, which may be later; a veth
  // deleted here takes its peer in the namespace with it at once.
  for (const veth of net.veths.filter((v) => /^doas[0-9a-f]{6}v\d+$/.test(v))) {
    await run('ip', ['link', 'delete', veth]).catch(() => undefined);
  }
  for (const ns of net.namespaces.filter((n) => /^doas[0-9a-f]{6}n\d+$/.test(n))) {
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
  if (/^doas[0-9a-f]{6}$/.test(net.bridge)) {
    await run('ip', ['link', 'delete', net.bridge]).catch(() => undefined);
  }
  await fsp.rm(path.join(dir, NET_FILE), { force: true });
}

/** The daemon folders of a swarm harness in `dir`, for cleaning up after a killed run. */
export async function swarmDaemonDirs(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir).catch(() => [] as string[]);
  return entries.filter((n) => /^n\d+$/.test(n)).map((n) => path.join(dir, n));
}

export interface SwarmHostsOptions {
  /** Starts a registry the nodes can pull from; see {@link SwarmHosts.registry}. */
  registry?: Omit<RegistryOptions, 'host'>;
}

/** Starts `count` hosts in `dir` (short, below the run's /tmp root). On failure, all of it is undone. */
export async function startSwarmHosts(dir: string, count = 3, options: SwarmHostsOptions = {}): Promise<SwarmHosts> {
  await fsp.mkdir(dir, { recursive: true });
  const id = randomBytes(3).toString('hex');
  const prefix = await freeSubnet();
  const net: SwarmNetwork = { bridge: `doas${id}`, namespaces: [], veths: [] };
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const addresses = names.map((_, i) => `${prefix}.${11 + i}`);
  const daemons: DockerdHandle[] = [];
  let registry: RegistryHandle | undefined;
  const stop = async () => {
    await Promise.allSettled([...daemons.map((d) => d.stop()), registry?.stop()]);
    await deleteSwarmNetwork(dir);
  };
  try {
    const certs = await makeTlsMaterial(path.join(dir, 'certs'), addresses);
    await fsp.writeFile(path.join(dir, NET_FILE), JSON.stringify(net));
    await run('ip', ['link', 'add', 'name', net.bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${prefix}.1/24`, 'dev', net.bridge]);
    await run('ip', ['link', 'set', net.bridge, 'up']);
    for (const [i, name] of names.entries()) {
      const ns = `doas${id}${name}`;
      const veth = `doas${id}v${i + 1}`;
      net.namespaces.push(ns);
      net.veths.push(veth);
      await fsp.writeFile(path.join(dir, NET_FILE), JSON.stringify(net));
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run('ip', ['link', 'set', veth, 'master', net.bridge, 'up']);
      await inNamespace(ns, 'ip', ['addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0']);
      await inNamespace(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      await inNamespace(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    if (options.registry) {
      registry = await startRegistry({ ...options.registry, host: `${prefix}.1` });
    }
    await startEvery(
      names.map((name, i) =>
        startDockerd({
          dir: path.join(dir, name),
          netns: net.namespaces[i],
          hostname: name,
          // A host of its own has an engine identity of its own, not the machine's /etc/docker/key.json.
          daemonConfig: {
            'deprecated-key-path': path.join(dir, name, 'key.json'),
            ...(registry ? { 'insecure-registries': [registry.address] } : {}),
          },
          tcpTls: { address: addresses[i], port: DAEMON_PORT, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
        }),
      ),
      daemons,
    );
    await Promise.all(daemons.map((d) => importBusybox(d.socketPath)));
    const hosts: SwarmHost[] = names.map((name, i) => ({
      name,
      address: addresses[i],
      tls: { host: addresses[i], port: DAEMON_PORT, ca: certs.ca, cert: certs.cert, key: certs.key },
      daemon: daemons[i],
      netns: net.namespaces[i],
    }));
    return {
      dir,
      hosts,
      registry,
      async blockOutgoing(host, port) {
        const rule = (op: string) => [
          '-w',
          op,
          'OUTPUT',
          '-p',
          'tcp',
          '-d',
          `${prefix}.0/24`,
          '--dport',
          String(port),
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        ];
        await inNamespace(host.netns, 'iptables', rule('-I'));
        return { unblock: async () => void (await inNamespace(host.netns, 'iptables', rule('-D'))) };
      },
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
