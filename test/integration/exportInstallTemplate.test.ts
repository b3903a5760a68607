/**
 * Export Docker Install as ARM Template… from a VM's row (issue 16): the template and its parameters
 * file, deployed to the emulator (which has no deployments endpoint, so the template's one resource
 * is PUT as a deployment would PUT it, checked against ComputeRP.json by the emulator), install
 * Docker on that existing VM for real; added as a Docker host with the key the export made, it
 * lists its containers over SSH. A parameters file already there is replaced only when the user says so.
 */
import { recorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';
import { deployTemplate } from '../support/armTemplateDeploy';
import { importBusybox, BASE_IMAGE } from '../support/busyboxImage';
import { ARM_CA_DIR_VAR, dockerCli, uniqueName } from '../support/testEnv';
import { Uri } from '../support/vscodeFake';
import { AzureHostNode, AzureVmNode, OtherVmsNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { INSTALL_EXTENSION_NAME } from '../../src/core/azure/dockerInstall/installDocker';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let az: EmulatorClients;
let azure: AzureCommands;
let sub: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-export-install-'));
const keyDir = path.join(scratch, 'ssh');
const rg = uniqueName('rg-export');
const vmName = uniqueName('plain');
const winName = uniqueName('win');
let vmId = '';

type Item = { label: string; id?: string; file?: string };
const said = () => recorded.messages.map((m) => `${m.level}: ${m.text}`).join(' | ');

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  trustEmulatorCa(arm.caCertPath);
  sub = arm.addSubscription({ displayName: 'Export install' });
  az = emulatorClients(arm, sub);
  vmId = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: vmName });
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: rg,
    name: winName,
    image: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition' },
  });
  azure = startAzureCommands(arm, scratch, { 'dockerOnAzure.ssh.keyDirectory': keyDir, 'dockerOnAzure.azure.subscriptions': [sub] });
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const fresh = () => azure.fresh();

async function subscriptionRows(): Promise<TreeNode[]> {
  azure.view.refreshAll();
  const subscription = (await azure.view.provider.getChildren()).find(
    (n): n is SubscriptionNode => n instanceof SubscriptionNode && n.subscription.subscriptionId === sub,
  );
  assert.ok(subscription, 'the subscription is listed');
  return azure.view.provider.getChildren(subscription);
}

async function vmRow(name = vmName): Promise<AzureVmNode> {
  const group = (await subscriptionRows()).find((n): n is OtherVmsNode => n instanceof OtherVmsNode);
  assert.ok(group, 'an Other VMs group');
  const row = (await azure.view.provider.getChildren(group)).find((n): n is AzureVmNode => n instanceof AzureVmNode && n.vm.name === name);
  assert.ok(row, `${name} is under Other VMs`);
  return row;
}

const templateFile = path.join(scratch, 'install.json');
const parametersFile = path.join(scratch, 'install.parameters.json');

test('the exported template, deployed to the existing VM, installs Docker there; added with the exported key, the VM lists its containers', async () => {
  fresh();
  const row = await vmRow();
  const before = arm.snapshot();
  recorded.answers.push((items: Item[]) => items[0] /* a new key pair */, Uri.file(templateFile));
  await recorded.commands.get('dockerOnAzure.azureVm.exportDockerInstallTemplate')!(row);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  assert.equal(arm.snapshot(), before, 'exporting changes nothing in Azure');
  const hint = recorded.messages.find((m) => m.text.startsWith('Deploy with:'));
  assert.ok(hint, said());
  assert.match(hint.text, new RegExp(`az deployment group create -g ${rg} --template-file install\\.json --parameters @install\\.parameters\\.json`));
  const identityFile = /and (\S+)\.$/.exec(hint.text)?.[1];
  assert.ok(
    identityFile && identityFile.startsWith(keyDir) && fs.existsSync(identityFile),
    `the message names the new key in the key folder: ${hint.text}`,
  );

  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const parameters = JSON.parse(fs.readFileSync(parametersFile, 'utf8')).parameters as Record<string, { value: unknown }>;
  const values = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, v.value]));
  const [resource] = deployTemplate(template, values, { subscriptionId: sub, resourceGroup: rg });
  const { type, apiVersion, name, ...body } = resource as { type: string; apiVersion: string; name: string; location: string };
  assert.equal(type, 'Microsoft.Compute/virtualMachines/extensions');
  const [vm, extension] = name.split('/');
  assert.deepEqual([vm, extension], [vmName, INSTALL_EXTENSION_NAME]);
  // As a deployment sends it: the resource's own body, PUT at its id with its api-version.
  arm.resetRequests();
  await az.resources.resources.beginCreateOrUpdateByIdAndWait(
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}/extensions/${extension}`,
    apiVersion,
    body,
    { updateIntervalInMs: 50 },
  );
  const put = arm.requests.find((r) => r.method === 'PUT');
  assert.equal(put?.status, 201, 'the emulator took the resource as ComputeRP.json describes it');
  const ext = await az.compute.virtualMachineExtensions.get(rg, vmName, INSTALL_EXTENSION_NAME, { expand: 'instanceView' });
  assert.equal(ext.provisioningState, 'Succeeded');
  const stdout = ext.instanceView?.substatuses?.find((s) => s.code?.includes('StdOut'))?.message ?? JSON.stringify(ext.instanceView);
  assert.match(stdout, /doa-changed: added azureuser to the docker group/, 'the install script ran on the VM');
  assert.equal(ext.protectedSettings, undefined, 'the script cannot be read back');

  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
  assert.ok(booted?.ssh, `the VM serves Docker over SSH: ${JSON.stringify(arm.bootFailures())}`);
  await importBusybox(booted.socketPath);
  await dockerCli(['create', '--name', 'from-the-template', BASE_IMAGE, 'sleep', '60'], booted.socketPath);

  // Added as the message says: SSH as azureuser with that key, from the VM's row.
  fresh();
  recorded.answers.push(
    (items: Item[]) => items.find((i) => i.id === 'ssh'),
    'azureuser',
    (items: Item[]) => items.find((i) => i.id === 'file'),
    [Uri.file(identityFile)],
  );
  await recorded.commands.get('dockerOnAzure.azure.addExistingVm')!(await vmRow());
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  const host = await hostRow();
  // No install reported its host key this time, so the user trusts it on first connection.
  const [keyRow] = await azure.view.provider.getChildren(host);
  assert.ok(keyRow instanceof ErrorNode && keyRow.unknownHostKey, `the first connection asks about the host key: ${keyRow.getTreeItem().label}`);
  assert.ok(keyRow.unknownHostKey.knownHostsLine.includes(booted.ssh.hostKeyPublic.split(' ')[1]), 'the key the VM serves');
  recorded.answers.push('Trust and Connect');
  await recorded.commands.get('dockerOnAzure.trustHostKey')!(keyRow);
  const trusted = await hostRow();
  assert.deepEqual(
    (await azure.view.provider.getChildren(trusted)).map((n) => n.getTreeItem().label),
    ['Containers', 'Images'],
  );
  const snapshot = await trusted.session!.load();
  assert.ok(
    snapshot.containers.some((c) => c.Names.includes('/from-the-template')),
    `the product lists the VM's containers over SSH: ${JSON.stringify(snapshot.containers.map((c) => c.Names))}`,
  );
});

async function hostRow(): Promise<AzureHostNode> {
  const host = (await subscriptionRows()).find((n): n is AzureHostNode => n instanceof AzureHostNode && n.vm.name === vmName);
  assert.ok(host, `${vmName} is a Docker host`);
  return host;
}

test("exporting again, from the host's row, keeps a parameters file there unless the user says Replace, and takes back the key it made", async () => {
  assert.ok(vmId && fs.existsSync(templateFile), 'the first test exported');
  fresh();
  fs.writeFileSync(parametersFile, 'the user edited this\n');
  const keys = fs.readdirSync(keyDir).sort();
  recorded.answers.push((items: Item[]) => items[0], Uri.file(templateFile), undefined /* Escape on "Replace?" */);
  await recorded.commands.get('dockerOnAzure.azureVm.exportDockerInstallTemplate')!(await hostRow());
  assert.ok(
    recorded.messages.some((m) => m.level === 'warning' && m.text === `${parametersFile} exists already. Replace it with the template's parameters?`),
    said(),
  );
  assert.equal(fs.readFileSync(parametersFile, 'utf8'), 'the user edited this\n');
  assert.deepEqual(fs.readdirSync(keyDir).sort(), keys, 'the key pair made for the export is gone again');

  fresh();
  recorded.answers.push((items: Item[]) => items[0], Uri.file(templateFile), 'Replace');
  await recorded.commands.get('dockerOnAzure.azureVm.exportDockerInstallTemplate')!(await hostRow());
  assert.ok(JSON.parse(fs.readFileSync(parametersFile, 'utf8')).parameters.protectedSettings.value.script, 'replaced when the user said so');
});

test('a Windows VM\'s export says "not yet" before asking anything', async () => {
  fresh();
  const keys = fs.readdirSync(keyDir).sort();
  let picked = false;
  // The message takes this answer too; a key pick would offer it items.
  recorded.answers.push((items?: Item[]) => {
    picked = Array.isArray(items);
    return picked ? items![0] : undefined;
  });
  await recorded.commands.get('dockerOnAzure.azureVm.exportDockerInstallTemplate')!(await vmRow(winName));
  assert.equal(said(), `info: ${winName} runs Windows. Installing Docker on Windows VMs is not supported yet; only Linux VMs are.`);
  assert.equal(picked, false, 'no key was asked for');
  assert.deepEqual(fs.readdirSync(keyDir).sort(), keys);
});
