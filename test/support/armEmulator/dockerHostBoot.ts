/**
 * Emulated VMs that are real Docker hosts (`startArmEmulator({ bootDockerHosts: true })`).
 *
 * Real Azure: the product creates a static public IP, reads its address, puts it in the server
 * certificate, and creates the VM with a cloud-config whose `write_files` hold daemon.json and the
 * TLS files; minutes after the VM reports Succeeded, dockerd answers on <address>:2376 with mutual
 * TLS. Here: every new public IP gets a loopback address of its own (127.0.0.N), and when a VM
 * whose cloud-config sets up such a daemon is created, its `write_files` are written below
 * `<emulator dir>/vms/<vm>/` and a real dockerd starts with that daemon.json (paths and addresses
 * moved into the emulator's world) on <address>:2376 — so clients meet the bytes the product
 * generated, as real cloud-init would pass them on. Power actions stop and start it (same data),
 * deleting the VM (or its resource group) removes it, stopping the emulator stops them all.
 * Containers get a bridge of their own, and ports they publish land on the VM's address, as on a VM.
 * With `enforceNetworkSecurityGroups`, that address admits only whom the VM's NSGs let in
 * (nsgEnforcement.ts).
 *
 * A VM whose cloud-config installs Docker with no TCP daemon (SSH mode) gets a dockerd on a private
 * socket and a real sshd on <address>:22 in front of it, as on the VM: its host key is the
 * cloud-config's `ssh_keys` (else one made at first boot and kept), it admits the VM's
 * osProfile public keys for its admin user, whom `runcmd`'s `usermod -aG docker` lets reach the
 * socket. The admin user is made on this machine (`useradd`, as root) if it is missing, as the VM
 * image has it; every emulated VM shares that one account. A cloud-config the VM's
 * Docker would fail on (dockerd refusing daemon.json, a file it names not written) boots nothing
 * and is reported by `failures()`, with the reason the VM would log.
 *
 * A Custom Script extension put on a running VM runs its script as root in the VM's root filesystem
 * (guestRoot.ts). When it succeeds and Docker is enabled there, the VM becomes an SSH-mode host as
 * that filesystem now says: sshd with the VM's own host key, for its admin user with the osProfile
 * keys and those in the user's authorized_keys there, in the docker group if /etc/group there says so.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startDockerd, type DockerdHandle } from '../dockerd';
import { startSshd, type SshdHandle } from '../sshd';
import { unmountUnder } from '../dockerdCleanup';
import {
  cloudConfigFiles,
  dockerTlsDaemon,
  sshGuestConfig,
  underRoot,
  writeFilesUnder,
  type DockerTlsDaemon,
  type SshGuestConfig,
  type WriteFile,
} from './cloudConfig';
import type { EmulatorCore, ExtensionRun, GuestExtension, GuestHooks } from './emulatorCore';
import {
  guestFileExists,
  guestRootDirs,
  osReleaseOf,
  prepareGuestRoot,
  readGuestFile,
  runInGuest,
  type GuestProcess,
  type GuestRootDirs,
} from './guestRoot';
import { isObject, type JsonObject } from './specLibrary';
import { heldByLiveProcess, LoopbackAddresses } from './loopbackAddresses';
import { firewallRules, inboundPath, NsgFirewall, primaryIpConfiguration, sweepStaleFilters } from './nsgEnforcement';
import { arr, props, refId } from './references';
import { sameId } from './armState';
import { VnetNamespaces, type Forwarding } from './vnetNamespaces';
import { run, which } from '../processes';
import { vmState } from './vmViews';

export interface DockerHostBootOptions {
  /** The emulator's folder: each VM's files go below `<dir>/vms/<vm name>/`. */
  dir: string;
  /**
   * How long a booting VM takes from Succeeded (or from a start) to starting dockerd, as real
   * cloud-init takes minutes: tests see the window in which the VM exists but nothing answers. Default 0.
   */
  bootDelayMs?: number;
  /** Let in only what the VMs' network security groups allow (needs iptables). Default false: everyone. */
  enforceNetworkSecurityGroups?: boolean;
  /**
   * Each VM's dockerd runs in a network namespace of its own at its NIC's private address, on a
   * bridge per virtual network, and its public address forwards TCP there (vnetNamespaces.ts).
   * Default false: dockerd runs beside the emulator, on the public address.
   */
  privateNetworks?: boolean;
}

export interface BootedHost {
  vmId: string;
  /** The VM's public IP address, where dockerd listens (127.0.0.N). */
  address: string;
  /** With privateNetworks: the NIC's private address, where the daemon listens in its namespace. */
  privateAddress?: string;
  /** The TCP port(s) daemon.json asked for: 2376 as a rule. */
  ports: number[];
  /** SSH mode: who logs in on <address>:22, and the host key sshd presents (`ssh-ed25519 AAAA…`). */
  ssh?: { user: string; hostKeyPublic: string };
  /** The daemon's unix socket, for setting things up behind the product's back (docker -H unix://...). */
  socketPath: string;
  /** Where the VM's `write_files` were written (`<that>/etc/docker/daemon.json` ...). */
  filesDir: string;
  /** The dockerd's own folder (data, exec root, socket, log, the daemon.json it runs with). */
  daemonDir: string;
  /** Where the VM's disk is, as extension scripts left it (the overlay's upper layer), once a script ran there. */
  rootDir?: string;
}

export interface BootFailure {
  vmId: string;
  error: string;
}

/** The port public IPs are checked for when their address is chosen: Docker's TLS port. */
const DOCKER_TLS_PORT = 2376;

// Settings that describe the machine rather than the daemon's interface: the emulated host shares
// the machine with others, so these stay the test harness's (and dockerd refuses them both as a flag
// startDockerd passes and in the file). `containerd` would point at the machine's own containerd.
const MACHINE_SETTINGS = ['data-root', 'graph', 'exec-root', 'pidfile', 'bridge', 'bip', 'iptables', 'ip-masq', 'ip-forward', 'containerd'];

interface Guest {
  vmId: string;
  address: string;
  files: WriteFile[];
  tls?: DockerTlsDaemon;
  ssh?: SshGuest;
  /** Set up by a Custom Script in the VM's root filesystem, not by cloud-init: a later script may change it. */
  scripted?: boolean;
  filesDir: string;
  daemonDir?: string;
  daemon?: DockerdHandle;
  /** With privateNetworks: the VM's namespace and address on its virtual network, and what forwards to it. */
  lan?: { netns: string; address: string; forwarding?: Forwarding };
  running: boolean;
  gone: boolean;
  /** Boots, stops and removal run one after the other. */
  queue: Promise<void>;
}

interface SshGuest {
  config: SshGuestConfig;
  user: string;
  authorizedKeys: string[];
  dir?: string;
  sshd?: SshdHandle;
}

const SSH_PORT = 22;

export class DockerHostBooter implements GuestHooks {
  private readonly guests = new Map<string, Guest>();
  private readonly addresses = new LoopbackAddresses();
  /** Address -> the public IP it was given to. */
  private readonly issued = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();
  private readonly failed: BootFailure[] = [];
  /** Per VM: its extension scripts run one after the other, and where its root filesystem is. */
  private readonly scripts = new Map<string, Promise<void>>();
  private readonly roots = new Map<string, string>();
  /** Scripts running now: stopping the emulator ends them, as it ends the VMs. */
  private readonly running = new Set<GuestProcess>();
  private readonly abort = new AbortController();
  private readonly firewall?: NsgFirewall;
  private readonly vnets?: VnetNamespaces;
  private closed = false;

  constructor(
    private readonly core: EmulatorCore,
    private readonly opts: DockerHostBootOptions,
  ) {
    if (which('iptables')) {
      // A filter left on an address by a run that crashed would stand between this run and its VM.
      sweepStaleFilters(heldByLiveProcess);
    }
    if (opts.enforceNetworkSecurityGroups) {
      this.firewall = new NsgFirewall();
    }
    if (opts.privateNetworks) {
      this.vnets = new VnetNamespaces();
    }
  }

  // ---- GuestHooks ----

  /**
   * As Azure does, an address whose public IP was deleted goes back to the pool and is handed out
   * again (here: first, so the reuse is seen), with whatever host keys clients remember for it.
   */
  publicIpAddress(pipId: string): string {
    const freed = [...this.issued].find(
      ([address, owner]) => !this.core.state.get(owner) && ![...this.guests.values()].some((g) => g.address === address),
    )?.[0];
    const address = freed ?? this.addresses.allocate(DOCKER_TLS_PORT);
    this.issued.set(address, pipId);
    return address;
  }

  vmCreated(vmId: string): void {
    const vm = this.core.state.get(vmId);
    if (!vm || this.closed) {
      return;
    }
    let files: WriteFile[] | undefined;
    let tls: DockerTlsDaemon | undefined;
    let ssh: SshGuest | undefined;
    let address: string;
    try {
      const customData = vmState(this.core, vm).customData;
      files = cloudConfigFiles(customData);
      tls = files && dockerTlsDaemon(files);
      const sshConfig = files && !tls ? sshGuestConfig(customData) : undefined;
      if (!files || (!tls && !sshConfig)) {
        return;
      }
      if (sshConfig) {
        const os = (props(vm).osProfile ?? {}) as { adminUsername?: string; linuxConfiguration?: { ssh?: { publicKeys?: { keyData?: string }[] } } };
        const keys = (os.linuxConfiguration?.ssh?.publicKeys ?? []).map((k) => k.keyData).filter((k): k is string => !!k);
        ssh = { config: sshConfig, user: String(os.adminUsername), authorizedKeys: keys };
      }
      address = this.publicAddressOf(vmId);
    } catch (e) {
      this.failed.push({ vmId: String(vm.id), error: (e as Error).message });
      return;
    }
    const key = vmId.toLowerCase();
    const g: Guest = {
      vmId: String(vm.id),
      address,
      files,
      tls,
      ssh,
      filesDir: this.folderFor(String(vm.name)),
      running: false,
      gone: false,
      // A VM of the same id deleted just before may still be tearing down its folders.
      queue: this.guests.get(key)?.queue ?? Promise.resolve(),
    };
    this.guests.set(key, g);
    this.enforce(g);
    this.enqueue(g, async () => {
      await fsp.rm(g.filesDir, { recursive: true, force: true });
      await writeFilesUnder(g.filesDir, g.files);
      await this.reconcile(g);
    });
  }

  vmPowerChanged(vmId: string, action: string, succeeded: boolean): void {
    const g = this.guests.get(vmId.toLowerCase());
    if (!g) {
      return;
    }
    if (action === 'restart' && succeeded) {
      this.enqueue(g, () => this.halt(g));
    }
    this.enqueue(g, () => this.reconcile(g));
  }

  vmDeleted(vmId: string): void {
    const key = vmId.toLowerCase();
    const root = this.roots.get(key);
    if (root) {
      this.roots.delete(key);
      const gone = (this.scripts.get(key) ?? Promise.resolve()).then(() => fsp.rm(root, { recursive: true, force: true }));
      this.pending.add(gone);
      void gone.finally(() => this.pending.delete(gone));
    }
    const g = this.guests.get(key);
    if (!g) {
      return;
    }
    g.gone = true;
    // The VM is gone from the state: nothing reaches its address while the daemon winds down.
    this.enforce(g);
    this.enqueue(g, async () => {
      await this.remove(g);
      if (this.guests.get(key) === g) {
        this.guests.delete(key);
      }
      if (![...this.guests.values()].some((other) => !other.gone && other.address === g.address)) {
        this.firewall?.remove(g.address);
      }
    });
  }

  runExtension(vmId: string, ext: GuestExtension): ExtensionRun | undefined {
    const vm = this.core.state.get(vmId);
    if (!vm || this.closed || `${ext.publisher}.${ext.type}`.toLowerCase() !== 'microsoft.azure.extensions.customscript') {
      return undefined;
    }
    let proc: GuestProcess | undefined;
    let result: { exitCode: number; error?: string } | undefined;
    let cancelled = false;
    const run: ExtensionRun = {
      output: () => ({ stdout: proc?.stdout ?? '', stderr: proc?.stderr ?? '' }),
      result: () => result,
      cancel: () => {
        cancelled = true;
        proc?.kill();
      },
    };
    const key = vmId.toLowerCase();
    const work = (this.scripts.get(key) ?? Promise.resolve()).then(async () => {
      try {
        const script = customScriptOf(ext);
        const os = isObject(props(vm).osProfile) ? (props(vm).osProfile as JsonObject) : {};
        const user = String(os.adminUsername);
        const storage = isObject(props(vm).storageProfile) ? (props(vm).storageProfile as JsonObject) : {};
        // The image has its admin user.
        await ensureUser(user, false);
        const root = await prepareGuestRoot(
          this.rootFor(vmId, String(vm.name)),
          osReleaseOf(isObject(storage.imageReference) ? storage.imageReference : {}),
          user,
        );
        if (cancelled) {
          result = { exitCode: 137, error: 'the extension was removed before its command started' };
          return;
        }
        // Where the Linux agent puts a Custom Script's script, and how the handler starts it.
        proc = runInGuest(root, '/var/lib/waagent/custom-script/download/0', script.files, script.command);
        this.running.add(proc);
        const code = await proc.exited;
        this.running.delete(proc);
        result = code === 0 ? { exitCode: 0 } : { exitCode: code, error: `failed to execute command: command terminated with exit status=${code}` };
        if (code === 0 && !cancelled) {
          this.adoptScriptedHost(vmId, root);
        }
      } catch (e) {
        result = { exitCode: 1, error: (e as Error).message };
      }
    });
    this.scripts.set(key, work);
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return run;
  }

  armRequestServed(): void {
    for (const g of this.guests.values()) {
      if (!g.gone) {
        this.enforce(g);
      }
    }
  }

  // ---- for tests, through ArmEmulator ----

  booted(): BootedHost[] {
    return [...this.guests.values()]
      .filter((g) => g.running && g.daemon)
      .map((g) => ({
        vmId: g.vmId,
        address: g.address,
        privateAddress: g.lan?.address,
        ports: listeningPorts(g),
        ssh: g.ssh?.sshd && { user: g.ssh.user, hostKeyPublic: g.ssh.sshd.hostKeyPublic },
        socketPath: g.daemon!.socketPath,
        filesDir: g.filesDir,
        daemonDir: g.daemon!.dir,
        rootDir: this.roots.has(g.vmId.toLowerCase()) ? guestRootDirs(this.roots.get(g.vmId.toLowerCase())!).upper : undefined,
      }));
  }

  failures(): BootFailure[] {
    return this.failed.map((f) => ({ ...f }));
  }

  /** Resolves once no boot, stop or removal is under way. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
  }

  /** Stops every daemon, removes what the VMs had on disk, gives the addresses back. */
  async stop(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    for (const proc of this.running) {
      proc.kill();
    }
    for (const g of this.guests.values()) {
      g.gone = true;
      this.enqueue(g, () => this.remove(g));
    }
    await this.settled();
    this.guests.clear();
    await this.vnets?.stop();
    this.firewall?.removeAll();
    this.addresses.releaseAll();
    await fsp.rmdir(path.join(this.opts.dir, 'vms')).catch(() => undefined);
    await fsp.rm(path.join(this.opts.dir, 'vmroots'), { recursive: true, force: true });
  }

  // ---- the work ----

  private rootFor(vmId: string, name: string): string {
    const key = vmId.toLowerCase();
    let dir = this.roots.get(key);
    if (!dir) {
      const taken = new Set(this.roots.values());
      const base = path.join(this.opts.dir, 'vmroots', name);
      dir = base;
      for (let i = 2; taken.has(dir); i++) {
        dir = `${base}-${i}`;
      }
      this.roots.set(key, dir);
    }
    return dir;
  }

  /** After a script succeeded: the VM serves Docker over SSH as its root filesystem now says, if Docker is enabled there. */
  private adoptScriptedHost(vmId: string, root: GuestRootDirs): void {
    const vm = this.core.state.get(vmId);
    const enabled = guestFileExists(root, '/etc/systemd/system/multi-user.target.wants/docker.service');
    const installed = ['/usr/bin/dockerd', '/usr/sbin/dockerd'].some((p) => guestFileExists(root, p));
    if (!vm || !enabled || !installed || this.closed) {
      return;
    }
    const os = (props(vm).osProfile ?? {}) as { adminUsername?: string; linuxConfiguration?: { ssh?: { publicKeys?: { keyData?: string }[] } } };
    const user = String(os.adminUsername);
    const home =
      (readGuestFile(root, '/etc/passwd') ?? '')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === user)?.[5] ?? `/home/${user}`;
    const added = (readGuestFile(root, `${home}/.ssh/authorized_keys`) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const fromOsProfile = (os.linuxConfiguration?.ssh?.publicKeys ?? []).map((k) => k.keyData).filter((k): k is string => !!k);
    const dockerLine = (readGuestFile(root, '/etc/group') ?? '').split('\n').find((l) => l.startsWith('docker:'));
    const privateKey = readGuestFile(root, '/etc/ssh/ssh_host_ed25519_key');
    const publicKey = readGuestFile(root, '/etc/ssh/ssh_host_ed25519_key.pub');
    const config: SshGuestConfig = {
      hostKey: privateKey && publicKey ? { privateKey, publicKey: publicKey.trim() } : undefined,
      dockerUsers: (dockerLine?.split(':')[3] ?? '').split(',').filter(Boolean),
    };
    const ssh: SshGuest = { config, user, authorizedKeys: [...new Set([...fromOsProfile, ...added])] };
    let files: WriteFile[];
    let tls: DockerTlsDaemon | undefined;
    try {
      files = scriptedDaemonFiles(root);
      tls = dockerTlsDaemon(files);
    } catch (e) {
      this.failed.push({ vmId: String(vm.id), error: (e as Error).message });
      return;
    }
    if (!tls) {
      files = [];
    }
    const key = vmId.toLowerCase();
    const g = this.guests.get(key);
    const same = (a?: SshGuest) =>
      !!a && JSON.stringify([a.config, a.user, a.authorizedKeys]) === JSON.stringify([ssh.config, ssh.user, ssh.authorizedKeys]);
    const fingerprint = (list: WriteFile[]) => JSON.stringify(list.map((f) => [f.path, f.content.toString('base64')]));
    if (g && !g.gone) {
      if (g.tls && !g.scripted) {
        return;
      }
      // A cloud-config SSH host keeps its cloud-init files until a script sets up TLS.
      const daemonChanged = g.scripted ? fingerprint(g.files) !== fingerprint(files) : !!tls;
      if (same(g.ssh) && !daemonChanged) {
        return;
      }
      // sshd, and dockerd if its files changed, start again with what the VM's files say now.
      this.enqueue(g, () => this.halt(g));
      this.enqueue(g, async () => {
        g.ssh = { ...ssh, dir: g.ssh?.dir };
        if (daemonChanged) {
          g.tls = tls;
          g.files = files;
          g.scripted = true;
          await fsp.rm(g.filesDir, { recursive: true, force: true });
          await writeFilesUnder(g.filesDir, g.files);
        }
        await this.reconcile(g);
      });
      return;
    }
    let address: string;
    try {
      address = this.publicAddressOf(vmId);
    } catch (e) {
      this.failed.push({ vmId: String(vm.id), error: (e as Error).message });
      return;
    }
    const guest: Guest = {
      vmId: String(vm.id),
      address,
      files,
      tls,
      ssh,
      scripted: true,
      filesDir: this.folderFor(String(vm.name)),
      running: false,
      gone: false,
      queue: g?.queue ?? Promise.resolve(),
    };
    this.guests.set(key, guest);
    this.enforce(guest);
    this.enqueue(guest, async () => {
      await writeFilesUnder(guest.filesDir, guest.files);
      await this.reconcile(guest);
    });
  }

  /** Brings the VM address's packet filter in line with its NSGs as they are now. */
  private enforce(g: Guest): void {
    try {
      this.firewall?.apply(g.address, firewallRules(g.address, inboundPath(this.core, g.vmId)));
    } catch (e) {
      this.failed.push({ vmId: g.vmId, error: (e as Error).message });
    }
  }

  private enqueue(g: Guest, step: () => Promise<void>): void {
    const p = g.queue.then(step).catch((e: unknown) => {
      this.failed.push({ vmId: g.vmId, error: e instanceof Error ? e.message : String(e) });
    });
    g.queue = p;
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** The daemon runs exactly while the VM exists and is running. */
  private wanted(g: Guest): boolean {
    const vm = this.core.state.get(g.vmId);
    return !this.closed && !g.gone && vm !== undefined && (vmState(this.core, vm).power ?? 'running') === 'running';
  }

  private async reconcile(g: Guest): Promise<void> {
    if (!this.wanted(g)) {
      await this.halt(g);
      return;
    }
    if (g.running) {
      return;
    }
    await this.delay(this.opts.bootDelayMs ?? 0);
    // A deallocate or delete may have come while the VM was "booting".
    if (this.wanted(g)) {
      await this.boot(g);
    }
  }

  private async boot(g: Guest): Promise<void> {
    for (const port of listeningPorts(g)) {
      await checkBindable(g.address, port);
    }
    if (this.vnets && !g.lan) {
      const lan = this.privateAddressOf(g.vmId);
      g.lan = { netns: await this.vnets.attach(lan.vnetId, `${lan.address}/${lan.bits}`), address: lan.address };
    }
    if (g.daemon) {
      // A script may have changed daemon.json since the last boot.
      g.daemon.setDaemonConfig(this.daemonConfig(g));
      await g.daemon.restart();
    } else {
      if (g.daemonDir) {
        // What a boot that failed left (startDockerd already stopped what it started).
        await unmountUnder(g.daemonDir);
        await fsp.rm(g.daemonDir, { recursive: true, force: true });
      }
      // Short, under /tmp: containerd's sockets live below the exec root (108-byte limit).
      g.daemonDir = await fsp.mkdtemp('/tmp/vmd-');
      await this.vnets?.recordDaemon(g.daemonDir);
      g.daemon = await startDockerd({
        dir: g.daemonDir,
        daemonConfig: this.daemonConfig(g),
        bridge: true,
        netns: g.lan?.netns,
        hostname: g.lan ? this.computerName(g.vmId) : undefined,
      });
    }
    if (g.lan && g.tls) {
      g.lan.forwarding = await this.vnets!.forward(g.lan.netns, g.lan.address, g.address, g.tls.ports, g.daemonDir!);
    }
    if (g.ssh) {
      await this.startGuestSshd(g, g.ssh, g.daemon);
    }
    g.running = true;
  }

  /** sshd on the VM's address in front of its dockerd, for its admin user, as cloud-init left it. */
  private async startGuestSshd(g: Guest, ssh: SshGuest, daemon: DockerdHandle): Promise<void> {
    await ensureUser(ssh.user, ssh.config.dockerUsers.includes(ssh.user));
    // The socket lives in the daemon's folder: the admin user must be able to reach it (its mode then decides).
    await fsp.chmod(g.daemonDir!, 0o711);
    ssh.dir ??= await fsp.mkdtemp('/tmp/vms-');
    ssh.sshd = await startSshd({
      dir: ssh.dir,
      port: SSH_PORT,
      listenAddress: g.address,
      dockerSocketPath: daemon.socketPath,
      hostKeyPrivate: ssh.config.hostKey?.privateKey,
      authorizedKeys: ssh.authorizedKeys,
    });
    if (!ssh.config.hostKey) {
      // cloud-init made this key at first boot; the VM keeps it across restarts.
      const privateKey = await fsp.readFile(path.join(ssh.dir, 'ssh_host_ed25519_key'), 'utf8');
      ssh.config = { ...ssh.config, hostKey: { privateKey, publicKey: ssh.sshd.hostKeyPublic } };
    }
  }

  /** daemon.json as the VM has it, with its files and addresses moved into the emulator's world. */
  private daemonConfig(g: Guest): Record<string, unknown> {
    // In its namespace the VM's own interface has the private address, as on Azure.
    const own = g.lan?.address ?? g.address;
    // A VM of its own has an engine identity of its own, not this machine's /etc/docker/key.json.
    const identity = g.lan ? { 'deprecated-key-path': path.join(g.daemonDir!, 'key.json') } : {};
    if (!g.tls) {
      // SSH mode: Docker stays on its socket; published ports land on the VM's address.
      return { ip: own, ...identity };
    }
    const config: Record<string, unknown> = { ...g.tls.daemonJson };
    for (const k of MACHINE_SETTINGS) {
      delete config[k];
    }
    // unix:// entries become the daemon's private socket (startDockerd adds it); tcp ones, the VM's address.
    config.hosts = g.tls.ports.map((p) => `tcp://${own}:${p}`);
    // On the VM, published ports listen on its own interfaces; here that is its address, not every one of this machine.
    config.ip = own;
    Object.assign(config, identity);
    for (const [k, vmPath] of Object.entries(g.tls.tlsFiles)) {
      config[k] = underRoot(g.filesDir, vmPath);
    }
    return config;
  }

  private async halt(g: Guest): Promise<void> {
    if (g.daemon && g.running) {
      g.running = false;
      await g.ssh?.sshd?.stop();
      await g.lan?.forwarding?.close();
      await g.daemon.stop();
    }
  }

  private async remove(g: Guest): Promise<void> {
    try {
      await this.halt(g);
    } finally {
      // stop() also covers a daemon that failed to start half-way (its leftovers and mounts).
      await g.ssh?.sshd?.stop().catch(() => undefined);
      await g.lan?.forwarding?.close().catch(() => undefined);
      await g.daemon?.stop().catch(() => undefined);
      if (g.lan) {
        // Only now: a namespace deleted under a running dockerd leaves it running, unreachable.
        await this.vnets!.detach(g.lan.netns, g.daemonDir);
        g.lan = undefined;
      }
      for (const dir of [g.daemonDir, g.filesDir, g.ssh?.dir]) {
        if (dir) {
          await unmountUnder(dir);
          await fsp.rm(dir, { recursive: true, force: true });
        }
      }
    }
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0 || this.abort.signal.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done);
    });
  }

  /** The address of the public IP on the VM's primary NIC's primary ip configuration. */
  private publicAddressOf(vmId: string): string {
    const vm = this.core.state.get(vmId)!;
    const { ipConfig } = primaryIpConfiguration(this.core, vm);
    const pipId = ipConfig ? refId(props(ipConfig).publicIPAddress) : undefined;
    const address = pipId ? this.core.state.hiddenState<{ address?: string }>(pipId).address : undefined;
    if (!pipId || !address) {
      throw new Error(`VM ${String(vm.name)} has no public IP address: its Docker daemon could not be reached from outside`);
    }
    if (!/^127\./.test(address)) {
      throw new Error(`public IP address ${address} of VM ${String(vm.name)} is not a loopback address the emulator can listen on`);
    }
    return address;
  }

  /** The private address of the VM's primary ip configuration, its virtual network and the subnet's prefix length. */
  private privateAddressOf(vmId: string): { vnetId: string; address: string; bits: number } {
    const vm = this.core.state.get(vmId)!;
    const { ipConfig } = primaryIpConfiguration(this.core, vm);
    const subnetId = ipConfig ? (refId(props(ipConfig).subnet) ?? '') : '';
    const vnetId = subnetId.split('/').slice(0, -2).join('/');
    const vnet = this.core.state.get(vnetId);
    const subnet = vnet ? arr(props(vnet).subnets).find((s) => sameId(s.id, subnetId)) : undefined;
    const address = ipConfig ? String(props(ipConfig).privateIPAddress ?? '') : '';
    const bits = Number(String(subnet ? props(subnet).addressPrefix : '').split('/')[1]);
    if (!address || !subnet || !Number.isInteger(bits)) {
      throw new Error(`VM ${String(vm.name)} has no private address in a subnet: it cannot join its virtual network`);
    }
    return { vnetId, address, bits };
  }

  private computerName(vmId: string): string {
    const vm = this.core.state.get(vmId);
    const os = vm && isObject(props(vm).osProfile) ? (props(vm).osProfile as JsonObject) : {};
    return String(os.computerName ?? vm?.name);
  }

  /** `vms/<vm name>`, or with a suffix while another VM of that name (another resource group) has it. */
  private folderFor(name: string): string {
    const taken = new Set([...this.guests.values()].filter((g) => !g.gone).map((g) => g.filesDir));
    const base = path.join(this.opts.dir, 'vms', name);
    let dir = base;
    for (let i = 2; taken.has(dir); i++) {
      dir = `${base}-${i}`;
    }
    return dir;
  }
}

function listeningPorts(g: Guest): number[] {
  return [...(g.tls?.ports ?? []), ...(g.ssh ? [SSH_PORT] : [])];
}

const DAEMON_JSON = '/etc/docker/daemon.json';
const DROP_IN_DIR = '/etc/systemd/system/docker.service.d';

/**
 * What a VM's dockerd reads at its next start, from the VM's root filesystem as a script left it:
 * daemon.json, the TLS files it names, and docker.service's drop-ins. Empty without a daemon.json.
 */
function scriptedDaemonFiles(root: GuestRootDirs): WriteFile[] {
  const read = (vmPath: string): WriteFile | undefined => {
    const content = readGuestFile(root, vmPath);
    return content === undefined ? undefined : { path: vmPath, content: Buffer.from(content), mode: 0o644, append: false };
  };
  const daemonJson = read(DAEMON_JSON);
  if (!daemonJson) {
    return [];
  }
  let named: unknown[] = [];
  try {
    const parsed = JSON.parse(daemonJson.content.toString('utf8')) as Record<string, unknown>;
    named = [parsed.tlscacert, parsed.tlscert, parsed.tlskey];
  } catch {
    // dockerTlsDaemon reports the bad JSON as dockerd would.
  }
  // The VM sees its own files over this machine's: drop-ins from either, each read as the VM sees it.
  const dropIns = [path.join(root.upper, DROP_IN_DIR), DROP_IN_DIR]
    .flatMap((dir) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []))
    .filter((f, i, all) => f.endsWith('.conf') && all.indexOf(f) === i)
    .map((f) => `${DROP_IN_DIR}/${f}`);
  return [daemonJson, ...[...named.filter((p): p is string => typeof p === 'string'), ...dropIns].map(read)].filter(
    (f): f is WriteFile => f !== undefined,
  );
}

/** A clear error when the VM's address and port are taken, rather than dockerd's log tail. */
function checkBindable(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${address}:${port} for the VM's Docker daemon: ${e.code ?? e.message}`)),
    );
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** The VM image's admin user, on this machine: made if missing, with a login that needs a key. */
async function ensureUser(user: string, inDockerGroup: boolean): Promise<void> {
  if (!/^[a-z_][a-z0-9_-]*$/.test(user) || user === 'root') {
    throw new Error(`the admin user name ${JSON.stringify(user)} is not one this emulator makes`);
  }
  const exists = await run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run('useradd', ['-m', '-s', '/bin/sh', user]);
  }
  // '*': no password, but not locked ('!'), which sshd without PAM would refuse even for keys.
  await run('usermod', ['-p', '*', user]);
  if (inDockerGroup) {
    await run('usermod', ['-aG', 'docker', user]);
  }
}

/**
 * What the Custom Script handler (2.x) runs for these settings: `script` (base64, gzip allowed) as
 * ./script.sh, or `commandToExecute` through sh; protected settings over public ones.
 */
function customScriptOf(ext: GuestExtension): { files: Record<string, { content: Buffer; mode: number }>; command: string } {
  const pub = isObject(ext.settings) ? ext.settings : {};
  const prot = isObject(ext.protectedSettings) ? ext.protectedSettings : {};
  const pick = (k: string) => (prot[k] ?? pub[k]) as unknown;
  const script = pick('script');
  const command = pick('commandToExecute');
  if (pick('fileUris') !== undefined) {
    throw new Error('fileUris: this VM cannot download files');
  }
  if (script !== undefined && command !== undefined) {
    throw new Error("'script' and 'commandToExecute' cannot both be specified");
  }
  if (typeof command === 'string' && command) {
    return { files: {}, command };
  }
  if (typeof script !== 'string' || !script) {
    throw new Error("Either 'commandToExecute' or 'script' must be specified");
  }
  let bytes = Buffer.from(script, 'base64');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = gunzipSync(bytes);
  }
  return { files: { 'script.sh': { content: bytes, mode: 0o700 } }, command: './script.sh' };
}
