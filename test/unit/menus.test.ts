import '../support/installVscodeFake';
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { ContainerInfo } from 'dockerode';
import { composeProjectModel, containerModel, DEPLOYED_BY_LABEL, DEPLOYED_FROM_LABEL, imageModel } from '../../src/core/docker/presentation';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import type { DockerHostSpec, HostSource } from '../../src/core/docker/hostSpec';
import { DockerHostError, UnknownHostKeyError } from '../../src/core/docker/errors';
import type { AzureVm, PowerState } from '../../src/core/azure/vmModel';
import { AzureHostNode, AzureVmNode, OtherVmsNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { HostNode } from '../../src/ui/tree/hostNodes';
import { MessageNode } from '../../src/ui/tree/treeNode';
import type { SwarmNode } from '../../src/core/swarm/swarmModel';
import { swarmNodeModel, swarmServiceModel, swarmStackModel } from '../../src/core/swarm/swarmPresentation';
import { SwarmsGroupNode, SwarmTreeNode } from '../../src/ui/tree/swarmNodes';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

interface MenuEntry {
  command: string;
  when?: string;
}

const itemMenus = ['view/item/context', 'view/item/inline']
  .flatMap((menu) => (manifest.contributes.menus[menu] as MenuEntry[] | undefined) ?? [])
  .filter((e) => e.when?.includes('viewItem'));

/**
 * The part of VS Code's when-clause language the tree menus use: terms joined by `&&`, each
 * `key == value` or `key =~ /regex/flags`. Anything else fails the test, so a menu cannot slip
 * past it by using syntax this evaluator does not know.
 */
function matches(when: string, context: Record<string, string>): boolean {
  return when.split('&&').every((raw) => {
    const term = raw.trim();
    const re = /^(\w+)\s*=~\s*\/(.*)\/([a-z]*)$/.exec(term);
    if (re) {
      return new RegExp(re[2], re[3]).test(context[re[1]] ?? '');
    }
    const eq = /^(\w+)\s*==\s*'?([^']*)'?$/.exec(term);
    if (eq) {
      return (context[eq[1]] ?? '') === eq[2];
    }
    throw new Error(`unsupported when term "${term}" in "${when}"`);
  });
}

function commandsFor(view: string, viewItem: string): string[] {
  return [...new Set(itemMenus.filter((e) => matches(e.when!, { view, viewItem })).map((e) => e.command))].sort();
}

function container(state: string, opts: { ports?: boolean; deployed?: boolean } = {}): ContainerInfo {
  return {
    Id: `id-${state}`,
    Names: [`/c-${state}`],
    Image: 'local/busybox:1',
    ImageID: 'sha256:1',
    Command: 'sleep 300',
    Created: 0,
    State: state,
    Status: state,
    Ports: opts.ports ? [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] : [],
    Labels: opts.deployed ? { [DEPLOYED_FROM_LABEL]: 'Dockerfile', [DEPLOYED_BY_LABEL]: 'docker-on-azure' } : {},
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  } as unknown as ContainerInfo;
}

const spec = (source: HostSource): DockerHostSpec => ({ id: `${source}:1`, name: source, address: 'unix:///var/run/docker.sock', source });
const ctx = { watch: () => undefined, isCurrentContext: () => false, showDanglingImages: () => false } as never;
const env = { homeDir: '/root', knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 1000 };

function vm(powerState: PowerState, opts: { address?: boolean; provisioned?: boolean; legacy?: boolean } = {}): AzureVm {
  return {
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
    name: 'vm',
    subscriptionId: 's',
    resourceGroup: 'rg',
    location: 'westeurope',
    vmSize: 'Standard_B2s',
    powerState,
    publicIp: opts.address === false ? undefined : '20.0.0.1',
    tags: {},
    nicIds: [],
    publicIpIds: [],
    nsgIds: [],
    provisioned: opts.provisioned ? { daemon: 'ssh', adminUser: 'azureuser' } : undefined,
    legacyDockerExtension: opts.legacy,
  };
}

const azureHost = (v: AzureVm, awaitingCertificates = false) =>
  new AzureHostNode(
    v,
    { subscriptionId: 's', tenantId: 't', displayName: 'S' } as never,
    undefined,
    undefined,
    ctx,
    new MessageNode('p', 'p'),
    awaitingCertificates,
  ).getTreeItem().contextValue!;

const otherVm = (v: AzureVm) =>
  new AzureVmNode({ ...v, osType: v.osType ?? 'Linux' }, { subscriptionId: 's' } as never, new MessageNode('p', 'p')).getTreeItem().contextValue!;

const OTHER = 'dockerOnAzure.otherHosts';
const AZURE = 'dockerOnAzure.azureHosts';
const CONTAINER_ALWAYS = ['container.copyId', 'container.inspect', 'container.logs', 'container.remove', 'container.restart'];

/** What the code produces for each kind of row, with the commands its context menu must offer. */
const rows: { what: string; view: string; value: string; commands: string[] }[] = [
  { what: 'a running container with ports that this extension deployed', view: OTHER, value: containerModel('h', container('running', { ports: true, deployed: true })).contextValue, commands: [...CONTAINER_ALWAYS, 'container.openInBrowser', 'container.shell', 'container.stop', 'redeploy'] },
  { what: 'a running container without ports', view: AZURE, value: containerModel('h', container('running')).contextValue, commands: [...CONTAINER_ALWAYS, 'container.shell', 'container.stop'] },
  { what: 'an exited container', view: OTHER, value: containerModel('h', container('exited')).contextValue, commands: [...CONTAINER_ALWAYS, 'container.start'] },
  { what: 'an exited deployed container with ports', view: OTHER, value: containerModel('h', container('exited', { ports: true, deployed: true })).contextValue, commands: [...CONTAINER_ALWAYS, 'container.start', 'redeploy'] },
  { what: 'a paused container', view: OTHER, value: containerModel('h', container('paused')).contextValue, commands: [...CONTAINER_ALWAYS, 'container.stop'] },
  { what: 'an image', view: AZURE, value: imageModel('h', { image: { Id: 'sha256:1', Size: 1, Created: 0, RepoTags: ['a:1'] }, reference: 'a:1', dangling: false } as never, 0).contextValue, commands: ['image.copyToHost', 'image.inspect', 'image.push', 'image.remove'] },
  { what: 'a dangling image', view: OTHER, value: imageModel('h', { image: { Id: 'sha256:2', Size: 1, Created: 0, RepoTags: [] }, reference: '<none>:<none>', dangling: true } as never, 0).contextValue, commands: ['image.copyToHost', 'image.inspect', 'image.push', 'image.remove'] },
  { what: 'a Compose project', view: OTHER, value: composeProjectModel('h', { name: 'p', containers: [container('running')] } as never).contextValue, commands: ['composeDown'] },
  { what: 'an added host', view: OTHER, value: new HostNode(new DockerHostSession(spec('added'), env), ctx).getTreeItem().contextValue!, commands: ['azureHost.exportContext', 'compare', 'refreshHost', 'removeHost'] },
  { what: 'the local engine', view: OTHER, value: new HostNode(new DockerHostSession(spec('local'), env), ctx).getTreeItem().contextValue!, commands: ['compare', 'refreshHost'] },
  { what: 'a CLI context', view: OTHER, value: new HostNode(new DockerHostSession(spec('context'), env), ctx).getTreeItem().contextValue!, commands: ['compare', 'refreshHost'] },
  { what: 'an unreachable host', view: AZURE, value: new ErrorNode('h', new DockerHostError('down', 'refused')).getTreeItem().contextValue!, commands: ['retryHost'] },
  { what: 'an unknown SSH host key', view: OTHER, value: new ErrorNode('h', new UnknownHostKeyError('h', 22, 'ssh-ed25519', 'SHA256:x', 'h ssh-ed25519 AAAA', '/dev/null')).getTreeItem().contextValue!, commands: ['retryHost', 'trustHostKey'] },
  { what: 'a running provisioned Azure host', view: AZURE, value: azureHost(vm('running', { provisioned: true })), commands: ['azure.installDocker', 'azureHost.copyAddress', 'azureHost.delete', 'azureHost.exportContext', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'azureHost.openSsh', 'azureHost.restart', 'azureHost.stop', 'compare', 'refreshHost'] },
  { what: 'a deallocated marked Azure host', view: AZURE, value: azureHost(vm('deallocated')), commands: ['azureHost.copyAddress', 'azureHost.delete', 'azureHost.exportContext', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'azureHost.start', 'azureHost.unmark', 'compare', 'refreshHost'] },
  { what: 'a running VM the retired DockerExtension set up, awaiting its certificates', view: AZURE, value: azureHost(vm('running', { legacy: true }), true), commands: ['azure.installDocker', 'azureHost.copyAddress', 'azureHost.delete', 'azureHost.exportContext', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'azureHost.openSsh', 'azureHost.restart', 'azureHost.stop', 'azureHost.useTlsCertificates', 'compare', 'refreshHost'] },
  { what: 'a running marked Azure host (Install Docker on VM… marks so)', view: AZURE, value: azureHost(vm('running')), commands: ['azure.installDocker', 'azureHost.copyAddress', 'azureHost.delete', 'azureHost.exportContext', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'azureHost.openSsh', 'azureHost.removeDockerAccess', 'azureHost.restart', 'azureHost.stop', 'azureHost.unmark', 'compare', 'refreshHost'] },
  { what: 'a running legacy-extension VM marked with its certificates', view: AZURE, value: azureHost(vm('running', { legacy: true })), commands: ['azure.installDocker', 'azureHost.copyAddress', 'azureHost.delete', 'azureHost.exportContext', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'azureHost.openSsh', 'azureHost.removeDockerAccess', 'azureHost.restart', 'azureHost.stop', 'azureHost.unmark', 'azureHost.useTlsCertificates', 'compare', 'refreshHost'] },
  { what: 'a starting Azure host without an address', view: AZURE, value: azureHost(vm('starting', { address: false, provisioned: true })), commands: ['azureHost.delete', 'azureHost.openInPortal', 'azureVm.exportDockerInstallTemplate', 'compare', 'refreshHost'] },
  { what: 'a running Linux VM that is not a Docker host', view: AZURE, value: otherVm(vm('running')), commands: ['azure.addExistingVm', 'azure.installDocker', 'azureVm.exportDockerInstallTemplate'] },
  { what: 'a deallocated Linux VM that is not a Docker host', view: AZURE, value: otherVm(vm('deallocated')), commands: ['azure.addExistingVm', 'azureVm.exportDockerInstallTemplate'] },
  { what: 'a running Windows VM', view: AZURE, value: otherVm({ ...vm('running'), osType: 'Windows' }), commands: ['azure.addExistingVm'] },
  { what: 'the Other VMs group', view: AZURE, value: new OtherVmsNode({ subscriptionId: 's' } as never, [], new MessageNode('p', 'p')).getTreeItem().contextValue!, commands: [] },
  { what: 'a subscription', view: AZURE, value: new SubscriptionNode({ subscriptionId: 's', name: 'S' } as never, async () => []).getTreeItem().contextValue!, commands: ['azure.installDocker', 'azure.provisionSwarm'] },
  { what: 'a message row', view: OTHER, value: new MessageNode('m', 'No containers').getTreeItem().contextValue!, commands: [] },
  { what: 'the Swarms group', view: OTHER, value: new SwarmsGroupNode({} as never, ctx).getTreeItem().contextValue!, commands: ['azure.provisionSwarm', 'swarm.create'] },
  { what: 'a swarm one of the hosts manages', view: OTHER, value: new SwarmTreeNode({ id: 'c', managers: [{ session: { spec: { name: 'n1' } } }], workers: [] } as never, {} as never, ctx).getTreeItem().contextValue!, commands: ['swarm.addHost', 'swarm.deployDockerfile', 'swarm.deployStack', 'swarm.exportManagerContext'] },
  { what: 'a swarm Create Swarm on Azure made', view: OTHER, value: new SwarmTreeNode({ id: 'c', managers: [{ session: { spec: { name: 'n1', swarmOnAzure: 'n' } } }], workers: [] } as never, {} as never, ctx).getTreeItem().contextValue!, commands: ['swarm.addAzureWorker', 'swarm.addHost', 'swarm.deployDockerfile', 'swarm.deployStack', 'swarm.exportManagerContext'] },
  { what: 'a swarm reached only through workers', view: OTHER, value: new SwarmTreeNode({ id: 'c', managers: [], workers: [] } as never, {} as never, ctx).getTreeItem().contextValue!, commands: [] },
  { what: 'an active worker node', view: OTHER, value: swarmNodeModel('s', swarmNode({})).contextValue, commands: ['swarm.drainNode', 'swarm.promoteNode', 'swarm.removeNode'] },
  { what: 'a drained worker node that is down', view: OTHER, value: swarmNodeModel('s', swarmNode({ availability: 'drain', status: 'down' })).contextValue, commands: ['swarm.activateNode', 'swarm.promoteNode', 'swarm.removeNode'] },
  { what: 'the leading manager', view: OTHER, value: swarmNodeModel('s', swarmNode({ role: 'manager', leader: true })).contextValue, commands: ['swarm.demoteNode', 'swarm.drainNode', 'swarm.removeNode'] },
  { what: 'a replicated service in a stack', view: OTHER, value: swarmServiceModel('s', swarmService('replicated', 'shop')).contextValue, commands: ['swarm.removeService', 'swarm.scaleService', 'swarm.serviceLogs', 'swarm.updateImage'] },
  { what: 'an updated replicated service', view: OTHER, value: swarmServiceModel('s', { ...swarmService('replicated'), hasPreviousSpec: true }).contextValue, commands: ['swarm.removeService', 'swarm.rollbackService', 'swarm.scaleService', 'swarm.serviceLogs', 'swarm.updateImage'] },
  { what: 'a global service', view: OTHER, value: swarmServiceModel('s', swarmService('global')).contextValue, commands: ['swarm.removeService', 'swarm.serviceLogs', 'swarm.updateImage'] },
  { what: 'a stack', view: OTHER, value: swarmStackModel('s', { name: 'shop', services: [swarmService('replicated', 'shop')] }).contextValue, commands: ['swarm.removeStack'] },
];

function swarmNode(over: Partial<SwarmNode>): SwarmNode {
  return { id: 'n', hostname: 'n1', role: 'worker', availability: 'active', status: 'ready', address: '10.0.0.1', engineVersion: '20.10', leader: false, ...over };
}

function swarmService(mode: string, stack?: string) {
  return { id: 'svc', name: 'web', image: 'nginx', mode, desired: 2, running: 2, ports: [], stack };
}

const full = (commands: string[]) => commands.map((c) => `dockerOnAzure.${c}`).sort();

test('each kind of row the code produces offers exactly its commands', () => {
  for (const row of rows) {
    assert.deepEqual(commandsFor(row.view, row.value), full(row.commands), `${row.what} (${row.value})`);
  }
});

test('a new flag, or flags in another order, never changes a menu', () => {
  for (const row of rows) {
    const [kind, ...flags] = row.value.split(' ');
    for (const variant of [`${row.value} someNewFlag`, [kind, 'someNewFlag', ...flags].join(' '), [kind, ...flags.reverse()].join(' ')]) {
      assert.deepEqual(commandsFor(row.view, variant), full(row.commands), `${row.what} as "${variant}"`);
    }
  }
});

test('every item menu entry is reachable from some row the code produces', () => {
  for (const entry of itemMenus) {
    assert.ok(
      rows.some((row) => matches(entry.when!, { view: row.view, viewItem: row.value })),
      `${entry.command} (${entry.when}) matches no row`,
    );
  }
});
