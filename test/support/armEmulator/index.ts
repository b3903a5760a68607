/**
 * An Azure Resource Manager + Entra ID emulator over HTTPS on 127.0.0.1, for tests that drive the
 * real Azure SDKs: point `endpoint` and `authorityHost` at `url` (with disableInstanceDiscovery),
 * sign in with `clientId`/`clientSecret`, and trust `caCertPath` (see trustCa.ts).
 *
 * Request and response shapes follow the Azure REST API specs (a pruned copy in ./specs): request
 * bodies are validated against them, and a unit test validates the emulator's answers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ACR_TOKEN_ISSUER } from './acrTokens';
import { makeServerTls, makeTokenSigningCert, type EmulatorTlsFiles } from './certificates';
import { addContainerRegistry, type SeedContainerRegistry } from './containerRegistries';
import type { RecordedRequest } from './requestLog';
import { addSubscription, addTenant, createEmulatorCore } from './emulatorSetup';
import { startHttpsServer } from './httpsServer';
import { seedVm, type SeedVm } from './seedVm';
import { DockerHostBooter, type BootedHost, type BootFailure } from './dockerHostBoot';
import { which } from '../processes';

import { vmState } from './vmViews';
export type { RecordedRequest } from './requestLog';
export type { SeedVm } from './seedVm';
export type { SeedContainerRegistry } from './containerRegistries';
export type { BootedHost, BootFailure } from './dockerHostBoot';
export { ensureEmulatorCa } from './certificates';
export { trustEmulatorCa } from './trustCa';

export interface ArmEmulator {
  /** https://127.0.0.1:PORT: both the ARM endpoint and the authority host. */
  url: string;
  /** PEM of the CA that signed the server certificate. */
  caCertPath: string;
  /** The default tenant. */
  tenantId: string;
  /** A service principal that can sign in to every tenant. */
  clientId: string;
  clientSecret: string;
  /** Every subscription, live (addSubscription shows up here). */
  readonly subscriptions: { subscriptionId: string; displayName: string; tenantId: string }[];
  addTenant(t?: { tenantId?: string; displayName?: string }): string;
  addSubscription(s: { subscriptionId?: string; displayName: string; tenantId?: string }): string;
  /**
   * Seeds a complete VM as provisioning creates it: RG (unless it exists), VNet+subnet, NSG (SSH and
   * Docker TLS rules), static public IP with DNS label (unless publicIp:false), NIC, OS managed disk,
   * VM. NIC and OS disk get deleteOption 'Delete' unless told otherwise. Returns the VM's ARM id.
   */
  addVm(v: SeedVm): string;
  /**
   * Seeds a Microsoft.ContainerRegistry registry (and its resource group) whose token service is
   * this emulator; start the real registry with `acrTokenAuth` so it sends clients here. Returns its ARM id.
   */
  addContainerRegistry(r: SeedContainerRegistry): string;
  /** What a registry's `auth: token:` config needs to send clients to this emulator and trust its tokens. */
  acrTokenAuth: { realm: string; issuer: string; rootCertBundle: string };
  /** Every resource id that exists (resource groups included; child resources live inside their parent), sorted. */
  inventory(): string[];
  /** Every resource as stored (ETags, tags, rules, hidden state included), as one JSON text: equal snapshots mean nothing changed. */
  snapshot(): string;
  /** What a GET of the resource returns now, or undefined. */
  resource(id: string): unknown | undefined;
  /** A VM's power state as its instance view reports it (`running`, `deallocated`, ...), or undefined. */
  powerState(vmId: string): string | undefined;
  /** Every request so far (sign-in included), in arrival order. */
  readonly requests: RecordedRequest[];
  resetRequests(): void;
  /** Lists answer this many items per page, with an absolute nextLink (default 100). */
  setPageSize(n: number): void;
  faults: {
    /** The next `count` ARM requests answer 429 TooManyRequests with Retry-After (default 1 s). */
    throttle(count: number, retryAfterSeconds?: number): void;
    /** The next `count` ARM requests answer `status` (default 500) with an ARM error body. */
    serverError(count: number, status?: number): void;
    /** The next `method` request whose path matches answers `status` with this ARM error, as a provider refuses it (quota, policy). */
    refuseNext(method: string, path: RegExp, status: number, code: string, message: string): void;
    /** The next long-running operation started ends Failed with this error. */
    failNextOperation(code?: string, message?: string): void;
    /** Operations started from now on finish on their Nth status poll (default 1). */
    slowOperations(polls: number): void;
    /** Operations started from now on take at least this long, per style (compute, network, resources). */
    operationDurations(ms: { compute?: number; network?: number; resources?: number }): void;
    /** Retry-After (seconds) on operations started from now on; clients poll at that pace. */
    setRetryAfter(seconds: number): void;
    /** Every token issued so far is rejected (401 ExpiredAuthenticationToken); new sign-ins work. */
    expireTokens(): void;
  };
  /** With bootDockerHosts: the VMs whose Docker daemon runs now (empty otherwise). */
  bootedHosts(): BootedHost[];
  /** With bootDockerHosts: why VMs got no daemon (a cloud-config their Docker would refuse, dockerd failing), oldest first. */
  bootFailures(): BootFailure[];
  /** Resolves once no Docker host boot, stop or removal is under way (they follow ARM operations asynchronously). */
  dockerHostsSettled(): Promise<void>;
  /** Stops the server and, with bootDockerHosts, every booted daemon; nothing keeps running. */
  stop(): Promise<void>;
}

export interface ArmEmulatorOptions {
  /**
   * Where the TLS files go. A valid CA already there is reused (a runner creates it with
   * ensureEmulatorCa and sets NODE_EXTRA_CA_CERTS for its children); the CA stays, the server
   * certificate is removed by stop(). Default: a new temp dir, removed by stop().
   */
  dir?: string;
  pageSize?: number;
  /** Retry-After (seconds) on long-running operation responses. 0 (the default) lets clients poll at their own interval. */
  retryAfterSeconds?: number;
  /**
   * Boot provisioned VMs as real Docker hosts (see dockerHostBoot.ts): every new public IP gets a
   * free loopback address (127.0.0.N), and a VM created with a cloud-config that sets up Docker
   * with mutual TLS gets a real dockerd on that address with the files cloud-init would write.
   * Needs root and dockerd. Default false: addresses are made up and nothing listens.
   */
  bootDockerHosts?: boolean;
  /** With bootDockerHosts: how long a VM "boots" before its dockerd starts (default 0; real cloud-init takes minutes). */
  bootDelayMs?: number;
  /**
   * With bootDockerHosts: a booted VM's address admits only what its network security groups allow,
   * as on Azure, for every port (the daemon's, published containers'); a client is at the loopback
   * address it binds to (see nsgEnforcement.ts). Needs iptables. Default false: everyone gets in.
   */
  enforceNetworkSecurityGroups?: boolean;
  /**
   * With bootDockerHosts: each VM's dockerd runs in a network namespace of its own at its NIC's
   * private address, VMs of one virtual network on one bridge, so they reach each other there as on
   * Azure; the public address forwards TCP to the private one (see vnetNamespaces.ts). Default false.
   */
  privateNetworks?: boolean;
}

export async function startArmEmulator(opts: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  // Fail here rather than with every VM's boot.
  if (opts.bootDockerHosts && (process.getuid?.() !== 0 || !which('dockerd'))) {
    throw new Error('bootDockerHosts needs root and dockerd (bash scripts/ensure-test-deps.sh)');
  }
  if (opts.privateNetworks && !opts.bootDockerHosts) {
    throw new Error('privateNetworks needs bootDockerHosts');
  }
  if (opts.enforceNetworkSecurityGroups && (!opts.bootDockerHosts || !which('iptables'))) {
    throw new Error('enforceNetworkSecurityGroups needs bootDockerHosts and iptables (installed with docker.io)');
  }
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'arm-emulator-'));
  let url = '';
  const { core, clientId, clientSecret } = createEmulatorCore(() => url);
  core.pageSize = opts.pageSize ?? 100;
  core.operations.retryAfterSeconds = opts.retryAfterSeconds ?? 0;
  let booter: DockerHostBooter | undefined;
  if (opts.bootDockerHosts) {
    booter = new DockerHostBooter(core, {
      dir,
      bootDelayMs: opts.bootDelayMs,
      enforceNetworkSecurityGroups: opts.enforceNetworkSecurityGroups,
      privateNetworks: opts.privateNetworks,
    });
    core.guests = booter;
  }
  let server;
  let tls: EmulatorTlsFiles | undefined;
  let signing: { cert: string; key: string } | undefined;
  const cleanUp = () => {
    if (ownDir) {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    for (const file of [tls?.serverCert, tls?.serverKey, signing?.cert, signing?.key]) {
      if (file) {
        fs.rmSync(file, { force: true });
      }
    }
  };
  try {
    tls = await makeServerTls(dir);
    signing = await makeTokenSigningCert(dir);
    core.acrTokens.useSigningKey(fs.readFileSync(signing.cert, 'utf8'), fs.readFileSync(signing.key, 'utf8'));
    server = await startHttpsServer(tls.serverCert, tls.serverKey, (req) => core.dispatch(req));
  } catch (e) {
    cleanUp();
    throw e;
  }
  url = `https://127.0.0.1:${server.port}`;
  const running = server;
  let stopped: Promise<void> | undefined;
  return {
    url,
    caCertPath: tls.caCert,
    tenantId: core.defaultTenantId,
    clientId,
    clientSecret,
    get subscriptions() {
      return [...core.state.subscriptions.values()].map((s) => ({ ...s }));
    },
    addTenant: (t) => addTenant(core, t),
    addSubscription: (s) => addSubscription(core, s),
    addVm: (v) => seedVm(core, v),
    addContainerRegistry: (r) => addContainerRegistry(core, r),
    acrTokenAuth: { realm: `${url}/oauth2/token`, issuer: ACR_TOKEN_ISSUER, rootCertBundle: signing.cert },
    inventory: () =>
      core.state
        .all()
        .map((r) => String(r.id))
        .sort(),
    snapshot: () => core.state.snapshot(),
    resource: (id) => core.view(id),
    powerState: (vmId) => {
      const vm = core.state.get(vmId);
      return vm ? (vmState(core, vm).power ?? 'running') : undefined;
    },
    requests: core.requests,
    resetRequests: () => void core.requests.splice(0),
    setPageSize: (n) => void (core.pageSize = n),
    faults: {
      throttle: (count, retryAfterSeconds) => core.faults.throttle(count, retryAfterSeconds),
      serverError: (count, status) => core.faults.serverError(count, status),
      refuseNext: (method, path, status, code, message) => core.faults.refuseNext({ method, path, status, code, message }),
      failNextOperation: (code = 'InternalExecutionError', message = 'An internal execution error occurred. Please retry later.') =>
        core.operations.failNextOperation({ code, message }),
      slowOperations: (polls) => void (core.operations.pollsNeeded = polls),
      operationDurations: (ms) => void (core.operations.durationMs = { ...ms }),
      setRetryAfter: (seconds) => void (core.operations.retryAfterSeconds = seconds),
      expireTokens: () => core.identity.tokens.expireAll(),
    },
    bootedHosts: () => booter?.booted() ?? [],
    bootFailures: () => booter?.failures() ?? [],
    dockerHostsSettled: () => booter?.settled() ?? Promise.resolve(),
    // Daemons first: their folders may live in dir, which cleanUp removes.
    stop: () =>
      (stopped ??= running
        .close()
        .then(() => booter?.stop())
        .finally(cleanUp)),
  };
}
