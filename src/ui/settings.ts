import * as vscode from 'vscode';
import type { CustomCloudSettings } from '../core/azure/cloud';
import { ConnectionEnvironment, defaultConnectionEnvironment } from '../core/docker/connectionEnvironment';
import { DEFAULT_REFRESH_OPTIONS, RefreshOptions } from '../core/docker/refreshScheduler';

const SECTION = 'dockerOnAzure';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/**
 * Settings that say where a token, a secret or a new private key goes, or which host keys are
 * trusted. package.json gives them machine scope and restricts them in untrusted workspaces.
 */
type MachineSetting =
  | 'azure.signInMethod'
  | 'azure.resourceManagerEndpoint'
  | 'azure.authorityHost'
  | 'azure.audience'
  | 'azure.portalUrl'
  | 'ssh.knownHostsFile'
  | 'ssh.keyDirectory';

/**
 * The user's own value of a machine setting, never a workspace's. VS Code already drops workspace
 * values of machine-scoped settings; reading only the user level as well means a repository's
 * .vscode/settings.json cannot redirect a token wherever that enforcement does not hold. The
 * settings editor tells the user a workspace value does not apply, so it is ignored, not refused.
 */
function machineSetting<T>(key: MachineSetting, fallback: T): T {
  const seen = config().inspect<T>(key);
  return seen?.globalValue ?? seen?.defaultValue ?? fallback;
}

/** How long a new VM's daemon may take to answer after provisioning (cloud-init installs it at first boot). */
export function daemonWaitMs(): number {
  return config().get<number>('provision.daemonWaitMinutes', 10) * 60_000;
}

/** How often a VM script's instance view is read while it runs. */
export function scriptPollIntervalMs(): number {
  return config().get<number>('install.pollIntervalSeconds', 5) * 1000;
}

export function showDanglingImages(): boolean {
  return config().get<boolean>('images.showDangling', false);
}

export function hostListOptions(): { showLocalEngine: boolean; showContexts: boolean } {
  return {
    showLocalEngine: config().get<boolean>('localEngine.show', true),
    showContexts: config().get<boolean>('dockerContexts.show', true),
  };
}

export function connectionEnvironment(): ConnectionEnvironment {
  const env = defaultConnectionEnvironment();
  const knownHosts = machineSetting('ssh.knownHostsFile', '').trim();
  const timeout = config().get<number>('connectTimeoutSeconds', 10);
  return {
    ...env,
    knownHostsFile: knownHosts ? knownHosts.replace(/^~(?=\/|$)/, env.homeDir) : env.knownHostsFile,
    connectTimeoutMs: Math.max(1, timeout) * 1000,
  };
}

export function refreshOptions(): RefreshOptions {
  const poll = config().get<number>('refresh.pollIntervalSeconds', DEFAULT_REFRESH_OPTIONS.pollMs / 1000);
  return { ...DEFAULT_REFRESH_OPTIONS, pollMs: Math.max(10, poll) * 1000 };
}

/** Settings that shape every connection: hosts reconnect with them at once, not after a reload. */
export function affectsConnections(e: vscode.ConfigurationChangeEvent): boolean {
  return ['ssh.knownHostsFile', 'connectTimeoutSeconds'].some((key) => e.affectsConfiguration(`${SECTION}.${key}`));
}

/** Settings whose change means the host list or its rendering must be rebuilt. */
export function affectsHostList(e: vscode.ConfigurationChangeEvent): boolean {
  return ['localEngine.show', 'dockerContexts.show', 'images.showDangling'].some((key) =>
    e.affectsConfiguration(`${SECTION}.${key}`),
  );
}

export function selectedSubscriptions(): string[] {
  return config().get<string[]>('azure.subscriptions', []);
}

export function signInMethod(): 'vscode' | 'servicePrincipal' | 'azureCli' {
  return machineSetting('azure.signInMethod', 'vscode');
}

export function customCloudSettings(): CustomCloudSettings {
  return {
    resourceManagerEndpoint: machineSetting('azure.resourceManagerEndpoint', ''),
    authorityHost: machineSetting('azure.authorityHost', ''),
    audience: machineSetting('azure.audience', ''),
    portalUrl: machineSetting('azure.portalUrl', ''),
  };
}

export function affectsAzureSignIn(e: vscode.ConfigurationChangeEvent): boolean {
  return [
    'azure.signInMethod',
    'azure.resourceManagerEndpoint',
    'azure.authorityHost',
    'azure.audience',
    'azure.portalUrl',
    'azure.tenants',
    'azure.subscriptions',
  ].some((key) => e.affectsConfiguration(`${SECTION}.${key}`));
}

/** Where new SSH key pairs are written and existing ones offered from (default ~/.ssh). */
export function sshKeyDirectory(): string {
  const configured = machineSetting('ssh.keyDirectory', '').trim();
  const home = defaultConnectionEnvironment().homeDir;
  return configured ? configured.replace(/^~(?=\/|$)/, home) : `${home}/.ssh`;
}
