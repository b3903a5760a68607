/** The whole test environment (main daemon, mutual-TLS daemon, sshd) and cleanup after killed runs. */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { BASE_IMAGE, importBusybox } from './busyboxImage';
import { makeTlsMaterial } from './certs';
import { deleteBridge } from './dockerBridge';
import { DockerdHandle, startDockerd } from './dockerd';
import { sweepDaemonLeftovers, unmountUnder } from './dockerdCleanup';
import { descendants, freePort, isAlive, readPidFile, readProc, startEvery, terminate } from './processes';
import { SshdHandle, startSshd } from './sshd';
import { deleteSwarmNetwork, swarmDaemonDirs, swarmHarnessDirs } from './swarmCluster';

/** What tests get (as JSON, through DOA_TEST_ENV): how to reach each real service. */
export interface TestEnvironment {
  rootDir: string;
  /** Main daemon (bridge network, -p works), e.g. /tmp/doa-abc123/main/docker.sock. */
  unixSocket: string;
  /** Second daemon, also on tcp://127.0.0.1:port with mutual TLS; its unix socket is `unixSocket`. */
  tls: {
    host: '127.0.0.1';
    port: number;
    ca: string;
    cert: string;
    key: string;
    /** An unrelated CA: verifying the server with it must fail. */
    wrongCa: string;
    caKey: string;
    unixSocket: string;
  };
  /** sshd whose sessions reach the main daemon (DOCKER_HOST set). */
  ssh: {
    host: '127.0.0.1';
    port: number;
    user: 'root';
    identityFile: string;
    knownHostsFile: string;
    hostKeyPublic: string;
  };
  baseImage: string;
  logs: { main: string; tls: string; sshd: string };
}

/** Marks a root dir as owned by a live runner (see {@link cleanupStaleRuns}). */
export const RUNNER_PID_FILE = 'runner.pid';

export interface RunningTestEnvironment extends TestEnvironment {
  stop(): Promise<void>;
}

async function stopAll(parts: Array<{ stop(): Promise<void> }>): Promise<void> {
  const results = await Promise.allSettled(parts.map((p) => p.stop()));
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  if (errors.length > 0) {
    throw new AggregateError(errors, `stopping the test environment: ${errors.map(String).join('; ')}`);
  }
}

/**
 * Starts the main daemon (unix socket), a mutual-TLS daemon and an sshd in `rootDir`
 * (keep it short, e.g. /tmp/doa-XXXXXX). On failure, whatever was started is stopped again.
 */
export async function startTestEnvironment(rootDir: string): Promise<RunningTestEnvironment> {
  const daemons: DockerdHandle[] = [];
  let sshd: SshdHandle | undefined;
  const stop = async () => {
    // sshd first: its sessions hold connections to the main daemon.
    if (sshd) {
      await stopAll([sshd]);
    }
    await stopAll(daemons);
  };
  try {
    const certs = await makeTlsMaterial(path.join(rootDir, 'certs'));
    const [tlsPort, sshPort] = await Promise.all([freePort(), freePort()]);
    await startEvery(
      [
        startDockerd({ dir: path.join(rootDir, 'main'), bridge: true }),
        startDockerd({
          dir: path.join(rootDir, 'tls'),
          tcpTls: { port: tlsPort, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
        }),
      ],
      daemons,
    );
    const [main, tlsd] = daemons;
    await Promise.all([importBusybox(main.socketPath), importBusybox(tlsd.socketPath)]);
    sshd = await startSshd({ dir: path.join(rootDir, 'ssh'), port: sshPort, dockerSocketPath: main.socketPath });
    return {
      rootDir,
      unixSocket: main.socketPath,
      tls: {
        host: '127.0.0.1',
        port: tlsPort,
        ca: certs.ca,
        cert: certs.cert,
        key: certs.key,
        wrongCa: certs.wrongCa,
        caKey: certs.caKey,
        unixSocket: tlsd.socketPath,
      },
      ssh: {
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.identityFile,
        knownHostsFile: sshd.knownHostsFile,
        hostKeyPublic: sshd.hostKeyPublic,
      },
      baseImage: BASE_IMAGE,
      logs: { main: main.logFile, tls: tlsd.logFile, sshd: sshd.logFile },
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/**
 * Cleans up after runs that were killed before they could stop their services: any
 * /tmp/doa-* root marked by a runner pid that no longer exists.
 */
export async function cleanupStaleRuns(parent = '/tmp'): Promise<string[]> {
  const cleaned: string[] = [];
  let entries: string[];
  try {
    entries = (await fsp.readdir(parent)).filter((n) => n.startsWith('doa-'));
  } catch {
    return cleaned;
  }
  for (const name of entries) {
    const root = path.join(parent, name);
    const owner = readPidFile(path.join(root, RUNNER_PID_FILE));
    if (owner === undefined || isAlive(owner)) {
      continue;
    }
    await removeRunRoot(root);
    cleaned.push(root);
  }
  return cleaned;
}

/**
 * Stops whatever still runs from a runner's root (sshd, the daemons, swarm harnesses and their
 * namespaces), then removes it: for a killed run, and for a runner stopping after its test process
 * was killed mid-file, when the swarm records in the root would otherwise go with it.
 */
export async function removeRunRoot(root: string): Promise<void> {
  // Test files may start their own sshd in an `ssh-*` folder of the run's root.
  const sshDirs = (await fsp.readdir(root).catch(() => [])).filter((n) => n === 'ssh' || n.startsWith('ssh-'));
  for (const sub of sshDirs) {
    const sshPid = readPidFile(path.join(root, sub, 'sshd.pid'));
    if (sshPid !== undefined && isAlive(sshPid) && readProc(sshPid)?.cmdline.includes(root + '/')) {
      await terminate([sshPid, ...descendants(sshPid)], 5000).catch(() => undefined);
    }
  }
  // Swarm harnesses (swarmCluster.ts) keep their daemons in `<dir>/n*` and record their namespaces there.
  const swarmDirs = await swarmHarnessDirs(root);
  const daemonDirs = [path.join(root, 'main'), path.join(root, 'tls')];
  for (const swarmDir of swarmDirs) {
    daemonDirs.push(...(await swarmDaemonDirs(swarmDir)));
  }
  for (const dir of daemonDirs) {
    const pid = readPidFile(path.join(dir, 'docker.pid'));
    if (pid !== undefined && isAlive(pid) && readProc(pid)?.cmdline.includes(dir + '/')) {
      await terminate([pid], 30_000).catch(() => undefined);
    }
    await sweepDaemonLeftovers(dir).catch(() => undefined);
    await unmountUnder(dir);
    await deleteBridge(dir).catch(() => undefined);
  }
  for (const swarmDir of swarmDirs) {
    await deleteSwarmNetwork(swarmDir);
  }
  await unmountUnder(root);
  await fsp.rm(root, { recursive: true, force: true }).catch(() => undefined);
}

