/**
 * VMs the retired Docker VM extension (Microsoft.Azure.Extensions DockerExtension) set up: listed
 * as Docker hosts on TLS 2376, marked "legacy extension", and reached once the user points at
 * their certificates, against the real TLS test daemon standing in for the VM's daemon.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { emulatorClients } from '../support/armEmulator/sdkClients';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';
import { ARM_CA_DIR_VAR, loadTestEnvironment } from '../support/testEnv';
import { Uri } from '../support/vscodeFake';
import { azureHostId } from '../../src/core/azure/azureHostSpec';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { MessageNode, TreeNode } from '../../src/ui/tree/treeNode';

const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-legacy-'));
const DOCKER_EXTENSION = { publisher: 'Microsoft.Azure.Extensions', type: 'DockerExtension', typeHandlerVersion: '1.2' };
let arm: ArmEmulator;
let azure: AzureCommands;
let sub: string;
let relay: net.Server;

const label = (n: TreeNode) => n.getTreeItem().label as string;

async function host(name: string): Promise<AzureHostNode> {
  const [subNode] = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const found = (await azure.view.provider.getChildren(subNode)).find((n): n is AzureHostNode => n instanceof AzureHostNode && n.vm.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

function certFolder(ca: string): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'certs-'));
  fs.copyFileSync(ca, path.join(dir, 'ca.pem'));
  fs.copyFileSync(testEnv.tls.cert, path.join(dir, 'cert.pem'));
  fs.copyFileSync(testEnv.tls.key, path.join(dir, 'key.pem'));
  return dir;
}

before(async () => {
  // The legacy extension put the daemon on 2376; the test daemon's port is relayed there, byte for
  // byte, so the TLS handshake is still the daemon's own.
  relay = net.createServer((client) => {
    const upstream = net.connect(testEnv.tls.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => relay.once('error', reject).listen(2376, '127.0.0.1', resolve));
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  sub = arm.subscriptions[0].subscriptionId;
  // Running: its agent reports the extension by type, whatever the name it was added under.
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: 'old-rg',
    name: 'legacy-vm',
    publicIpAddress: '127.0.0.1',
    dnsLabel: '',
    extensions: [{ name: 'docker', ...DOCKER_EXTENSION }],
  });
  // Deallocated: no agent report, and a list gives extension ids alone.
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: 'old-rg',
    name: 'legacy-idle',
    powerState: 'deallocated',
    extensions: [{ name: 'DockerExtension', ...DOCKER_EXTENSION }],
  });
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: 'old-rg',
    name: 'plain-vm',
    extensions: [{ name: 'script', publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1' }],
  });
  azure = startAzureCommands(arm, scratch);
});

beforeEach(() => {
  resetRecorded();
  recorded.config = { ...azure.config };
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  await new Promise((resolve) => relay?.close(resolve));
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('Compute shows the extension as Azure does: the whole model on a GET, the id alone in a list, by type in the agent report', async () => {
  const { compute } = emulatorClients(arm, sub);
  const got = await compute.virtualMachines.get('old-rg', 'legacy-vm', { expand: 'instanceView' });
  assert.deepEqual(
    got.resources?.map((r) => [r.name, r.publisher, r.typePropertiesType, r.provisioningState]),
    [['docker', 'Microsoft.Azure.Extensions', 'DockerExtension', 'Succeeded']],
  );
  assert.deepEqual(
    got.instanceView?.extensions?.map((e) => e.type),
    ['Microsoft.Azure.Extensions.DockerExtension'],
  );
  const listed = [];
  for await (const vm of compute.virtualMachines.listAll({ statusOnly: 'true' })) {
    listed.push(vm);
  }
  const idle = listed.find((vm) => vm.name === 'legacy-idle')!;
  assert.deepEqual(
    idle.resources?.map((r) => [r.id, r.publisher, r.typePropertiesType]),
    [[`${idle.id}/extensions/DockerExtension`, undefined, undefined]],
  );
  assert.equal(idle.instanceView?.extensions, undefined, 'a deallocated VM has no agent to report');
});

test('legacy VMs are listed as Docker hosts marked "legacy extension", waiting for their certificates; other VMs are not hosts', async () => {
  const [subNode] = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await azure.view.provider.getChildren(subNode)).filter((n): n is AzureHostNode => n instanceof AzureHostNode);
  assert.deepEqual(
    hosts.map((h) => h.vm.name),
    ['legacy-idle', 'legacy-vm'],
  );
  const node = await host('legacy-vm');
  const item = node.getTreeItem();
  assert.match(item.description as string, /^running · 127\.0\.0\.1 · .* · legacy extension$/);
  // Unescaped, as the tooltip renders.
  const tooltip = (item.tooltip as { value: string }).value.replace(/\\(.)/g, '$1');
  assert.match(tooltip, /Daemon: tcp:\/\/127\.0\.0\.1:2376/);
  assert.match(tooltip, /retired/);
  assert.match(tooltip, /moves the VM onto the supported path/);
  assert.match(item.contextValue!, /\blegacyExtension\b/);
  assert.doesNotMatch(item.contextValue!, /\bmarked\b/);
  assert.equal(azure.catalog.get(azureHostId(node.vm.id)), undefined, 'nothing connects before the certificates are known');
  const children = await azure.view.provider.getChildren(node);
  assert.equal(children.length, 1);
  assert.ok(children[0] instanceof MessageNode && !(children[0] instanceof ErrorNode));
  assert.match(label(children[0]), /Use TLS Certificates/);
  assert.match((await host('legacy-idle')).getTreeItem().description as string, /^deallocated · .* · legacy extension$/);
});

test('Use TLS Certificates… with a CA that did not sign the daemon fails for real; with the right ones the VM expands to its containers', async () => {
  recorded.answers.push([Uri.file(certFolder(arm.caCertPath))]);
  await recorded.commands.get('dockerOnAzure.azureHost.useTlsCertificates')!(await host('legacy-vm'));
  const wrong = await host('legacy-vm');
  assert.match(wrong.getTreeItem().contextValue!, /\bmarked\b.*\blegacyExtension\b|\blegacyExtension\b.*\bmarked\b/);
  const failed = await azure.view.provider.getChildren(wrong);
  const error = failed[0] as ErrorNode;
  assert.ok(error instanceof ErrorNode, `an error, not ${failed.map(label)}`);
  assert.match(`${error.error.message} ${error.error.detail ?? ''}`, /certificate/i);

  const right = certFolder(testEnv.tls.ca);
  recorded.answers.push([Uri.file(right)]);
  await recorded.commands.get('dockerOnAzure.azureHost.useTlsCertificates')!(wrong);
  const node = await host('legacy-vm');
  assert.deepEqual(azure.marks.get(node.vm.id), {
    access: 'tls',
    port: 2376,
    tls: { ca: path.join(right, 'ca.pem'), cert: path.join(right, 'cert.pem'), key: path.join(right, 'key.pem') },
  });
  const children = await azure.view.provider.getChildren(node);
  assert.deepEqual(children.map(label), ['Containers', 'Images']);
  const images = await azure.view.provider.getChildren(children[1]);
  assert.ok(images.map(label).includes(testEnv.baseImage), "the real daemon's images");
  assert.match(node.getTreeItem().description as string, /legacy extension$/, 'the extension is still on the VM');
});

test('Add Existing VM offers a legacy VM with mutual TLS first', async () => {
  let ways: string[] = [];
  recorded.answers.push(
    (items: { label: string }[]) => items.find((i) => i.label === 'legacy-idle'),
    (items: { label: string }[]) => {
      ways = items.map((i) => i.label);
      return undefined;
    },
  );
  await recorded.commands.get('dockerOnAzure.azure.addExistingVm')!();
  assert.deepEqual(ways, ['Mutual TLS', 'SSH']);
});
