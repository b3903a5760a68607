/** Private dockerd instances: start, stop, crash (kill) and restart. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { BRIDGE_FILE, createBridge, deleteBridge } from './dockerBridge';
import { sweepDaemonLeftovers, unmountUnder } from './dockerdCleanup';
import { engineRequest, ping } from './engineApi';
import { descendants, isAlive, logTail, readPidFile, run, signal, sleep, terminate, toolEnv, waitForExit, which } from './processes';

export interface TcpTlsListener {
  port: number;
  /** Where to listen; 127.0.0.1 unless given (a swarm node listens on its namespace's address). */
  address?: string;
  ca: string;
  cert: string;
  key: string;
}

export interface DockerdOptions {
  /** Holds everything of this daemon: data, exec root, socket, pidfile, log. Keep it short. */
  dir: string;
  /** Also listen on tcp://ADDRESS:port with mutual TLS (like a provisioned remote host). */
  tcpTls?: TcpTlsListener;
  /**
   * Give the daemon a bridge network of its own so containers get an IP and `-p` works.
   * Off by default: extra daemons run with `--bridge none`.
   */
  bridge?: boolean;
  /**
   * Settings for the daemon's own daemon.json (default: none, so a developer machine's
   * /etc/docker/daemon.json cannot leak in), e.g. what cloud-init wrote for an emulated VM.
   * `hosts` given here are listened on besides the unix socket, which then moves into the file as
   * well: dockerd refuses a directive given both as a flag and in the file. For the same reason it
   * must not set what the flags set (data-root, exec-root, pidfile, bridge, iptables, ip-masq,
   * ip-forward), nor be combined with `tcpTls` when it sets `hosts`.
   */
  daemonConfig?: Record<string, unknown>;
  /**
   * Run inside this network namespace (`/var/run/netns/NAME`), like a host of its own. The daemon
   * then keeps its default bridge and iptables: the namespace has its own tables, and swarm's
   * overlay networks and host-mode ports need them. `bridge` is ignored.
   */
  netns?: string;
  /** With `netns`: the host name the daemon reports (a swarm node's name), in a UTS namespace of its own. */
  hostname?: string;
}

export interface DockerdHandle {
  readonly socketPath: string;
  /** `unix://` + socketPath, the DOCKER_HOST form. */
  readonly host: string;
  readonly dir: string;
  /** Current dockerd pid (changes on restart). */
  readonly pid: number;
  readonly tcpPort?: number;
  readonly logFile: string;
  /** Stops containers, dockerd and its containerd; unmounts; nothing of it keeps running. */
  stop(): Promise<void>;
  /** SIGKILLs dockerd like a crash. Its containerd dies with it; shims and containers stay until restart/stop. */
  kill(): Promise<void>;
  /** Stops dockerd gracefully if running, then starts it again with the same arguments and data. */
  restart(): Promise<void>;
  /** The daemon.json settings the next restart starts with, as a VM's dockerd rereads its file. */
  setDaemonConfig(config: Record<string, unknown>): void;
}

class Dockerd implements DockerdHandle {
  readonly socketPath: string;
  readonly host: string;
  readonly logFile: string;
  readonly tcpPort?: number;
  readonly dir: string;
  private readonly pidFile: string;
  private currentPid = 0;
  private childExited = false;

  constructor(private opts: DockerdOptions) {
    // The sweep on stop matches command lines by this path, so it must be absolute.
    const dir = path.resolve(opts.dir);
    this.dir = dir;
    this.socketPath = path.join(dir, 'docker.sock');
    this.host = `unix://${this.socketPath}`;
    this.pidFile = path.join(dir, 'docker.pid');
    this.logFile = path.join(dir, 'dockerd.log');
    this.tcpPort = opts.tcpTls?.port;
  }

  get pid(): number {
    return this.currentPid;
  }

  private async args(): Promise<string[]> {
    const d = this.dir;
    const configFile = path.join(d, 'daemon.json');
    // Our own config: /etc/docker/daemon.json of a developer machine may set hosts or data-root.
    const config = { ...this.opts.daemonConfig };
    const hostsInFile = Array.isArray(config.hosts);
    if (hostsInFile) {
      config.hosts = [this.host, ...(config.hosts as unknown[])];
    }
    await fsp.writeFile(configFile, JSON.stringify(config) + '\n');
    const args = [
      '--data-root',
      path.join(d, 'data'),
      '--exec-root',
      path.join(d, 'exec'),
      ...(hostsInFile ? [] : ['-H', this.host]),
      '--pidfile',
      this.pidFile,
      '--config-file',
      configFile,
    ];
    if (this.opts.netns) {
      // Nothing to protect: the namespace's firewall and sysctls are its own.
    } else if (this.opts.bridge) {
      let name: string | undefined;
      try {
        name = (await fsp.readFile(path.join(d, BRIDGE_FILE), 'utf8')).trim();
        await run('ip', ['link', 'show', name]);
      } catch {
        name = await createBridge(d);
      }
      args.push('--bridge', name);
    } else {
      args.push('--bridge', 'none');
    }
    if (!this.opts.netns) {
      // Leave the host's firewall and sysctls alone: -p still works through docker-proxy
      // for 127.0.0.1, and no test needs masquerading (there is no internet anyway).
      args.push('--iptables=false', '--ip-masq=false', '--ip-forward=false');
    }
    const tls = this.opts.tcpTls;
    if (tls) {
      args.push(
        '-H',
        `tcp://${tls.address ?? '127.0.0.1'}:${tls.port}`,
        '--tlsverify',
        '--tlscacert',
        tls.ca,
        '--tlscert',
        tls.cert,
        '--tlskey',
        tls.key,
      );
    }
    return args;
  }

  async launch(): Promise<void> {
    const dockerd = which('dockerd');
    if (!dockerd) {
      throw new Error('dockerd not found: run `bash scripts/ensure-test-deps.sh`');
    }
    await fsp.mkdir(this.dir, { recursive: true });
    // After a crash the dead containerd lingers as a zombie until init reaps it, and dockerd
    // (checking with kill(pid, 0)) would wait for it instead of starting a new one.
    for (const f of [this.pidFile, path.join(this.dir, 'exec', 'containerd', 'containerd.pid')]) {
      const pid = readPidFile(f);
      if (pid !== undefined && !isAlive(pid)) {
        await fsp.rm(f, { force: true });
      }
    }
    const args = await this.args();
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `\n=== ${new Date().toISOString()} dockerd ${args.join(' ')}\n`);
    // Own process group: a Ctrl-C in the terminal goes to the runner, which then stops us in order.
    // nsenter, not `ip netns exec`: that remounts /sys, and dockerd then finds no cgroup mounts.
    // Each command execs the next, so the child's pid is dockerd's.
    const [cmd, cmdArgs] = this.opts.netns
      ? [
          'nsenter',
          [
            `--net=/var/run/netns/${this.opts.netns}`,
            ...(this.opts.hostname ? ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', this.opts.hostname] : []),
            dockerd,
            ...args,
          ],
        ]
      : [dockerd, args];
    const child = spawn(cmd, cmdArgs, { detached: true, stdio: ['ignore', log, log], env: toolEnv() });
    fs.closeSync(log);
    this.childExited = false;
    child.on('exit', () => {
      this.childExited = true;
    });
    child.on('error', () => {
      this.childExited = true;
    });
    child.unref();
    this.currentPid = child.pid ?? 0;

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.childExited) {
        await this.stop().catch(() => undefined);
        throw new Error(`dockerd in ${this.dir} exited during startup:\n${logTail(this.logFile)}`);
      }
      if (await ping(this.socketPath)) {
        break;
      }
      if (Date.now() > deadline) {
        await this.stop().catch(() => undefined);
        throw new Error(`dockerd in ${this.dir} not ready after 60 s:\n${logTail(this.logFile)}`);
      }
      await sleep(100);
    }
    this.currentPid = readPidFile(this.pidFile) ?? this.currentPid;
  }

  private daemonPid(): number | undefined {
    const pid = readPidFile(this.pidFile) ?? (this.currentPid || undefined);
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }

  /** SIGTERM dockerd and wait: it stops its containers (up to their stop timeout) and its containerd. */
  private async shutdown(graceMs: number): Promise<number[]> {
    const pid = this.daemonPid();
    if (pid === undefined) {
      return [];
    }
    const children = descendants(pid);
    await terminate([pid], graceMs);
    return children;
  }

  async stop(): Promise<void> {
    let children: number[] = [];
    if (this.daemonPid() !== undefined) {
      // Stop containers with t=0 first: dockerd's own shutdown would give each one 10 s,
      // and busybox as PID 1 ignores SIGTERM.
      try {
        const list = await engineRequest(this.socketPath, 'GET', '/containers/json', 5000);
        const ids = (JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id);
        await Promise.all(ids.map((id) => engineRequest(this.socketPath, 'POST', `/containers/${id}/stop?t=0`, 15000).catch(() => undefined)));
      } catch {
        // daemon not answering: the shutdown and sweep below still clean up
      }
      // User-defined bridge networks keep their br-* interface after dockerd exits.
      try {
        const list = await engineRequest(this.socketPath, 'GET', '/networks', 5000);
        const nets = (JSON.parse(list.body) as Array<{ Id: string; Name: string; Driver: string }>).filter(
          (n) => n.Driver === 'bridge' && n.Name !== 'bridge',
        );
        for (const n of nets) {
          await engineRequest(this.socketPath, 'DELETE', `/networks/${n.Id}`, 10000).catch(() => undefined);
        }
      } catch {
        // best effort, as above
      }
      children = await this.shutdown(30_000);
    }
    await sweepDaemonLeftovers(this.dir, children);
    await unmountUnder(this.dir);
    if (this.opts.bridge) {
      await deleteBridge(this.dir);
    }
  }

  async kill(): Promise<void> {
    const pid = this.daemonPid();
    if (pid === undefined) {
      return;
    }
    signal([pid], 'SIGKILL');
    await waitForExit([pid], 5000);
  }

  setDaemonConfig(config: Record<string, unknown>): void {
    this.opts = { ...this.opts, daemonConfig: config };
  }

  async restart(): Promise<void> {
    if (this.daemonPid() !== undefined) {
      await this.shutdown(30_000);
    } else {
      // After kill() the containers still run under their shims. A new dockerd would stop
      // each with SIGTERM and wait its 10 s stop timeout (busybox as PID 1 ignores SIGTERM);
      // the outcome is the same (exited, restart policies applied) when we kill them first.
      await sweepDaemonLeftovers(this.dir);
    }
    await this.launch();
  }
}

/** Starts a private dockerd (from Debian's docker.io) in `opts.dir` and waits until it answers /_ping. */
export async function startDockerd(opts: DockerdOptions): Promise<DockerdHandle> {
  if (opts.tcpTls && Array.isArray(opts.daemonConfig?.hosts)) {
    throw new Error('startDockerd: give the TCP listener either as tcpTls or in daemonConfig.hosts, not both');
  }
  const d = new Dockerd(opts);
  // The longest socket dockerd makes below its dir; sun_path holds 107 bytes plus NUL.
  const longest = path.join(d.dir, 'exec', 'containerd', 'containerd.sock.ttrpc');
  if (Buffer.byteLength(longest) > 107) {
    throw new Error(`dockerd dir ${d.dir} is too long for its unix sockets (108-byte limit): use a short dir under /tmp`);
  }
  await d.launch();
  return d;
}
