import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTlsMaterial } from './certs';

// ---------------------------------------------------------------------------
// Small process / command helpers
// ---------------------------------------------------------------------------

// dockerd, sshd and ip live in sbin directories, which a non-login or non-root PATH may lack;
// dockerd also looks up docker-proxy, containerd and runc through PATH.
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const d of SYSTEM_PATH) {
    if (!dirs.includes(d)) {
      dirs.push(d);
    }
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirs.join(':'), ...extra };
  // A developer's own Docker settings must not redirect the CLI away from the test daemons.
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) {
    if (!(k in extra)) {
      delete env[k];
    }
  }
  return env;
}

/** Absolute path of an executable found on PATH (plus the sbin directories), or undefined. */
export function which(cmd: string): string | undefined {
  for (const d of (toolEnv().PATH ?? '').split(':')) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) {
        return p;
      }
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a command to completion; rejects with its stderr when it exits non-zero. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? toolEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) {
        resolve({ stdout, stderr });
      } else {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${how}\n${stderr.trim()}`));
      }
    });
    child.stdin.on('error', () => {
      /* the command may exit without reading its input */
    });
    child.stdin.end(opts.input);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may itself contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      // exited meanwhile
    }
    return { pid, state: rest[0], ppid: Number(rest[1]), cmdline };
  } catch {
    return undefined;
  }
}

function listProcesses(): ProcInfo[] {
  const result: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const p = readProc(Number(name));
      if (p) {
        result.push(p);
      }
    }
  }
  return result;
}

// Zombies count as dead: their parent (often init, here a slow reaper) owns them now.
function isAlive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

function descendants(pid: number, procs = listProcesses()): number[] {
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of procs) {
      if (p.ppid === parent && !result.includes(p.pid)) {
        result.push(p.pid);
        queue.push(p.pid);
      }
    }
  }
  return result;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(100);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** SIGTERM, then SIGKILL whatever is still alive after `graceMs`. */
async function terminate(pids: number[], graceMs: number): Promise<void> {
  const targets = pids.filter((p) => p > 1 && p !== process.pid);
  signal(targets, 'SIGTERM');
  const survivors = await waitForExit(targets, graceMs);
  if (survivors.length > 0) {
    signal(survivors, 'SIGKILL');
    const stuck = await waitForExit(survivors, 5000);
    if (stuck.length > 0) {
      throw new Error(`processes ${stuck.join(', ')} survived SIGKILL`);
    }
  }
}

function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function logTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Lazily unmounts everything mounted at or below `dir`, deepest first. dockerd leaves its
 * data-root bind mount behind even after a clean shutdown, and a crashed one leaves overlay
 * and netns mounts: all of them would make removing the directory fail.
 */
export async function unmountUnder(dir: string): Promise<void> {
  let info: string;
  try {
    info = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => Boolean(p))
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const p of [...new Set(points)]) {
    try {
      await run('umount', ['-l', p]);
    } catch {
      // already gone with its parent
    }
  }
}

// ---------------------------------------------------------------------------
// dockerd
// ---------------------------------------------------------------------------

export interface TcpTlsListener {
  port: number;
  ca: string;
  cert: string;
  key: string;
}

export interface DockerdOptions {
  /** Holds everything of this daemon: data, exec root, socket, pidfile, log. Keep it short. */
  dir: string;
  /** Also listen on tcp://127.0.0.1:port with mutual TLS (like a provisioned remote host). */
  tcpTls?: TcpTlsListener;
  /**
   * Give the daemon a bridge network of its own so containers get an IP and `-p` works.
   * Off by default: extra daemons run with `--bridge none`.
   */
  bridge?: boolean;
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
}

/** Sends one request to the Engine API over a unix socket. */
function engineRequest(socketPath: string, method: string, urlPath: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function ping(socketPath: string): Promise<boolean> {
  try {
    const r = await engineRequest(socketPath, 'GET', '/_ping', 2000);
    return r.status === 200;
  } catch {
    return false;
  }
}

const BRIDGE_FILE = 'bridge';

/**
 * Creates a bridge with a free 172.31.x.0/24 for one daemon. A bridge of its own (instead of
 * docker0 + --bip) cannot collide with a system Docker's docker0 or with another test daemon.
 */
async function createBridge(dir: string): Promise<string> {
  const name = 'doa' + randomBytes(3).toString('hex');
  const [addrs, routes] = await Promise.all([run('ip', ['-o', '-4', 'addr', 'show']), run('ip', ['-o', '-4', 'route', 'show'])]);
  const used = addrs.stdout + routes.stdout;
  let third: number | undefined;
  for (let x = 250; x >= 200; x--) {
    if (!used.includes(`172.31.${x}.`)) {
      third = x;
      break;
    }
  }
  if (third === undefined) {
    throw new Error('no free 172.31.200-250.0/24 subnet for a test bridge');
  }
  await fsp.writeFile(path.join(dir, BRIDGE_FILE), name);
  await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `172.31.${third}.1/24`, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
  return name;
}

async function deleteBridge(dir: string): Promise<void> {
  const file = path.join(dir, BRIDGE_FILE);
  let name: string;
  try {
    name = (await fsp.readFile(file, 'utf8')).trim();
  } catch {
    return;
  }
  if (/^doa[0-9a-f]{6}$/.test(name)) {
    await run('ip', ['link', 'delete', name]).catch(() => undefined);
  }
  await fsp.rm(file, { force: true });
}

/**
 * Kills whatever a dockerd in `dir` may have left: containerd and shims (their command lines
 * name the exec root), and container processes (their cgroup names a container id of this
 * daemon). Needed after a crash, and as a safety net after a clean stop.
 */
async function sweepDaemonLeftovers(dir: string, extraPids: number[] = []): Promise<void> {
  let ids: string[] = [];
  try {
    ids = (await fsp.readdir(path.join(dir, 'data', 'containers'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    // no containers ever
  }
  const procs = listProcesses().filter((p) => p.pid !== process.pid && p.state !== 'Z');
  const byCmdline = procs.filter((p) => p.cmdline.includes(dir + '/')).map((p) => p.pid);
  const inContainers: number[] = [];
  if (ids.length > 0) {
    for (const p of procs) {
      try {
        const cg = fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8');
        if (ids.some((id) => cg.includes(id))) {
          inContainers.push(p.pid);
        }
      } catch {
        // exited meanwhile
      }
    }
  }
  // Container processes first: a container's init outlives its killed shim (it is reparented
  // to init), so shims going first would orphan the containers.
  if (inContainers.length > 0) {
    signal(inContainers, 'SIGKILL');
    await waitForExit(inContainers, 5000);
  }
  const rest = [...new Set([...byCmdline, ...extraPids])].filter(isAlive);
  if (rest.length > 0) {
    await terminate(rest, 5000);
  }
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

  constructor(private readonly opts: DockerdOptions) {
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
    // Our own (empty) config: /etc/docker/daemon.json of a developer machine may set hosts or data-root.
    await fsp.writeFile(configFile, '{}\n');
    const args = [
      '--data-root',
      path.join(d, 'data'),
      '--exec-root',
      path.join(d, 'exec'),
      '-H',
      this.host,
      '--pidfile',
      this.pidFile,
      '--config-file',
      configFile,
      // Leave the host's firewall and sysctls alone: -p still works through docker-proxy
      // for 127.0.0.1, and no test needs masquerading (there is no internet anyway).
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
    ];
    if (this.opts.bridge) {
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
    const tls = this.opts.tcpTls;
    if (tls) {
      args.push('-H', `tcp://127.0.0.1:${tls.port}`, '--tlsverify', '--tlscacert', tls.ca, '--tlscert', tls.cert, '--tlskey', tls.key);
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
    const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', log, log], env: toolEnv() });
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
  const d = new Dockerd(opts);
  // The longest socket dockerd makes below its dir; sun_path holds 107 bytes plus NUL.
  const longest = path.join(d.dir, 'exec', 'containerd', 'containerd.sock.ttrpc');
  if (Buffer.byteLength(longest) > 107) {
    throw new Error(`dockerd dir ${d.dir} is too long for its unix sockets (108-byte limit): use a short dir under /tmp`);
  }
  await d.launch();
  return d;
}

// ---------------------------------------------------------------------------
// Base image
// ---------------------------------------------------------------------------

const BUSYBOX_APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'sleep',
  'httpd',
  'wget',
  'id',
  'ps',
  'top',
  'env',
  'hostname',
  'true',
  'false',
  // A few more so tests can write small shell scripts without rebuilding the image.
  'mkdir',
  'rm',
  'cp',
  'mv',
  'ln',
  'touch',
  'chmod',
  'grep',
  'sed',
  'head',
  'tail',
  'wc',
  'kill',
  'nc',
  'date',
  'uname',
  'printf',
  'test',
  '[',
];

export const BASE_IMAGE = 'local/busybox:1';

/** Imports a busybox-static image as `tag` into the daemon at `socketPath` (no registry is reachable). */
export async function importBusybox(socketPath: string, tag = BASE_IMAGE): Promise<void> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) {
    throw new Error('busybox not found: run `bash scripts/ensure-test-deps.sh` (busybox-static)');
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'doa-rootfs-'));
  try {
    const root = path.join(tmp, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'root']) {
      await fsp.mkdir(path.join(root, d), { recursive: true });
    }
    await fsp.chmod(path.join(root, 'tmp'), 0o1777);
    await fsp.copyFile(busybox, path.join(root, 'bin', 'busybox'));
    await fsp.chmod(path.join(root, 'bin', 'busybox'), 0o755);
    for (const a of BUSYBOX_APPLETS) {
      await fsp.symlink('busybox', path.join(root, 'bin', a));
    }
    await fsp.writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await fsp.writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\n');
    await run('bash', [
      '-o',
      'pipefail',
      '-c',
      'tar --numeric-owner --owner=0 --group=0 -C "$1" -c . | docker -H "$2" import --change \'CMD ["sh"]\' - "$3"',
      'import',
      root,
      `unix://${socketPath}`,
      tag,
    ]);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// sshd
// ---------------------------------------------------------------------------

export interface SshdOptions {
  dir: string;
  port: number;
  /** The daemon `docker system dial-stdio` reaches in the ssh session (via DOCKER_HOST). */
  dockerSocketPath: string;
}

export interface SshdHandle {
  host: '127.0.0.1';
  port: number;
  user: 'root';
  /** Private key (ed25519, no passphrase) whose public half is the only authorized key. */
  identityFile: string;
  /** known_hosts holding `[127.0.0.1]:PORT ssh-ed25519 AAAA...` for this server. */
  knownHostsFile: string;
  /** `ssh-ed25519 AAAA...` */
  hostKeyPublic: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once('data', (b: Buffer) => done(b.toString().startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

/** Starts a private OpenSSH server on 127.0.0.1:port that accepts only a freshly made key for root. */
export async function startSshd(opts: SshdOptions): Promise<SshdHandle> {
  const sshd = which('sshd');
  if (!sshd) {
    throw new Error('sshd not found: run `bash scripts/ensure-test-deps.sh` (openssh-server)');
  }
  const { dir, port } = opts;
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // Privilege separation directory, normally made by the init script.
  await fsp.mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const identityFile = path.join(dir, 'id_ed25519');
  await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'doa-test-host', '-f', hostKey]),
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'doa-test-client', '-f', identityFile]),
  ]);
  const hostKeyPublic = (await fsp.readFile(hostKey + '.pub', 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await fsp.copyFile(identityFile + '.pub', authorizedKeys);
  const knownHostsFile = path.join(dir, 'known_hosts');
  await fsp.writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostKeyPublic}\n`);

  const config = path.join(dir, 'sshd_config');
  const pidFile = path.join(dir, 'sshd.pid');
  const logFile = path.join(dir, 'sshd.log');
  await fsp.writeFile(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      // The key files live under /tmp, which is world-writable: StrictModes would refuse them.
      'StrictModes no',
      // PAM's session modules (pam_loginuid) fail inside containers and VMs without a login manager.
      'UsePAM no',
      `SetEnv DOCKER_HOST=unix://${opts.dockerSocketPath}`,
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'PrintMotd no',
      'PrintLastLog no',
      // Tests may open many connections at once; the default 10:30:100 drops some of them.
      'MaxStartups 100',
      'MaxSessions 100',
      'LogLevel VERBOSE',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );

  const log = fs.openSync(logFile, 'a');
  // -D: stay in the foreground so we own the pid; sshd needs an absolute path to re-exec itself.
  const child = spawn(sshd, ['-D', '-f', config, '-E', logFile], {
    detached: true,
    stdio: ['ignore', log, log],
    env: toolEnv(),
  });
  fs.closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  child.unref();

  const stop = async () => {
    const pid = readPidFile(pidFile) ?? child.pid;
    if (pid === undefined || !isAlive(pid)) {
      return;
    }
    // Session processes outlive the listener, so take the whole tree down.
    await terminate([pid, ...descendants(pid)], 5000);
  };

  const deadline = Date.now() + 20_000;
  while (!(await sshBanner(port))) {
    if (exited) {
      throw new Error(`sshd exited during startup:\n${logTail(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sshd not answering on 127.0.0.1:${port} after 20 s:\n${logTail(logFile)}`);
    }
    await sleep(100);
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'root',
    identityFile,
    knownHostsFile,
    hostKeyPublic,
    pid: readPidFile(pidFile) ?? child.pid ?? 0,
    logFile,
    stop,
  };
}

// ---------------------------------------------------------------------------
// The whole environment
// ---------------------------------------------------------------------------

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
    const started = await Promise.allSettled([
      startDockerd({ dir: path.join(rootDir, 'main'), bridge: true }),
      startDockerd({
        dir: path.join(rootDir, 'tls'),
        tcpTls: { port: tlsPort, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
      }),
    ]);
    for (const r of started) {
      if (r.status === 'fulfilled') {
        daemons.push(r.value);
      }
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
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
        host: sshd.host,
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
    const sshPid = readPidFile(path.join(root, 'ssh', 'sshd.pid'));
    if (sshPid !== undefined && isAlive(sshPid) && readProc(sshPid)?.cmdline.includes(root + '/')) {
      await terminate([sshPid, ...descendants(sshPid)], 5000).catch(() => undefined);
    }
    for (const sub of ['main', 'tls']) {
      const dir = path.join(root, sub);
      const pid = readPidFile(path.join(dir, 'docker.pid'));
      if (pid !== undefined && isAlive(pid) && readProc(pid)?.cmdline.includes(dir + '/')) {
        await terminate([pid], 30_000).catch(() => undefined);
      }
      await sweepDaemonLeftovers(dir).catch(() => undefined);
      await unmountUnder(dir);
      await deleteBridge(dir).catch(() => undefined);
    }
    await unmountUnder(root);
    await fsp.rm(root, { recursive: true, force: true }).catch(() => undefined);
    cleaned.push(root);
  }
  return cleaned;
}
