/**
 * The subscription's VMs that are not Docker hosts, in the Azure view (issue 16): a collapsed
 * "Other VMs" group under each subscription, from the same listing as the hosts, so showing them
 * costs no ARM call. Each row says whether Docker can be installed on it (a stopped VM must be
 * running, Windows is "not yet"); Install Docker on VM… and Add Existing VM as Docker Host… from a
 * row take that VM without asking for one, and the VM then lists its real containers.
 */
import { recorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients } from '../support/armEmulator/sdkClients';
import { importBusybox, BASE_IMAGE } from '../support/busyboxImage';
import { ARM_CA_DIR_VAR, dockerCli, uniqueName } from '../support/testEnv';
import { AzureHostNode, AzureVmNode, OtherVmsNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let azure: AzureCommands;
let sub: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-unmarked-'));
const keyDir = path.join(scratch, 'ssh');
const rg = uniqueName('rg-unmarked');
const names = { host: uniqueName('host'), plain: uniqueName('plain'), idle: uniqueName('idle'), win: uniqueName('win') };
const ids: Record<keyof typeof names, string> = { host: '', plain: '', idle: '', win: '' };

type Item = { label: string; id?: string; access?: string };
const overSsh = (items: Item[]) => items.find((i) => i.access === 'ssh');
const newKeyPair = (items: Item[]) => items[0];
const said = () => recorded.messages.map((m) => `${m.level}: ${m.text}`).join(' | ');

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  trustEmulatorCa(arm.caCertPath);
  // A subscription of its own: the emulator's default one is the same in every test file.
  sub = arm.addSubscription({ displayName: 'Unmarked VMs' });
  const hostTags = { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' };
  ids.host = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: names.host, tags: hostTags, powerState: 'deallocated' });
  ids.plain = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: names.plain });
  ids.idle = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: names.idle, powerState: 'deallocated' });
  ids.win = arm.addVm({
    subscriptionId: sub,
    resourceGroup: rg,
    name: names.win,
    image: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition' },
  });
  azure = startAzureCommands(arm, scratch, {
    'dockerOnAzure.ssh.keyDirectory': keyDir,
    'dockerOnAzure.install.pollIntervalSeconds': 0.2,
    'dockerOnAzure.azure.subscriptions': [sub],
  });
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const fresh = () => azure.fresh();

async function subscriptionNode(): Promise<SubscriptionNode> {
  const found = (await azure.view.provider.getChildren()).find(
    (n): n is SubscriptionNode => n instanceof SubscriptionNode && n.subscription.subscriptionId === sub,
  );
  assert.ok(found, 'the subscription is listed');
  return found;
}

/** The subscription's rows, re-listed from Resource Manager. */
async function rows(): Promise<TreeNode[]> {
  azure.view.refreshAll();
  return azure.view.provider.getChildren(await subscriptionNode());
}

async function otherVms(): Promise<AzureVmNode[]> {
  const group = (await rows()).find((n): n is OtherVmsNode => n instanceof OtherVmsNode);
  assert.ok(group, 'the subscription has an Other VMs group');
  return (await azure.view.provider.getChildren(group)) as AzureVmNode[];
}

async function otherVm(name: string): Promise<AzureVmNode> {
  const found = (await otherVms()).find((n) => n.vm.name === name);
  assert.ok(found, `${name} is under Other VMs`);
  return found;
}

const description = (n: TreeNode) => n.getTreeItem().description as string;

test('the VMs that are not Docker hosts are under a collapsed "Other VMs" group, each saying whether Docker can be installed on it', async () => {
  fresh();
  const top = await rows();
  assert.deepEqual(
    top.map((n) => n.getTreeItem().label),
    [names.host, 'Other VMs'],
    'the Docker host first, then one group for the rest',
  );
  const group = top[1].getTreeItem();
  assert.equal(group.collapsibleState, 1 /* Collapsed */, 'the group does not clutter the view until opened');
  assert.equal(group.description, '3 not Docker hosts');
  const vms = await otherVms();
  assert.deepEqual(vms.map((n) => n.vm.name).sort(), [names.idle, names.plain, names.win].sort(), 'the host is not among them');
  assert.ok(
    vms.every((n) => n.getTreeItem().collapsibleState === 0),
    'a VM without Docker has nothing to expand',
  );
  const byName = (name: string) => vms.find((n) => n.vm.name === name)!;
  assert.equal(description(byName(names.plain)), 'running · not a Docker host');
  assert.equal(description(byName(names.idle)), 'deallocated · must be running to install Docker');
  assert.equal(description(byName(names.win)), 'running · Windows: installing Docker is not supported yet');
  assert.equal(byName(names.plain).getTreeItem().contextValue, 'azureVm running linux');
  assert.equal(byName(names.win).getTreeItem().contextValue, 'azureVm running windows');
});

test('listing the other VMs costs no ARM call beyond the listing the hosts already need, however many VMs there are', async () => {
  fresh();
  const count = async () => {
    azure.view.refreshAll();
    arm.resetRequests();
    const subscription = await subscriptionNode();
    const top = await azure.view.provider.getChildren(subscription);
    const group = top.find((n): n is OtherVmsNode => n instanceof OtherVmsNode)!;
    const listed = await azure.view.provider.getChildren(group);
    const calls = arm.requests.filter((r) => r.kind === 'arm').map((r) => `${r.method} ${r.path.replace(/^\/subscriptions\/[^/]+/, '')}`);
    return { listed: listed.length, calls: calls.sort() };
  };
  const before = await count();
  // What listing the hosts alone cost before there was a group: tenants and subscriptions, then the subscription's three listings.
  assert.deepEqual(before.calls, [
    'GET /providers/Microsoft.Compute/virtualMachines',
    'GET /providers/Microsoft.Network/networkInterfaces',
    'GET /providers/Microsoft.Network/publicIPAddresses',
    'GET /subscriptions',
    'GET /tenants',
  ]);
  const more = Array.from({ length: 5 }, (_, i) =>
    arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: uniqueName(`more${i}`), publicIp: false }),
  );
  try {
    const after = await count();
    assert.equal(after.listed, before.listed + 5, 'the new VMs are listed');
    assert.deepEqual(after.calls, before.calls, 'with the same calls as before');
  } finally {
    const { compute } = emulatorClients(arm, sub);
    await Promise.all(more.map((id) => compute.virtualMachines.beginDeleteAndWait(rg, id.split('/').pop()!)));
  }
});

test("Install Docker on VM… from an unmarked VM's row takes that VM without a pick; it then is a host listing its containers", async () => {
  fresh();
  const row = await otherVm(names.plain);
  // No VM pick: the first prompt is how to reach Docker, the second the key.
  recorded.answers.push(overSsh, newKeyPair);
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!(row);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  assert.ok(
    recorded.messages.some((m) => m.level === 'info' && m.text.startsWith(`Docker is ready on ${names.plain}`)),
    said(),
  );
  assert.equal(azure.marks.get(ids.plain)?.access, 'ssh');

  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === ids.plain.toLowerCase());
  assert.ok(booted?.ssh, `the VM serves Docker over SSH: ${JSON.stringify(arm.bootFailures())}`);
  await importBusybox(booted.socketPath);
  await dockerCli(['create', '--name', 'on-the-unmarked-vm', BASE_IMAGE, 'sleep', '60'], booted.socketPath);
  const top = await rows();
  const host = top.find((n): n is AzureHostNode => n instanceof AzureHostNode && n.vm.name === names.plain);
  assert.ok(host?.session, `the VM is a host now: ${top.map((n) => n.getTreeItem().label)}`);
  assert.ok(!(await otherVms()).some((n) => n.vm.name === names.plain), 'and no longer under Other VMs');
  const snapshot = await host.session.load();
  assert.ok(
    snapshot.containers.some((c) => c.Names.includes('/on-the-unmarked-vm')),
    JSON.stringify(snapshot.containers.map((c) => c.Names)),
  );
});

test('a stopped VM\'s row says to start it, and Windows says "not yet", before anything is sent', async () => {
  for (const [name, expected] of [
    [names.idle, `${names.idle} is deallocated: start the VM to install Docker on it.`],
    [names.win, `${names.win} runs Windows. Installing Docker on Windows VMs is not supported yet; only Linux VMs are.`],
  ]) {
    fresh();
    const row = await otherVm(name);
    arm.resetRequests();
    await recorded.commands.get('dockerOnAzure.azure.installDocker')!(row);
    assert.equal(said(), `info: ${expected}`);
    assert.ok(!arm.requests.some((r) => r.method !== 'GET'), 'nothing was sent to the VM');
  }
});

test('Add Existing VM as Docker Host… from a row marks that VM without a pick', async () => {
  fresh();
  const row = await otherVm(names.idle);
  let firstOffered: string[] = [];
  recorded.answers.push(
    (items: Item[]) => {
      firstOffered = items.map((i) => i.label);
      return items.find((i) => i.id === 'ssh');
    },
    'azureuser',
    (items: Item[]) => items[0],
  );
  await recorded.commands.get('dockerOnAzure.azure.addExistingVm')!(row);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  assert.deepEqual(firstOffered, ['SSH', 'Mutual TLS'], 'the first question is how to reach this VM, not which VM');
  assert.equal(azure.marks.get(ids.idle)?.access, 'ssh');
  const top = await rows();
  assert.ok(
    top.some((n) => n instanceof AzureHostNode && n.vm.name === names.idle),
    'it is listed as a host',
  );
});
