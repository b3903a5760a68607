/**
 * The whole extension, activated as VS Code activates it, with both real views: Azure Docker Hosts
 * against the ARM emulator and Other Docker Hosts against the real daemons. Two Azure VMs have this
 * machine as their public address: `azure-tls` reaches the mutual-TLS test daemon, `azure-ssh` the
 * test sshd. The local engine (the main test daemon) is the other view's host. Neither view is
 * faked, so a command that knows only one of them fails in the tests that use this.
 * installVscodeFake must be imported first.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from './armEmulator';
import { ARM_CA_DIR_VAR, dockerCli, loadTestEnvironment, uniqueName } from './testEnv';
import { ConfigurationTarget, FakeTreeView, memento, recorded, secretStorage, Uri, workspace } from './vscodeFake';
import { activate } from '../../src/extension';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { ContainerNode, ContainersGroupNode, HostNode, ImageNode, ImagesGroupNode } from '../../src/ui/tree/hostNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import type { DockerHostsTreeProvider } from '../../src/ui/tree/dockerHostsTreeProvider';

export type TlsTarget = { host: string; port: number; ca: string; cert: string; key: string };

export interface ActivatedExtension {
  arm: ArmEmulator;
  scratch: string;
  /** The known_hosts file the extension is set to use (empty at first). */
  knownHosts: string;
  /** The mutual-TLS daemon behind `azure-tls`, for the docker CLI. */
  tlsTarget: TlsTarget;
  /** Runs a container (`sleep` unless told) on the main daemon, or on `where`; removed when the extension stops. */
  runContainer(where?: TlsTarget, runArgs?: string[], command?: string[]): Promise<string>;
  setSetting(key: string, value: unknown): Promise<void>;
  /** Test settings again, for the next test (after resetRecorded). */
  restoreSettings(): void;
  stop(): Promise<void>;
}

export const label = (n: TreeNode) => n.getTreeItem().label as string;

export function view(id: string): { tree: FakeTreeView<TreeNode>; provider: DockerHostsTreeProvider } {
  const tree = recorded.treeViews.get(id) as FakeTreeView<TreeNode>;
  assert.ok(tree, `view ${id} was created`);
  return { tree, provider: tree.options.treeDataProvider as DockerHostsTreeProvider };
}
export const azureView = () => view('dockerOnAzure.azureHosts');
export const otherView = () => view('dockerOnAzure.otherHosts');

export async function azureHost(name: string): Promise<AzureHostNode> {
  const { provider } = azureView();
  const [sub] = (await provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  assert.ok(sub, 'the subscription is listed');
  const hosts = (await provider.getChildren(sub)).filter((n): n is AzureHostNode => n instanceof AzureHostNode);
  const found = hosts.find((h) => h.vm.name === name);
  assert.ok(found, `Azure host ${name} in ${hosts.map((h) => h.vm.name)}`);
  return found;
}

export async function otherHost(name: string): Promise<HostNode> {
  const roots = await otherView().provider.getChildren();
  const found = roots.find((n): n is HostNode => n instanceof HostNode && n.session.spec.name === name);
  assert.ok(found, `host ${name} in ${roots.map(label)}`);
  return found;
}

export async function containerUnder(provider: DockerHostsTreeProvider, host: TreeNode, name: string): Promise<ContainerNode | undefined> {
  const [group] = (await provider.getChildren(host)).filter((n) => n instanceof ContainersGroupNode);
  assert.ok(group, `${label(host)} shows its containers: ${(await provider.getChildren(host)).map(label)}`);
  const rows = await provider.getChildren(group);
  // A Compose project's containers are one level further down.
  const nested = await Promise.all(rows.filter((r) => !(r instanceof ContainerNode)).map((r) => provider.getChildren(r)));
  return [...rows, ...nested.flat()].find((n): n is ContainerNode => n instanceof ContainerNode && label(n) === name);
}

export async function imageUnder(provider: DockerHostsTreeProvider, host: TreeNode, reference: string): Promise<ImageNode | undefined> {
  const [group] = (await provider.getChildren(host)).filter((n) => n instanceof ImagesGroupNode);
  assert.ok(group, `${label(host)} shows its images`);
  return (await provider.getChildren(group)).find((n): n is ImageNode => n instanceof ImageNode && label(n) === reference);
}

/** Resolves when the provider tells VS Code that this row (or the whole tree) changed; rejects after `ms`. */
export function announcedChange(provider: DockerHostsTreeProvider, rowId: string, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`the view never announced a change of ${rowId}`));
    }, ms);
    const sub = provider.onDidChangeTreeData((node) => {
      if (node === undefined || (node as TreeNode).id === rowId) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

/**
 * Runs `fn` with both views hidden: no event feed or reconnect is running then, so a change the
 * views announce can only come from the command itself.
 */
export async function viewsHidden<T>(fn: () => Promise<T>): Promise<T> {
  azureView().tree.setVisible(false);
  otherView().tree.setVisible(false);
  try {
    return await fn();
  } finally {
    azureView().tree.setVisible(true);
    otherView().tree.setVisible(true);
  }
}

export async function activateExtension(
  opts: { added?: { id: string; name: string; address: string; identityFile?: string }[] } = {},
): Promise<ActivatedExtension> {
  const testEnv = loadTestEnvironment();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-activated-'));
  const knownHosts = path.join(scratch, 'known_hosts');
  const tlsTarget = { host: '127.0.0.1', port: testEnv.tls.port, ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key };
  const created: { name: string; where?: TlsTarget }[] = [];
  const arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  const subscriptionId = arm.subscriptions[0].subscriptionId;
  const tlsVm = arm.addVm({
    subscriptionId,
    resourceGroup: 'xv-rg',
    name: 'azure-tls',
    powerState: 'running',
    publicIpAddress: '127.0.0.1',
    dnsLabel: '',
  });
  const sshVm = arm.addVm({
    subscriptionId,
    resourceGroup: 'xv-rg',
    name: 'azure-ssh',
    powerState: 'running',
    publicIpAddress: '127.0.0.1',
    dnsLabel: '',
  });
  const globalState = memento();
  await globalState.update('dockerOnAzure.azureHostMarks', {
    [tlsVm.toLowerCase()]: { access: 'tls', port: testEnv.tls.port, tls: { ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key } },
    [sshVm.toLowerCase()]: { access: 'ssh', user: testEnv.ssh.user, port: testEnv.ssh.port, identityFile: testEnv.ssh.identityFile },
  });
  await globalState.update('dockerOnAzure.addedHosts', opts.added ?? []);
  fs.writeFileSync(knownHosts, '');
  process.env.DOCKER_HOST = `unix://${testEnv.unixSocket}`;
  process.env.AZURE_TENANT_ID = arm.tenantId;
  process.env.AZURE_CLIENT_ID = arm.clientId;
  process.env.AZURE_CLIENT_SECRET = arm.clientSecret;
  const settings: Record<string, unknown> = {
    'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
    'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
    'dockerOnAzure.azure.authorityHost': arm.url,
    'dockerOnAzure.dockerContexts.show': false,
    'dockerOnAzure.ssh.knownHostsFile': knownHosts,
    'dockerOnAzure.connectTimeoutSeconds': 5,
  };
  recorded.config = { ...settings };
  const subscriptions: { dispose(): void }[] = [];
  activate({
    subscriptions,
    globalState,
    workspaceState: memento(),
    secrets: secretStorage(),
    extensionUri: Uri.file(path.resolve(__dirname, '..', '..', '..')),
  } as never);
  azureView().tree.setVisible(true);
  otherView().tree.setVisible(true);
  return {
    arm,
    scratch,
    knownHosts,
    tlsTarget,
    async runContainer(where, runArgs = [], command = ['sleep', '3600']) {
      const name = uniqueName('xview');
      await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, ...runArgs, testEnv.baseImage, ...command], where);
      created.push({ name, where });
      return name;
    },
    setSetting(key, value) {
      settings[`dockerOnAzure.${key}`] = value;
      return workspace.getConfiguration('dockerOnAzure').update(key, value, ConfigurationTarget.Global);
    },
    restoreSettings() {
      recorded.config = { ...settings };
    },
    async stop() {
      subscriptions.forEach((d) => d.dispose());
      await Promise.all(created.map((c) => dockerCli(['rm', '-f', c.name], c.where).catch(() => undefined)));
      await arm.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
