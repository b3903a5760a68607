/**
 * The Azure view and every command, wired as the extension wires them, against an ARM emulator
 * signed in with its service principal: for integration tests that run commands through the vscode
 * fake (installVscodeFake must be imported first).
 */
import * as path from 'node:path';
import { recorded, memento, secretStorage } from './vscodeFake';
import type { ArmEmulator } from './armEmulator';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { HostMarksStore } from '../../src/ui/azure/hostMarksStore';
import { HostTlsStore } from '../../src/ui/azure/hostTlsStore';
import { VmStartLog } from '../../src/ui/azure/vmStartLog';
import { registerCommands } from '../../src/ui/commands/registry';
import { AzureHostsView } from '../../src/ui/tree/azureHostsView';

export interface AzureCommands {
  view: AzureHostsView;
  marks: HostMarksStore;
  /** The TLS material provisioning keeps, shared by the view and the commands as in the extension. */
  hostTls: HostTlsStore;
  vmStarts: VmStartLog;
  /** Settings as the user set them, kept across resetRecorded by `restoreConfig`. */
  config: Record<string, unknown>;
  dispose(): void;
}

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined } as never;

/** `homeDir` is the user's home as connections see it (known_hosts, keys); `settings` are added to the sign-in ones. */
export function startAzureCommands(arm: ArmEmulator, homeDir: string, settings: Record<string, unknown> = {}): AzureCommands {
  process.env.AZURE_TENANT_ID = arm.tenantId;
  process.env.AZURE_CLIENT_ID = arm.clientId;
  process.env.AZURE_CLIENT_SECRET = arm.clientSecret;
  const config = {
    'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
    'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
    'dockerOnAzure.azure.authorityHost': arm.url,
    ...settings,
  };
  recorded.config = { ...config };
  const signIn = new AzureSignIn(log);
  const marks = new HostMarksStore(memento() as never);
  const vmStarts = new VmStartLog(memento() as never);
  const hostTls = new HostTlsStore(secretStorage() as never);
  const view = new AzureHostsView(
    signIn,
    marks,
    hostTls,
    () => ({ homeDir, knownHostsFile: path.join(homeDir, 'known_hosts'), localUser: 'root', connectTimeoutMs: 5000 }),
    () => false,
    () => [],
    { debounceMs: 100, maxDelayMs: 500, pollMs: 60_000, reconnectMinMs: 200, reconnectMaxMs: 1000 },
  );
  const disposables = registerCommands({
    context: { subscriptions: [], workspaceState: memento(), globalState: memento(), secrets: secretStorage() } as never,
    otherHosts: {
      refreshAll: () => undefined,
      registry: { list: async () => ({ sessions: [] }) },
      scheduler: { refreshNow: () => undefined },
    } as never,
    azureHosts: view,
    azureSignIn: signIn,
    hostMarks: marks,
    hostTls,
    buildLog: { clear: () => undefined, show: () => undefined, append: () => undefined, appendLine: () => undefined } as never,
    addedHosts: undefined as never,
    inspect: undefined as never,
    connectionEnv: () => ({ homeDir, knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 }),
    log,
    vmStarts,
    compare: undefined as never,
  });
  return {
    view,
    marks,
    hostTls,
    vmStarts,
    config,
    dispose: () => {
      disposables.forEach((d) => d.dispose());
      view.dispose();
      signIn.dispose();
    },
  };
}
