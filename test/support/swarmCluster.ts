/**
 * Hosts for a real multi-node swarm: N dockerd instances, each in a network namespace of its own,
 * joined by a private bridge in the root namespace. Each is reached like a provisioned host, on
 * tcp://<its address>:2376 with mutual TLS, and has the busybox base image (nothing can be pulled).
 * They are not in a swarm yet: making one is the product's job.
 *
 * The bridge and namespaces are a {@link PrivateNetwork} recorded in `net.json`, so a run killed
 * half way is cleaned up by the next one ({@link cleanupStaleRuns}).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import Dockerode from 'dockerode';
import * as path from 'node:path';
import { importBusybox } from './busyboxImage';
import { makeTlsMaterial } from './certs';
import { startDockerd, type DockerdHandle } from './dockerd';
import { deletePrivateNetwork, inNamespace, PrivateNetwork } from './privateNetwork';
import { run, startEvery } from './processes';
import { startRegistry, type RegistryHandle, type RegistryOptions } from './registry';

const NET_FILE = 'net.json';
const DAEMON_PORT = 2376;

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

/** Removes the namespaces and bridge of the harness in `dir`, once its daemons have exited. */
export function deleteSwarmNetwork(dir: string): Promise<void> {
  return deletePrivateNetwork(path.join(dir, NET_FILE));
}

/** The folders below `root` that hold a swarm harness, whatever the test named them. */
export async function swarmHarnessDirs(root: string): Promise<string[]> {
  const entries = await fsp.readdir(root).catch(() => [] as string[]);
  const dirs = entries.map((n) => path.join(root, n));
  const found = await Promise.all(
    dirs.map((d) =>
      fsp.access(path.join(d, NET_FILE)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return dirs.filter((_, i) => found[i]);
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
  const prefix = await freeSubnet();
  const net = new PrivateNetwork(path.join(dir, NET_FILE), 's');
  const namespaces: string[] = [];
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
    const bridge = await net.addBridge(`${prefix}.1/24`);
    for (const i of names.keys()) {
      namespaces.push(await net.addNode(bridge, `${addresses[i]}/24`));
    }
    if (options.registry) {
      registry = await startRegistry({ ...options.registry, host: `${prefix}.1` });
    }
    await startEvery(
      names.map((name, i) =>
        startDockerd({
          dir: path.join(dir, name),
          netns: namespaces[i],
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
      netns: namespaces[i],
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

/** The node's daemon over mutual TLS, as a provisioned host is reached. */
export function swarmEngine(h: SwarmHost): Dockerode {
  return new Dockerode({
    protocol: 'https',
    host: h.address,
    port: h.tls.port,
    ca: fs.readFileSync(h.tls.ca),
    cert: fs.readFileSync(h.tls.cert),
    key: fs.readFileSync(h.tls.key),
  });
}
