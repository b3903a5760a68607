/**
 * Both views and every command, wired as the extension wires them, against an ARM emulator
 * signed in with its service principal: for integration tests that run commands through the vscode
 * fake (installVscodeFake must be imported first).
 */
import * as path from 'node:path';
import { memento, recorded, resetRecorded, secretStorage } from './vscodeFake';
import type { ArmEmulator } from './armEmulator';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { HostMarksStore } from '../../src/ui/azure/hostMarksStore';
import { HostTlsStore } from '../../src/ui/azure/hostTlsStore';
import type { VmStartLog } from '../../src/ui/azure/vmStartLog';
import type { AzureHostsView } from '../../src/ui/tree/azureHostsView';
import type { OtherHostsView } from '../../src/ui/tree/otherHostsView';
import type { HostCatalog } from '../../src/core/hosts/hostCatalog';
import type { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import { startHostViews } from './hostViews';

export interface AzureCommands {
  view: AzureHostsView;
  otherView: OtherHostsView;
  catalog: HostCatalog;
  marks: HostMarksStore;
  /** Hosts added by address, listed in Other Docker Hosts. */
  added: AddedHostsStore;
  /** The TLS material provisioning keeps, shared by the view and the commands as in the extension. */
  hostTls: HostTlsStore;
  vmStarts: VmStartLog;
  /** Settings as the user set them, kept across resetRecorded by `fresh`. */
  config: Record<string, unknown>;
  /** A clean record of prompts, messages and outputs for the next command, the user's settings kept. */
  fresh(): void;
  /** The extension context's mementos, the marks kept in globalState as the extension keeps them. */
  state: { globalState: ReturnType<typeof memento>; workspaceState: ReturnType<typeof memento> };
  dispose(): void;
}

/** Everything a memento holds, as one JSON text, for asserting what the extension kept. */
export function mementoText(m: ReturnType<typeof memento>): string {
  return JSON.stringify(m.keys().map((k) => [k, m.get(k)]));
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
  const state = { globalState: memento(), workspaceState: memento() };
  const secrets = secretStorage();
  const views = startHostViews({
    context: { subscriptions: [], ...state, secrets },
    marks: new HostMarksStore(state.globalState as never),
    hostTls: new HostTlsStore(secrets as never),
    connectionEnv: () => ({ homeDir, knownHostsFile: path.join(homeDir, 'known_hosts'), localUser: 'root', connectTimeoutMs: 5000 }),
    signIn,
    commands: true,
  });
  const { azureHosts: view, marks, hostTls, vmStarts } = views;
  return {
    view,
    otherView: views.otherHosts,
    catalog: views.catalog,
    marks,
    added: views.added,
    hostTls,
    vmStarts,
    config,
    fresh: () => {
      resetRecorded();
      recorded.config = { ...config };
    },
    state,
    dispose: () => {
      views.dispose();
      signIn.dispose();
    },
  };
}
