/**
 * The host catalog, both real views and (optionally) every command, wired as extension.ts wires
 * them, for integration tests that drive the vscode fake (installVscodeFake must be imported
 * first). No view is a stand-in: a command that only knows one view fails in the other's tests.
 */
import { memento, secretStorage, window } from './vscodeFake';
import type { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import type { RefreshOptions } from '../../src/core/docker/refreshScheduler';
import { HostCatalog } from '../../src/core/hosts/hostCatalog';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { HostMarksStore } from '../../src/ui/azure/hostMarksStore';
import { HostTlsStore } from '../../src/ui/azure/hostTlsStore';
import { VmStartLog } from '../../src/ui/azure/vmStartLog';
import type { CommandDeps } from '../../src/ui/commands/commandDeps';
import { registerCommands } from '../../src/ui/commands/registry';
import { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import { HostListOptions, OtherHostsSource } from '../../src/ui/hosts/otherHostsSource';
import { InspectDocuments } from '../../src/ui/inspectDocuments';
import { AzureHostsView } from '../../src/ui/tree/azureHostsView';
import { OtherHostsView } from '../../src/ui/tree/otherHostsView';

/** Quick enough that a test sees events and reconnects, slow enough not to spin. */
export const TEST_REFRESH: RefreshOptions = { debounceMs: 100, maxDelayMs: 500, pollMs: 60_000, reconnectMinMs: 200, reconnectMaxMs: 1000 };

export interface HostViewsOptions {
  connectionEnv: () => ConnectionEnvironment;
  /** Hosts added by address; none by default. */
  added?: AddedHostsStore;
  /** Neither the local engine nor CLI contexts by default, so only what the test adds is listed. */
  hostList?: HostListOptions;
  /** Signed out (VS Code sign-in with no account) unless the test signs in. */
  signIn?: AzureSignIn;
  marks?: HostMarksStore;
  hostTls?: HostTlsStore;
  vmStarts?: VmStartLog;
  refresh?: RefreshOptions;
  /** The extension context the commands get. */
  context?: unknown;
  /** Where the commands log; nowhere by default. */
  log?: CommandDeps['log'];
  /** Register every command too (the vscode fake allows one registration of each at a time). */
  commands?: boolean;
}

export interface HostViews {
  catalog: HostCatalog;
  otherHosts: OtherHostsView;
  azureHosts: AzureHostsView;
  signIn: AzureSignIn;
  marks: HostMarksStore;
  hostTls: HostTlsStore;
  vmStarts: VmStartLog;
  added: AddedHostsStore;
  deps: CommandDeps;
  dispose(): void;
}

const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined } as never;

export function startHostViews(opts: HostViewsOptions): HostViews {
  const catalog = new HostCatalog(opts.connectionEnv, opts.refresh ?? TEST_REFRESH);
  const added = opts.added ?? new AddedHostsStore(memento() as never);
  const hostList = opts.hostList ?? { showLocalEngine: false, showContexts: false };
  const signIn = opts.signIn ?? new AzureSignIn(silentLog);
  const marks = opts.marks ?? new HostMarksStore(memento() as never);
  const hostTls = opts.hostTls ?? new HostTlsStore(secretStorage() as never);
  const vmStarts = opts.vmStarts ?? new VmStartLog(memento() as never);
  const otherHosts = new OtherHostsView(catalog, new OtherHostsSource(catalog, added, () => hostList), () => false);
  const azureHosts = new AzureHostsView(
    catalog,
    signIn,
    marks,
    hostTls,
    () => false,
    () => [],
  );
  const deps: CommandDeps = {
    context: (opts.context ?? { subscriptions: [], workspaceState: memento(), globalState: memento(), secrets: secretStorage() }) as never,
    hosts: catalog,
    otherHosts,
    azureHosts,
    azureSignIn: signIn,
    hostMarks: marks,
    hostTls,
    addedHosts: added,
    inspect: new InspectDocuments(catalog),
    connectionEnv: opts.connectionEnv,
    log: opts.log ?? silentLog,
    buildLog: window.createOutputChannel('Docker on Azure: Build') as never,
    installLog: window.createOutputChannel('Docker on Azure: Install') as never,
    vmStarts,
    compare: undefined as never,
  };
  const registrations = opts.commands ? registerCommands(deps) : [];
  return {
    catalog,
    otherHosts,
    azureHosts,
    signIn,
    marks,
    hostTls,
    vmStarts,
    added,
    deps,
    dispose: () => {
      registrations.forEach((d) => d.dispose());
      otherHosts.dispose();
      azureHosts.dispose();
      catalog.dispose();
      if (!opts.signIn) {
        signIn.dispose();
      }
    },
  };
}
