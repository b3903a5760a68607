/**
 * Virtual networks as real networks (`startArmEmulator({ bootDockerHosts: true, privateNetworks: true })`).
 *
 * Real Azure: the VMs of one virtual network reach each other at their NICs' private addresses;
 * from outside, a VM is reached at its public IP, which Azure translates to the private address.
 * Here: every virtual network is a bridge with no address on this machine (VNets of several
 * emulators may all be 10.0.0.0/16), every booted VM a network namespace on it whose eth0 has the
 * NIC's private address, and its dockerd runs there. The VM's public (loopback) address forwards
 * TCP to the private address: a listener there pipes into a unix socket that a forwarder inside
 * the namespace connects on (unix sockets cross namespaces; see namespaceForwarder.ts).
 *
 * Every network is a {@link PrivateNetwork} recorded under /tmp/arm-emulator-netns with the daemon
 * folders in it: a run killed half way is cleaned up by the next emulator that starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { sweepDaemonLeftovers, unmountUnder } from '../dockerdCleanup';
import { deletePrivateNetwork, PrivateNetwork, readPrivateNetwork } from '../privateNetwork';
import { isAlive, readPidFile, readProc, terminate } from '../processes';

const RECORDS = '/tmp/arm-emulator-netns';

export interface Forwarding {
  close(): Promise<void>;
}

export class VnetNamespaces {
  private readonly network: PrivateNetwork;
  private readonly bridges = new Map<string, Promise<string>>();
  private readonly ready: Promise<void>;

  constructor() {
    this.network = new PrivateNetwork(path.join(RECORDS, `${process.pid}-${randomBytes(3).toString('hex')}.json`), 'e');
    this.ready = fsp.mkdir(RECORDS, { recursive: true }).then(() => cleanupStaleNetworks());
  }

  /** A namespace on the virtual network's bridge whose eth0 has `address` (CIDR). */
  async attach(vnetId: string, address: string): Promise<string> {
    await this.ready;
    const key = vnetId.toLowerCase();
    let bridge = this.bridges.get(key);
    if (!bridge) {
      bridge = this.network.addBridge();
      this.bridges.set(key, bridge);
    }
    return this.network.addNode(await bridge, address);
  }

  /** Only once the daemon in it has exited. */
  async detach(ns: string, daemonDir?: string): Promise<void> {
    await this.network.removeNode(ns);
    if (daemonDir) {
      await this.network.forgetDaemon(daemonDir);
    }
  }

  recordDaemon(dir: string): Promise<void> {
    return this.network.recordDaemon(dir);
  }

  /** Connections to publicAddress:port (each port) go on to privateAddress:port inside `ns`. */
  async forward(ns: string, privateAddress: string, publicAddress: string, ports: number[], socketDir: string): Promise<Forwarding> {
    const helper = spawn(
      'nsenter',
      [
        `--net=/var/run/netns/${ns}`,
        process.execPath,
        path.join(__dirname, 'namespaceForwarder.js'),
        socketDir,
        privateAddress,
        ...ports.map(String),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const servers: net.Server[] = [];
    const close = async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await stopHelper(helper);
    };
    try {
      await new Promise<void>((resolve, reject) => {
        helper.stdout!.once('data', () => resolve());
        helper.once('exit', (code) => reject(new Error(`the forwarder into ${ns} exited (${code}) before it was ready`)));
        helper.once('error', reject);
      });
      for (const port of ports) {
        const server = net.createServer((client) => {
          const upstream = net.connect(path.join(socketDir, `fwd-${port}.sock`));
          client.pipe(upstream).pipe(client);
          client.on('error', () => upstream.destroy());
          upstream.on('error', () => client.destroy());
          // A client that closes its side is done; half-open connections would keep the server from closing.
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
        });
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: publicAddress, port, exclusive: true }, () => resolve());
        });
      }
    } catch (e) {
      await close();
      throw e;
    }
    return { close };
  }

  /** Removes the bridges and the record; every VM must have been detached first. */
  async stop(): Promise<void> {
    await this.ready;
    await this.network.delete();
  }
}

function stopHelper(helper: ChildProcess): Promise<void> {
  if (helper.exitCode !== null || helper.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    helper.once('exit', () => resolve());
    helper.kill('SIGTERM');
  });
}

/** Networks of emulators that died: their daemons stopped, their folders and links removed. */
async function cleanupStaleNetworks(): Promise<void> {
  for (const name of await fsp.readdir(RECORDS).catch(() => [] as string[])) {
    const file = path.join(RECORDS, name);
    const record = await readPrivateNetwork(file);
    if (!record || (record.owner !== undefined && isAlive(record.owner))) {
      continue;
    }
    for (const dir of record.daemonDirs.filter((d) => /^\/tmp\/vmd-[^/]+$/.test(d))) {
      const pid = readPidFile(path.join(dir, 'docker.pid'));
      if (pid !== undefined && isAlive(pid) && readProc(pid)?.cmdline.includes(dir + '/')) {
        await terminate([pid], 30_000).catch(() => undefined);
      }
      await sweepDaemonLeftovers(dir).catch(() => undefined);
      await unmountUnder(dir);
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    await deletePrivateNetwork(file);
  }
}
