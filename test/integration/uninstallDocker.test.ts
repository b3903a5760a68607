/**
 * Remove Docker Access…, end to end against the ARM emulator: after Install Docker on VM… with
 * mutual TLS, the product's uninstall script goes to the VM through the Custom Script extension
 * and really runs in that VM's root filesystem; the VM's real dockerd then stops answering on 2376,
 * the NSG rule the install opened goes while the user's own rules stay, and nothing of the host is
 * left on this machine. A script that fails shows its stderr and changes nothing here. And a VM that
 * still carries the retired DockerExtension is offered its deletion after a reinstall: deleted on
 * yes, kept on no.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';
import { ARM_CA_DIR_VAR, uniqueName } from '../support/testEnv';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { INSTALL_EXTENSION_NAME, UNINSTALL_EXTENSION_NAME } from '../../src/core/azure/dockerInstall/installDocker';
import { DAEMON_JSON_BACKUP, INSTALL_RECORD } from '../../src/core/azure/dockerInstall/installScript';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let az: EmulatorClients;
let azure: AzureCommands;
let sub: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-uninstall-'));
const keyDir = path.join(scratch, 'ssh');
const rg = uniqueName('rg-uninstall');
const DOCKER_EXTENSION = { publisher: 'Microsoft.Azure.Extensions', type: 'DockerExtension', typeHandlerVersion: '1.2' };
/** Where the user's own rule lets a client in from: a loopback address no emulated VM is given. */
const OFFICE = '127.200.0.7';

type Item = { label: string };
const newKeyPair = (items: Item[]) => items[0];
type AccessItem = { access?: string };
const overSsh = (items: AccessItem[]) => items.find((i) => i.access === 'ssh');
const overTls = (items: AccessItem[]) => items.find((i) => i.access === 'tls');
type AlsoItem = { what?: string };
const nothingElse = () => [];
const alsoTheGroup = (items: AlsoItem[]) => items.filter((i) => i.what === 'group');

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, enforceNetworkSecurityGroups: true });
  trustEmulatorCa(arm.caCertPath);
  sub = arm.subscriptions[0].subscriptionId;
  az = emulatorClients(arm, sub);
  azure = startAzureCommands(arm, scratch, { 'dockerOnAzure.ssh.keyDirectory': keyDir, 'dockerOnAzure.install.pollIntervalSeconds': 0.2 });
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function fresh(): void {
  resetRecorded();
  recorded.config = { ...azure.config };
}

const said = () => recorded.messages.map((m) => `${m.level}: ${m.text}`).join(' | ');

async function hosts(): Promise<AzureHostNode[]> {
  azure.view.refreshAll();
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  return (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s))))
    .flat()
    .filter((h): h is AzureHostNode => h instanceof AzureHostNode);
}

async function hostNode(name: string): Promise<AzureHostNode> {
  const found = (await hosts()).find((h) => h.vm.name === name);
  assert.ok(found, `${name} is listed as a Docker host`);
  return found;
}

/**
 * Every emulated VM shares this machine's accounts, and a VM's disk shows this machine's /etc: a VM
 * still booting (useradd, usermod here) would hold /etc/passwd's lock while another VM's script runs.
 */
const settled = () => arm.dockerHostsSettled();

/** Runs the command on the VM's row with these answers, all of which must be asked for. */
async function onRow(command: string, name: string, ...answers: unknown[]): Promise<void> {
  await settled();
  const node = await hostNode(name);
  recorded.answers.push(...answers);
  await recorded.commands.get(command)!(node);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
}

const install = (name: string, ...answers: unknown[]) => onRow('dockerOnAzure.azure.installDocker', name, ...answers);
const removeAccess = (name: string, ...answers: unknown[]) => onRow('dockerOnAzure.azureHost.removeDockerAccess', name, ...answers);

async function extensionGone(name: string, extension: string): Promise<void> {
  await assert.rejects(az.compute.virtualMachineExtensions.get(rg, name, extension), /was not found/, `the extension ${extension} is gone`);
}

/** Whether a TCP connection from `from` to address:port is taken (true) or refused (false). */
function answers(address: string, port: number, from: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, localAddress: from });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(false) : reject(e)));
  });
}

async function bootedHost(vmId: string) {
  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
  assert.ok(booted, `the VM runs Docker: ${JSON.stringify(arm.bootFailures())}`);
  return booted;
}

test('after a TLS install, Remove Docker Access… stops 2376 on the VM, deletes only the NSG rule the install opened, the client certificate and the mark, and says what it changed', async () => {
  fresh();
  const name = uniqueName('tls');
  const nsg = `${name}-nsg`;
  const id = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name, dockerTlsRule: false });
  // The user's own rule for 2376, from their office, under a name like the extension's: it is theirs all the same.
  const officeRule = {
    protocol: 'Tcp',
    access: 'Allow',
    direction: 'Inbound',
    priority: 1020,
    sourceAddressPrefix: OFFICE,
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '2376',
    description: 'Office access to Docker',
  };
  await az.network.securityRules.beginCreateOrUpdateAndWait(rg, nsg, 'docker-on-azure-office', officeRule, { updateIntervalInMs: 20 });
  // Not a Docker host yet, so picked from the subscription's running VMs.
  await settled();
  recorded.answers.push((items: Item[]) => items.find((i) => i.label === name), overTls, newKeyPair, 'Choose Source…', '127.0.0.1');
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!();
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  assert.ok(
    recorded.messages.some((m) => m.level === 'info' && /Docker listens with mutual TLS on 2376/.test(m.text)),
    said(),
  );
  const rulesBefore = (await az.network.networkSecurityGroups.get(rg, nsg)).securityRules ?? [];
  assert.ok(
    rulesBefore.some((r) => r.name === 'docker-on-azure-tcp-2376'),
    `the install opened 2376: ${JSON.stringify(rulesBefore.map((r) => r.name))}`,
  );
  const booted = await bootedHost(id);
  assert.ok(booted.ports.includes(2376));
  assert.equal(await answers(booted.address, 2376, OFFICE), true, 'the daemon answers on 2376 from the office, which its own rule lets in');
  assert.ok(await azure.hostTls.get(id));

  fresh();
  await removeAccess(name, 'Remove Access', nothingElse);
  const done = recorded.messages.find((m) => m.text.startsWith(`Removed Docker access from ${name}: `));
  assert.ok(done && done.level === 'info', said());
  for (const change of [
    'removed /etc/docker/daemon.json',
    'removed /etc/docker/tls/ca.pem',
    'removed /etc/docker/tls/server-cert.pem',
    'removed /etc/docker/tls/server-key.pem',
    'removed /etc/systemd/system/docker.service.d/override.conf',
    `deleted the rule docker-on-azure-tcp-2376 for 2376 from ${nsg}`,
    'deleted its client certificate and CA key from this machine',
    'no longer marked as a Docker host',
  ]) {
    assert.ok(done.text.includes(change), `says "${change}": ${done.text}`);
  }
  assert.match(done.text, /Kept: azureuser in the docker group \(Docker over SSH\)\.$/, 'the SSH path stays, as not asked otherwise');
  await extensionGone(name, UNINSTALL_EXTENSION_NAME);

  const after = await bootedHost(id);
  assert.ok(!after.ports.includes(2376), `dockerd no longer listens on 2376: ${JSON.stringify(after.ports)}`);
  assert.equal(await answers(after.address, 2376, OFFICE), false, 'nothing answers on 2376, even where the NSG lets a client in');
  const rules = (await az.network.networkSecurityGroups.get(rg, nsg)).securityRules ?? [];
  assert.ok(!rules.some((r) => r.name === 'docker-on-azure-tcp-2376'), 'the rule the install opened is gone');
  const office = rules.find((r) => r.name === 'docker-on-azure-office');
  assert.deepEqual(
    office && [office.sourceAddressPrefix, office.destinationPortRange, office.priority, office.description],
    [OFFICE, '2376', 1020, 'Office access to Docker'],
    "the user's own rule stays as it was",
  );
  assert.ok(
    rules.some((r) => r.name === 'SSH'),
    'and so does the SSH rule',
  );

  assert.equal(await azure.hostTls.get(id), undefined, 'no certificate for the VM in SecretStorage');
  assert.equal(azure.marks.get(id), undefined);
  assert.equal(azure.marks.sshKey(id), undefined);
  assert.ok(!(await hosts()).some((h) => h.vm.name === name), 'the tree no longer lists the VM as a Docker host');
});

const legacyKept = uniqueName('legacy-keep');
const legacyGone = uniqueName('legacy-gone');

test('Install Docker on VM… on a VM with the retired DockerExtension offers to delete it afterwards, and keeps it on no', async () => {
  fresh();
  arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: legacyKept, extensions: [{ name: 'docker', ...DOCKER_EXTENSION }] });
  assert.match((await hostNode(legacyKept)).getTreeItem().description as string, /legacy extension$/);
  await install(legacyKept, overSsh, newKeyPair, 'Keep It');
  const asked = recorded.messages.find((m) => m.level === 'warning');
  assert.ok(asked, said());
  assert.equal(asked.text, `${legacyKept} still carries the retired Docker VM extension (docker). Delete that extension from the VM?`);
  assert.ok(
    recorded.messages.some((m) => m.level === 'info' && m.text.startsWith(`Docker is ready on ${legacyKept}`)),
    said(),
  );
  const kept = await az.compute.virtualMachineExtensions.get(rg, legacyKept, 'docker');
  assert.equal(kept.typePropertiesType, 'DockerExtension', 'the extension is still there');
  const node = await hostNode(legacyKept);
  assert.match(node.getTreeItem().description as string, /legacy extension$/);
  assert.match(node.getTreeItem().contextValue!, /\blegacyExtension\b/);
});

test('… and deletes it on yes, after which the tree no longer marks the VM "legacy extension"', async () => {
  fresh();
  arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: legacyGone, extensions: [{ name: 'DockerExtension', ...DOCKER_EXTENSION }] });
  await install(legacyGone, overSsh, newKeyPair, 'Delete Extension');
  const done = recorded.messages.find((m) => m.text.startsWith(`Docker is ready on ${legacyGone}`));
  assert.ok(done, said());
  assert.match(done.text, /Deleted the retired DockerExtension \(DockerExtension\)\.$/);
  await extensionGone(legacyGone, 'DockerExtension');
  await extensionGone(legacyGone, INSTALL_EXTENSION_NAME);
  const node = await hostNode(legacyGone);
  assert.doesNotMatch(node.getTreeItem().description as string, /legacy extension/);
  assert.doesNotMatch(node.getTreeItem().contextValue!, /\blegacyExtension\b/);
  assert.ok(node.session, 'still a Docker host, reached over SSH as installed');
});

test('a removal script that fails on the VM fails with its stderr, and leaves the mark and the certificate here', async (t) => {
  fresh();
  const id = (await hostNode(legacyGone)).vm.id;
  const booted = await bootedHost(id);
  assert.ok(booted.rootDir, 'the VM has a disk its scripts wrote to');
  // The user's daemon.json from before: a TLS install keeps it aside, and removing access puts it back.
  fs.mkdirSync(path.join(booted.rootDir, 'etc/docker'), { recursive: true });
  fs.writeFileSync(path.join(booted.rootDir, 'etc/docker/daemon.json'), '{ "log-level": "warn" }\n');
  // The seeded NSG lets anyone reach 2376 already: no port question.
  await install(legacyGone, overTls, (items: { label: string; file?: string }[]) => items.find((i) => i.file));
  assert.ok(
    recorded.messages.some((m) => /Changed: .*kept the previous \/etc\/docker\/daemon\.json/.test(m.text)),
    said(),
  );
  // Behind the product's back, the kept copy became a folder: putting it back fails.
  const backup = path.join(booted.rootDir, DAEMON_JSON_BACKUP);
  fs.rmSync(backup);
  fs.mkdirSync(backup);
  t.after(() => fs.rmSync(backup, { recursive: true, force: true }));

  fresh();
  await removeAccess(legacyGone, 'Remove Access', nothingElse);
  const failed = recorded.messages.find((m) => m.level === 'error');
  assert.ok(failed, said());
  assert.match(failed.text, new RegExp(`^Removing Docker access from ${legacyGone} failed: .*mv: cannot overwrite non-directory`));
  assert.match(failed.text, /Nothing on this machine or in its network security group was changed\./);
  await extensionGone(legacyGone, UNINSTALL_EXTENSION_NAME);
  assert.equal(azure.marks.get(id)?.access, 'tls', 'still marked');
  assert.ok(await azure.hostTls.get(id), 'its certificate is still here');
  assert.ok((await bootedHost(id)).ports.includes(2376), 'and Docker still listens on 2376');
});

test('a VM set up by an earlier version, without a record, is changed only once the user agrees', async () => {
  fresh();
  const id = (await hostNode(legacyKept)).vm.id;
  const booted = await bootedHost(id);
  assert.ok(booted.rootDir);
  // An install before the record existed: the same state on the VM, nothing that proves who made it.
  fs.rmSync(path.join(booted.rootDir, INSTALL_RECORD));
  await removeAccess(legacyKept, 'Remove Access', alsoTheGroup, 'Remove Them');
  const asked = recorded.messages.find((m) => m.level === 'warning' && /has no record/.test(m.text));
  assert.ok(asked, said());
  const done = recorded.messages.find((m) => m.text.startsWith(`Removed Docker access from ${legacyKept}: `));
  assert.ok(done, said());
  assert.match(done.text, /removed azureuser from the docker group; .*no longer marked as a Docker host/);
  const group = fs
    .readFileSync(path.join(booted.rootDir, 'etc/group'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('docker:'));
  assert.ok(group && !group.split(':')[3].split(',').includes('azureuser'), `azureuser left the VM's docker group: ${group}`);
  await extensionGone(legacyKept, UNINSTALL_EXTENSION_NAME);
});

test("an NSG another VM's network interface shares keeps the 2376 rule, and the message says so", async () => {
  fresh();
  const name = uniqueName('shared');
  const nsg = `${name}-nsg`;
  const id = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name, dockerTlsRule: false });
  await settled();
  recorded.answers.push((items: Item[]) => items.find((i) => i.label === name), overTls, newKeyPair, 'Choose Source…', '127.0.0.1');
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!();
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  // Another machine's NIC behind the same NSG: the rule (destination *) lets its Docker in too.
  const nsgId = (await az.network.networkSecurityGroups.get(rg, nsg)).id!;
  const subnetId = (await az.network.subnets.get(rg, `${name}-vnet`, 'default')).id!;
  await az.network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    `${name}-neighbour-nic`,
    { location: 'westeurope', networkSecurityGroup: { id: nsgId }, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId } }] },
    { updateIntervalInMs: 20 },
  );

  fresh();
  await removeAccess(name, 'Remove Access', nothingElse);
  const done = recorded.messages.find((m) => m.text.startsWith(`Removed Docker access from ${name}: `));
  assert.ok(done, said());
  assert.match(done.text, new RegExp(`Kept: .*any 2376 rule of Docker on Azure in ${nsg}, which other VMs' network interfaces use too`));
  assert.doesNotMatch(done.text, /deleted the rule/);
  const rules = (await az.network.networkSecurityGroups.get(rg, nsg)).securityRules ?? [];
  assert.ok(
    rules.some((r) => r.name === 'docker-on-azure-tcp-2376'),
    'the shared rule stays',
  );
  assert.equal(azure.marks.get(id), undefined, 'the VM itself is no longer a Docker host');
  assert.ok(!(await bootedHost(id)).ports.includes(2376));
});
