/**
 * Create Swarm on Azure as a user runs it: the real wizard (answered step by step through the vscode
 * fake), the real command and Azure SDKs against the ARM emulator, whose VMs boot as dockerd
 * instances in namespaces of their own at their private addresses (privateNetworks). The swarm the
 * command makes is then read from the tree and used: a stack deploys across its nodes. No routing
 * mesh or VIP here (no IPVS): the service uses dnsrr.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import * as vscode from 'vscode';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR, loadTestEnvironment } from '../support/testEnv';
import { mementoText, startAzureCommands, type AzureCommands } from '../support/azureCommands';
import { importBusybox } from '../support/busyboxImage';
import { dockerCli, eventually } from '../support/testEnv';
import type { FakeInputBox } from '../support/vscodeFake';
import { TAG_HOST } from '../../src/core/azure/hostTags';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { SwarmNodeRow, SwarmServiceRow, SwarmsGroupNode, SwarmTreeNode } from '../../src/ui/tree/swarmNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { onlySwarmShown, swarmSection } from '../support/swarmTree';
import { engineRequest } from '../support/engineApi';

const env = loadTestEnvironment();
let arm: ArmEmulator;
let sub: string;
let azure: AzureCommands;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-azswarm-'));
const sshDir = path.join(scratch, 'ssh');

type Item = { label: string; value?: unknown; picked?: boolean };
const byDefault = (items: Item[]) => items.find((i) => i.picked) ?? items[0];
const label = (n: TreeNode) => String(n.getTreeItem().label);
const description = (n: TreeNode) => String(n.getTreeItem().description ?? '');
const messages = () => recorded.messages.map((m) => `${m.level}: ${m.text}`).join('\n');

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, privateNetworks: true });
  sub = arm.subscriptions[0].subscriptionId;
  azure = startAzureCommands(arm, scratch, { 'dockerOnAzure.ssh.keyDirectory': sshDir });
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const section = async (name: string) => swarmSection(azure.otherView.provider, await onlySwarmShown(azure.otherView.provider), name);

/** Every file below `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((e) => {
    const file = path.join(e.parentPath, e.name);
    return e.isFile() && fs.readFileSync(file).includes(needle) ? [file] : [];
  });
}

test('Create Swarm on Azure: a 1-manager, 2-worker swarm whose nodes are Docker hosts, Ready in the Swarms group, and a stack spreads over them', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const seen: { name?: string; workersPrompt?: string } = {};
  recorded.answers.push(
    (box: FakeInputBox) => (seen.name = box.value),
    byDefault, // a new resource group
    byDefault, // 1 manager
    (box: FakeInputBox) => {
      seen.workersPrompt = box.prompt;
      return box.value;
    },
    byDefault, // region
    byDefault, // size
    '203.0.113.7',
  );
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  const name = seen.name!;
  assert.equal(name, 'swarm-1');
  assert.equal(seen.workersPrompt, 'Workers (0 to 20)');
  assert.deepEqual(
    recorded.messages.map((m) => m.level),
    ['info'],
    messages(),
  );
  assert.match(recorded.messages[0].text, /^Swarm swarm-1 is ready: swarm-1-m1 manages it, swarm-1-w1, swarm-1-w2 joined\./);
  // Progress names each node: its resources, its daemon, its join.
  for (const line of [
    'Creating virtual machine swarm-1-w2',
    'swarm-1-w2: creating the daemon certificates…',
    'swarm-1-w2: Docker answers',
    'Initialising the swarm on swarm-1-m1…',
    'Joining swarm-1-w1…',
    'Joining swarm-1-w2…',
  ]) {
    assert.ok(recorded.progress.includes(line), `progress shows "${line}": ${recorded.progress.join(' | ')}`);
  }
  assert.ok(!recorded.progress.some((p) => p.includes('SWMTKN')), 'no token in progress');
  await arm.dockerHostsSettled();
  assert.deepEqual(arm.bootFailures(), []);

  // The cluster's NSG, as Azure holds it: swarm ports only from inside the network.
  const rg = `/subscriptions/${sub}/resourceGroups/swarm-1-rg`;
  const nsg = arm.resource(`${rg}/providers/Microsoft.Network/networkSecurityGroups/swarm-1-nsg`) as {
    properties: { securityRules: { properties: { protocol: string; destinationPortRange: string; sourceAddressPrefix: string } }[] };
  };
  const rules = nsg.properties.securityRules.map(
    (r) => `${r.properties.protocol}/${r.properties.destinationPortRange} from ${r.properties.sourceAddressPrefix}`,
  );
  assert.deepEqual(rules, [
    'Tcp/22 from 203.0.113.7',
    'Tcp/2376 from 203.0.113.7',
    'Tcp/2377 from VirtualNetwork',
    'Tcp/7946 from VirtualNetwork',
    'Udp/7946 from VirtualNetwork',
    'Udp/4789 from VirtualNetwork',
  ]);
  const nsgs = arm.inventory().filter((id) => /\/networkSecurityGroups\/[^/]+$/.test(id) && id.toLowerCase().startsWith(rg.toLowerCase()));
  const vnets = arm.inventory().filter((id) => /\/virtualNetworks\/[^/]+$/.test(id) && id.toLowerCase().startsWith(rg.toLowerCase()));
  assert.equal(nsgs.length, 1, 'one NSG for the cluster');
  assert.equal(vnets.length, 1, 'one VNet for the cluster');

  // Each node is a Docker host of the Azure view, as a provisioned host is.
  const nodes = ['swarm-1-m1', 'swarm-1-w1', 'swarm-1-w2'];
  for (const vm of nodes) {
    const tags = (arm.resource(`${rg}/providers/Microsoft.Compute/virtualMachines/${vm}`) as { tags: Record<string, string> }).tags;
    assert.equal(tags[TAG_HOST], 'true', `${vm} is marked as a Docker host`);
  }
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s))))
    .flat()
    .filter((n): n is AzureHostNode => n instanceof AzureHostNode);
  assert.deepEqual(hosts.map((h) => h.vm.name).sort(), nodes);

  assert.ok(mementoText(azure.state.globalState).includes('swarm-1-w2'), "each node's SSH key is remembered for it");
  // The join tokens went nowhere: not in any VM's custom data, the extension's state, or a file.
  const customData = arm.requests
    .filter((r) => r.method === 'PUT' && /\/virtualMachines\/[^/]+$/.test(r.path))
    .map((r) =>
      Buffer.from((r.body as { properties: { osProfile: { customData: string } } }).properties.osProfile.customData, 'base64').toString('utf8'),
    );
  assert.equal(customData.length, 3);
  const booted = arm.bootedHosts();
  assert.equal(booted.length, 3);
  const managerSocket = booted.find((b) => b.vmId.endsWith('/swarm-1-m1'))!.socketPath;
  const tokens = await Promise.all(
    ['worker', 'manager'].map(async (role) => (await dockerCli(['swarm', 'join-token', '--quiet', role], managerSocket)).trim()),
  );
  for (const secret of tokens) {
    assert.match(secret, /^SWMTKN-/);
    assert.ok(!customData.some((c) => c.includes(secret)), 'no token in custom data');
    for (const state of [azure.state.globalState, azure.state.workspaceState]) {
      assert.ok(!mementoText(state).includes(secret), 'no token in the extension state');
    }
    assert.deepEqual(filesContaining(scratch, secret), [], 'no token in a file');
  }

  // The Swarms group shows the swarm with its three nodes Ready, each expanding as its host.
  azure.otherView.refreshSwarms();
  const shown = await eventually(async () => {
    const rows = (await section('Nodes')).filter((n): n is SwarmNodeRow => n instanceof SwarmNodeRow);
    assert.deepEqual(rows.map(label).sort(), nodes);
    return rows;
  });
  for (const row of shown) {
    assert.match(description(row), / · active · ready · /, `${label(row)}: ${description(row)}`);
    assert.equal(row.host?.spec.name, label(row), 'the node is the user host of that name');
  }
  assert.match(description(shown.find((r) => label(r) === 'swarm-1-m1')!), /^manager \(leader\)/);
  // Each node advertises its private address, where the others reach it.
  const privateIps = new Map(booted.map((b) => [b.vmId.split('/').pop(), b.privateAddress]));
  const inspected = JSON.parse(await dockerCli(['node', 'inspect', ...nodes], managerSocket)) as {
    Description: { Hostname: string };
    Status: { Addr: string };
  }[];
  for (const n of inspected) {
    assert.equal(n.Status.Addr, privateIps.get(n.Description.Hostname), `${n.Description.Hostname} advertises its private address`);
  }

  // A stack deployed through the product runs its replicas on several nodes.
  await Promise.all(booted.map((b) => importBusybox(b.socketPath)));
  const folder = path.join(scratch, 'shop');
  fs.mkdirSync(folder);
  fs.writeFileSync(
    path.join(folder, 'compose.yaml'),
    `services:\n  web:\n    image: ${env.baseImage}\n    command: ["httpd", "-f", "-p", "80"]\n    networks: [back]\n    deploy:\n      replicas: 3\n      endpoint_mode: dnsrr\nnetworks:\n  back:\n    driver: overlay\n`,
  );
  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push('shop');
  await recorded.commands.get('dockerOnAzure.swarm.deployStack')!(vscode.Uri.file(path.join(folder, 'compose.yaml')));
  assert.match(messages(), /^info: Stack shop deployed on the swarm-1-m1 swarm/);
  const running = await eventually(async () => {
    const listed = await dockerCli(
      ['service', 'ps', 'shop_web', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'],
      managerSocket,
    );
    const lines = listed
      .trim()
      .split('\n')
      .filter((l) => / Running /.test(` ${l} `));
    assert.equal(lines.length, 3, listed);
    return lines.map((l) => l.split(' ')[0]);
  });
  assert.ok(new Set(running).size >= 2, `replicas on several nodes: ${running.join(', ')}`);
  const service = (await section('Services')).find((n): n is SwarmServiceRow => n instanceof SwarmServiceRow && label(n) === 'shop_web');
  assert.ok(service, 'the service is shown');
  assert.match(description(service), /3\/3/);
});

test('three managers: the other two join with the manager token, so the swarm keeps a majority with one lost', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push(
    'tri',
    byDefault, // a new resource group
    (items: Item[]) => items.find((i) => i.value === 3),
    '0',
    byDefault,
    byDefault,
    '203.0.113.7',
  );
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  assert.match(messages(), /^info: Swarm tri is ready: tri-m1 manages it, tri-m2, tri-m3 joined\./);
  await arm.dockerHostsSettled();
  const m1 = arm.bootedHosts().find((b) => b.vmId.endsWith('/tri-m1'));
  assert.ok(m1);
  const listed = await dockerCli(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'], m1.socketPath);
  assert.deepEqual(listed.trim().split('\n').sort(), ['tri-m1 Ready Leader', 'tri-m2 Ready Reachable', 'tri-m3 Ready Reachable']);
});

test('a VM Azure refuses rolls back the whole swarm through the command: nothing remains, and nothing kept for it here', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const before = arm.snapshot();
  const keysBefore = fs.readdirSync(sshDir).sort();
  arm.faults.refuseNext(
    'PUT',
    /\/virtualMachines\/lost-w1$/i,
    409,
    'OperationNotAllowed',
    'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.',
  );
  recorded.answers.push('lost', byDefault, byDefault, '2', byDefault, byDefault, '203.0.113.7');
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  const errors = recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
  assert.equal(errors.length, 1, messages());
  assert.match(errors[0], /^Provisioning failed: .*quota.* Nothing it created remains\.$/);
  assert.equal(arm.snapshot(), before, 'the subscription is as it was');
  assert.deepEqual(fs.readdirSync(sshDir).sort(), keysBefore, 'the key pair made for the swarm went with it');
  await arm.dockerHostsSettled();
  assert.ok(!arm.bootedHosts().some((b) => /\/lost-/.test(b.vmId)), 'no VM of the run still runs');
});

test('a swarm name whose network or first node exists is refused while it is typed, naming what exists', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const before = arm.snapshot();
  recorded.answers.push('swarm-1');
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.deepEqual(recorded.refusedInputs, [
    { value: 'swarm-1', message: 'The virtual network swarm-1-vnet already exists in resource group swarm-1-rg: choose another swarm name.' },
  ]);
  resetRecorded();
  recorded.config = { ...azure.config };
  const seen: { initial?: string; tooLong?: string } = {};
  recorded.answers.push(async (box: FakeInputBox) => {
    seen.initial = box.value;
    await box.type('a'.repeat(60));
    seen.tooLong = box.validationMessage;
    return undefined;
  });
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.equal(seen.initial, 'swarm-2', 'the default is a name that is free');
  assert.match(seen.tooLong ?? '', /^Use at most 59 characters/);
  assert.equal(arm.snapshot(), before, 'Escape left before anything was created');
});

test("deleting one node's VM takes its own pieces only: the cluster's NSG and VNet and the other nodes stay", async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s)))).flat();
  const node = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === 'tri-m3');
  assert.ok(node, 'tri-m3 is listed');
  const rg = `/subscriptions/${sub}/resourceGroups/tri-rg`.toLowerCase();
  const inGroup = () =>
    arm
      .inventory()
      .filter((id) => id.toLowerCase().startsWith(rg))
      .map((id) => id.split('/').slice(-2).join('/'))
      .sort();
  const before = inGroup();
  recorded.answers.push('tri-m3');
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(node);
  assert.deepEqual([recorded.answerErrors, recorded.answers], [[], []], messages());
  assert.match(messages(), /^info: Deleted tri-m3 and the 3 resource\(s\) created with it\.$/);
  assert.deepEqual(
    before.filter((r) => !inGroup().includes(r)),
    ['disks/tri-m3-osdisk', 'networkInterfaces/tri-m3-nic', 'publicIPAddresses/tri-m3-ip', 'virtualMachines/tri-m3'].sort(),
  );
  assert.ok(inGroup().includes('networkSecurityGroups/tri-nsg') && inGroup().includes('virtualNetworks/tri-vnet'), inGroup().join());
});

/** The swarm row whose first manager is `manager`, read afresh. */
async function swarmRow(manager: string): Promise<SwarmTreeNode> {
  azure.otherView.refreshSwarms();
  const group = (await azure.otherView.provider.getChildren()).find((n): n is SwarmsGroupNode => n instanceof SwarmsGroupNode);
  assert.ok(group, 'the view has a Swarms group');
  const row = (await azure.otherView.provider.getChildren(group)).find((n): n is SwarmTreeNode => n instanceof SwarmTreeNode && n.name === manager);
  assert.ok(row, `the ${manager} swarm is shown`);
  return row;
}

/** A GET on a daemon's own Engine API, its query's JSON encoded. */
async function engineJson<T>(socketPath: string, urlPath: string): Promise<T> {
  const [route, query] = urlPath.split('?');
  const search = query ? `?${query.replace(/=(.*)$/, (_, v: string) => `=${encodeURIComponent(v)}`)}` : '';
  const { status, body } = await engineRequest(socketPath, 'GET', `${route}${search}`, 60_000);
  assert.equal(status, 200, body);
  return JSON.parse(body) as T;
}

interface EngineTask {
  NodeID: string;
  DesiredState: string;
  Status: { State: string; Timestamp: string };
}

const swarm1Group = () => `/subscriptions/${sub}/resourceGroups/swarm-1-rg`;
const swarm1Inventory = () =>
  arm
    .inventory()
    .filter((id) => id.toLowerCase().startsWith(swarm1Group().toLowerCase()))
    .map((id) => id.split('/').slice(-2).join('/'))
    .sort();
/** What the swarm's VNet and NSG hold of their own (a subnet's list of the NICs in it is Azure's to keep). */
const sharedResources = () => {
  const at = (r: string) =>
    arm.resource(`${swarm1Group()}/providers/Microsoft.Network/${r}`) as Record<string, unknown> & { properties: Record<string, unknown> };
  const vnet = at('virtualNetworks/swarm-1-vnet') as {
    etag: string;
    tags: unknown;
    properties: { addressSpace: unknown; subnets: { name: string; properties: { addressPrefix: string } }[] };
  };
  const nsg = at('networkSecurityGroups/swarm-1-nsg');
  return JSON.stringify({
    vnet: [vnet.etag, vnet.tags, vnet.properties.addressSpace, vnet.properties.subnets.map((s) => [s.name, s.properties.addressPrefix])],
    nsg: [nsg.etag, nsg.tags, nsg.properties.securityRules],
  });
};
const nodeResources = (vm: string) => [`disks/${vm}-osdisk`, `networkInterfaces/${vm}-nic`, `publicIPAddresses/${vm}-ip`, `virtualMachines/${vm}`];

test('Remove Node from Swarm… on an Azure worker, then its VM: the tasks run elsewhere before it leaves, and only its own NIC, IP and disk go with it', async () => {
  const managerSocket = arm.bootedHosts().find((b) => b.vmId.endsWith('/swarm-1-m1'))!.socketPath;
  const w2 = (await swarmSection(azure.otherView.provider, await swarmRow('swarm-1-m1'), 'Nodes')).find(
    (n): n is SwarmNodeRow => n instanceof SwarmNodeRow && label(n) === 'swarm-1-w2',
  );
  assert.ok(w2?.host, 'swarm-1-w2 is shown as one of your hosts');
  const w2Id = w2.node.id;
  const before = swarm1Inventory();
  const shared = sharedResources();
  const others = JSON.stringify(
    ['swarm-1-m1', 'swarm-1-w1'].map((vm) => arm.resource(`${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/${vm}`)),
  );
  // Spread over three nodes, so swarm-1-w2 runs a replica its removal has to move.
  const tasksBefore = await engineJson<EngineTask[]>(managerSocket, '/tasks?filters={"service":["shop_web"],"desired-state":["running"]}');
  assert.ok(
    tasksBefore.some((t) => t.NodeID === w2Id),
    'swarm-1-w2 runs a task of shop_web',
  );

  resetRecorded();
  recorded.config = { ...azure.config };
  // When the node is told to leave: every replica must already run on another node by then.
  let leftAt: number | undefined;
  const push = recorded.progress.push.bind(recorded.progress);
  recorded.progress.push = (...items: string[]) => {
    if (items.some((m) => m === 'swarm-1-w2 leaves the swarm…')) {
      leftAt ??= Date.now();
    }
    return push(...items);
  };
  recorded.answers.push('Remove', 'Delete VM…', 'swarm-1-w2');
  await recorded.commands.get('dockerOnAzure.swarm.removeNode')!(w2);
  assert.deepEqual([recorded.answerErrors, recorded.answers], [[], []], messages());
  assert.ok(leftAt, `the node was made to leave: ${recorded.progress.join(' | ')}`);
  assert.match(messages(), /info: Deleted swarm-1-w2 and the 3 resource\(s\) created with it\.$/);

  const tasks = await engineJson<EngineTask[]>(managerSocket, '/tasks?filters={"service":["shop_web"],"desired-state":["running"]}');
  const running = tasks.filter((t) => t.Status.State === 'running');
  assert.equal(running.length, 3, JSON.stringify(tasks));
  for (const t of running) {
    assert.notEqual(t.NodeID, w2Id, 'no replica left on the removed node');
    assert.ok(Date.parse(t.Status.Timestamp) < leftAt, `a replica ran on another node before the leave (${t.Status.Timestamp})`);
  }
  const nodes = await engineJson<{ Description: { Hostname: string } }[]>(managerSocket, '/nodes');
  assert.deepEqual(nodes.map((n) => n.Description.Hostname).sort(), ['swarm-1-m1', 'swarm-1-w1']);

  assert.deepEqual(
    before.filter((r) => !swarm1Inventory().includes(r)),
    nodeResources('swarm-1-w2'),
    'the VM and exactly its own NIC, disk and public IP are gone',
  );
  assert.equal(sharedResources(), shared, 'the VNet and the NSG with its swarm rules are untouched');
  assert.equal(
    JSON.stringify(['swarm-1-m1', 'swarm-1-w1'].map((vm) => arm.resource(`${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/${vm}`))),
    others,
    'the other nodes are untouched',
  );
});

test('Add Azure Worker… on a swarm Create Swarm on Azure made: one more VM in its network, joined, and the service spreads onto it', async () => {
  const row = await swarmRow('swarm-1-m1');
  assert.match(String(row.getTreeItem().contextValue), /\bazureSwarm\b/, 'the row offers Add Azure Worker…');
  const managerSocket = arm.bootedHosts().find((b) => b.vmId.endsWith('/swarm-1-m1'))!.socketPath;
  const before = swarm1Inventory();
  const shared = sharedResources();
  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push(byDefault); // the size of the other nodes
  await recorded.commands.get('dockerOnAzure.swarm.addAzureWorker')!(row);
  assert.deepEqual([recorded.answerErrors, recorded.answers], [[], []], messages());
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['info: swarm-1-w2 joined the swarm-1-m1 swarm as a worker.'],
  );
  for (const line of ['Creating virtual machine swarm-1-w2', 'swarm-1-w2: Docker answers', 'Joining swarm-1-w2…']) {
    assert.ok(recorded.progress.includes(line), `progress shows "${line}": ${recorded.progress.join(' | ')}`);
  }
  assert.ok(!recorded.progress.some((p) => p.includes('SWMTKN')), 'no token in progress');
  assert.deepEqual(
    swarm1Inventory().filter((r) => !before.includes(r)),
    nodeResources('swarm-1-w2'),
    'only the new node was created',
  );
  assert.equal(sharedResources(), shared, 'the VNet and the NSG are as they were');
  const vm = (name: string) =>
    arm.resource(`${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/${name}`) as {
      location: string;
      tags: Record<string, string>;
      properties: { hardwareProfile: { vmSize: string } };
    };
  assert.equal(vm('swarm-1-w2').properties.hardwareProfile.vmSize, vm('swarm-1-w1').properties.hardwareProfile.vmSize);
  assert.equal(vm('swarm-1-w2').location, vm('swarm-1-w1').location);
  assert.equal(vm('swarm-1-w2').tags[TAG_HOST], 'true');
  await arm.dockerHostsSettled();
  const added = arm.bootedHosts().find((b) => b.vmId.endsWith('/swarm-1-w2'))!;
  const nodes = await engineJson<{ ID: string; Description: { Hostname: string }; Status: { State: string; Addr: string } }[]>(
    managerSocket,
    '/nodes',
  );
  assert.deepEqual(nodes.map((n) => `${n.Description.Hostname} ${n.Status.State}`).sort(), [
    'swarm-1-m1 ready',
    'swarm-1-w1 ready',
    'swarm-1-w2 ready',
  ]);
  const fresh = nodes.find((n) => n.Description.Hostname === 'swarm-1-w2')!;
  assert.equal(fresh.Status.Addr, added.privateAddress, 'it advertises its private address');

  // Scaled through the product, the service's new replicas go to the new node too.
  await importBusybox(added.socketPath);
  const service = (await swarmSection(azure.otherView.provider, await swarmRow('swarm-1-m1'), 'Services')).find(
    (n): n is SwarmServiceRow => n instanceof SwarmServiceRow && label(n) === 'shop_web',
  );
  assert.ok(service);
  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push('6');
  await recorded.commands.get('dockerOnAzure.swarm.scaleService')!(service);
  await eventually(async () => {
    const tasks = await engineJson<EngineTask[]>(managerSocket, '/tasks?filters={"service":["shop_web"],"desired-state":["running"]}');
    const running = tasks.filter((t) => t.Status.State === 'running');
    assert.equal(running.length, 6, JSON.stringify(tasks.map((t) => t.Status.State)));
    assert.ok(
      running.some((t) => t.NodeID === fresh.ID),
      'a replica runs on the new node',
    );
  });
});

test('Add Azure Worker… of another size, refused by Azure: one sentence names the VM, and only what this run made is removed', async () => {
  const before = arm.snapshot();
  const vmPuts = () => arm.requests.filter((r) => r.method === 'PUT' && /\/virtualMachines\/swarm-1-w3$/i.test(r.path));
  arm.faults.refuseNext(
    'PUT',
    /\/virtualMachines\/swarm-1-w3$/i,
    409,
    'OperationNotAllowed',
    'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.',
  );
  resetRecorded();
  recorded.config = { ...azure.config };
  const seen: { sizes?: Item[] } = {};
  recorded.answers.push((items: Item[]) => {
    seen.sizes = items;
    return items[1];
  });
  await recorded.commands.get('dockerOnAzure.swarm.addAzureWorker')!(await swarmRow('swarm-1-m1'));
  assert.deepEqual([recorded.answerErrors, recorded.answers], [[], []], messages());
  const sameSize = (
    arm.resource(`${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/swarm-1-m1`) as { properties: { hardwareProfile: { vmSize: string } } }
  ).properties.hardwareProfile.vmSize;
  assert.equal(seen.sizes?.[0].value, sameSize, "the manager's size comes first, picked");
  assert.ok(seen.sizes?.[0].picked);
  const other = seen.sizes![1].value as string;
  assert.notEqual(other, sameSize);
  assert.deepEqual(
    vmPuts().map((r) => (r.body as { properties: { hardwareProfile: { vmSize: string } } }).properties.hardwareProfile.vmSize),
    [other],
    'the VM was asked for in the size picked',
  );
  const errors = recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
  assert.equal(errors.length, 1, messages());
  assert.match(errors[0], /^swarm-1-w3 was not added to the swarm-1-m1 swarm: Provisioning failed: .*quota.* Nothing it created remains\.$/);
  assert.ok(recorded.progress.includes('Removing public IP address swarm-1-w3-ip'), recorded.progress.join(' | '));
  assert.equal(arm.snapshot(), before, 'the subscription is as it was: the shared network and the other nodes untouched');
});

test('Add Azure Worker… cancelled while the new VM boots: the VM, NIC and IP go, and nothing is kept here for it', async () => {
  const before = arm.snapshot();
  resetRecorded();
  recorded.config = { ...azure.config };
  const push = recorded.progress.push.bind(recorded.progress);
  recorded.progress.push = (...items: string[]) => {
    if (items.some((m) => m.startsWith('swarm-1-w3: waiting for Docker'))) {
      setImmediate(() => recorded.cancelProgress?.());
    }
    return push(...items);
  };
  recorded.answers.push(byDefault);
  await recorded.commands.get('dockerOnAzure.swarm.addAzureWorker')!(await swarmRow('swarm-1-m1'));
  assert.deepEqual([recorded.answerErrors, recorded.answers], [[], []], messages());
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['info: swarm-1-w3 was not added to the swarm-1-m1 swarm: Provisioning was cancelled. Nothing it created remains.'],
  );
  assert.equal(arm.snapshot(), before, 'the subscription is as it was');
  const vmId = `${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/swarm-1-w3`;
  assert.equal(await azure.hostTls.get(vmId), undefined, 'no certificates kept for the deleted VM');
  assert.equal(azure.marks.sshKey(vmId), undefined, 'no SSH key kept for it');
  await arm.dockerHostsSettled();
  assert.ok(!arm.bootedHosts().some((b) => b.vmId.endsWith('/swarm-1-w3')), 'its daemon stopped with it');
});

test("Add Azure Worker… from a machine without the swarm's CA says so in one sentence and creates nothing", async () => {
  const before = arm.snapshot();
  const managerId = `${swarm1Group()}/providers/Microsoft.Compute/virtualMachines/swarm-1-m1`;
  const [tls, ca] = [await azure.hostTls.get(managerId), await azure.hostTls.issuer(managerId)];
  assert.ok(tls && ca);
  await azure.hostTls.set(managerId, { ...tls, caKey: '' });
  try {
    resetRecorded();
    recorded.config = { ...azure.config };
    await recorded.commands.get('dockerOnAzure.swarm.addAzureWorker')!(await swarmRow('swarm-1-m1'));
    assert.deepEqual(
      recorded.messages.map((m) => `${m.level}: ${m.text}`),
      [
        'error: This machine does not hold what the nodes of the swarm-1-m1 swarm are made with (the CA of swarm-1-m1, its SSH key and image): add the worker from the machine that created the swarm.',
      ],
    );
    assert.equal(arm.snapshot(), before);
  } finally {
    await azure.hostTls.set(managerId, { ...tls, caKey: ca.keyPem });
  }
});
