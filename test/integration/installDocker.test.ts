/**
 * Install Docker on VM…, end to end against the ARM emulator: the product's script goes to an
 * existing VM through the Custom Script extension, really runs in that VM's root filesystem, and
 * the VM then answers Docker over SSH, reached through the product's own session with the host key
 * Azure passed back. A second install changes nothing; an unsupported Linux and Windows are refused;
 * a failing script shows its stderr; cancelling removes the extension and says what may be there.
 * With mutual TLS, the certificates are made here, 2376 is opened for the source the user chose,
 * and the VM answers Docker over TLS through the product's session, no key material left in plain state.
 */
import { recorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';
import { importBusybox, BASE_IMAGE } from '../support/busyboxImage';
import { ARM_CA_DIR_VAR, dockerCli, uniqueName } from '../support/testEnv';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { INSTALL_EXTENSION_NAME } from '../../src/core/azure/dockerInstall/installDocker';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let az: EmulatorClients;
let azure: AzureCommands;
let sub: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-install-'));
const keyDir = path.join(scratch, 'ssh');
const INSTALL_OUTPUT = 'Docker on Azure: Install';

type Item = { label: string; file?: string };
const vmNamed = (name: string) => (items: Item[]) => items.find((i) => i.label === name);
const newKeyPair = (items: Item[]) => items[0];
type AccessItem = { access?: string };
const overSsh = (items: AccessItem[]) => items.find((i) => i.access === 'ssh');
const overTls = (items: AccessItem[]) => items.find((i) => i.access === 'tls');

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

const fresh = () => azure.fresh();

const said = () => recorded.messages.map((m) => `${m.level}: ${m.text}`).join(' | ');

async function install(...answers: unknown[]): Promise<void> {
  recorded.answers.push(...answers);
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!();
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
}

async function extensionGone(rg: string, name: string): Promise<void> {
  await assert.rejects(
    az.compute.virtualMachineExtensions.get(rg, name, INSTALL_EXTENSION_NAME),
    /was not found/,
    'the extension resource is removed',
  );
}

async function hostNode(name: string): Promise<AzureHostNode> {
  azure.view.refreshAll();
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s)))).flat();
  const found = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === name);
  assert.ok(found, `${name} is listed as a Docker host`);
  return found;
}

const rg = uniqueName('rg-install');
const vmName = uniqueName('existing');
let vmId = '';
let firstKey = '';

test('Install Docker on VM… on an ordinary VM: the admin user gets Docker over SSH, and the VM lists its containers in the tree', async () => {
  fresh();
  vmId = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: vmName });
  await install(vmNamed(vmName), overSsh, newKeyPair);
  const done = recorded.messages.find((m) => m.text.startsWith(`Docker is ready on ${vmName}`));
  assert.ok(done && done.level === 'info', said());
  assert.match(done.text, /\(Ubuntu 24\.04\.3 LTS\)/);
  assert.match(done.text, /added azureuser to the docker group/);
  assert.match(done.text, /added the key to \/home\/azureuser\/\.ssh\/authorized_keys/);
  const output = recorded.outputs.get(INSTALL_OUTPUT) ?? '';
  assert.match(output, /Sending the install to/);
  assert.match(output, /^ {2}found Ubuntu 24\.04\.3 LTS$/m, `the script's output was streamed, its markers in words:\n${output}`);
  assert.match(output, /^ {2}changed: added azureuser to the docker group$/m);
  assert.match(output, /^ {2}Docker Engine is installed already/m);
  await extensionGone(rg, vmName);

  const mark = azure.marks.get(vmId);
  assert.equal(mark?.access, 'ssh');
  firstKey = (mark as { identityFile?: string }).identityFile!;
  assert.ok(firstKey.startsWith(keyDir) && fs.existsSync(firstKey), 'a new key pair in the key folder');

  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
  assert.ok(booted?.ssh, `the VM serves Docker over SSH: ${JSON.stringify(arm.bootFailures())}`);
  const knownHosts = fs.readFileSync(path.join(scratch, 'known_hosts'), 'utf8');
  assert.ok(
    knownHosts.includes(`${booted.address} ${booted.ssh.hostKeyPublic}`),
    `known_hosts has the key the VM serves, as Azure reported it:\n${knownHosts}`,
  );

  await importBusybox(booted.socketPath);
  await dockerCli(['create', '--name', 'on-the-vm', BASE_IMAGE, 'sleep', '60'], booted.socketPath);
  const node = await hostNode(vmName);
  assert.ok(node.session, 'the running VM has a session');
  const snapshot = await node.session.load();
  assert.ok(
    snapshot.containers.some((c) => c.Names.includes('/on-the-vm')),
    `the product lists the VM's containers over SSH: ${JSON.stringify(snapshot.containers.map((c) => c.Names))}`,
  );
});

test('installing again on that VM, from its row, changes nothing and says so', async () => {
  assert.ok(firstKey, 'the first test installed');
  fresh();
  const before = arm.snapshot();
  const knownHosts = fs.readFileSync(path.join(scratch, 'known_hosts'), 'utf8');
  // From the host's own row this time: no VM to pick.
  const node = await hostNode(vmName);
  recorded.answers.push(overSsh, (items: Item[]) => items.find((i) => i.file === firstKey));
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!(node);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  const done = recorded.messages.find((m) => m.text.startsWith(`Docker is ready on ${vmName}`));
  assert.ok(done, said());
  assert.match(done.text, /It was set up already: nothing changed\.$/);
  assert.equal(arm.snapshot(), before, 'no Azure resource changed (the extension came and went)');
  assert.equal(fs.readFileSync(path.join(scratch, 'known_hosts'), 'utf8'), knownHosts);
  await extensionGone(rg, vmName);
});

test('a Linux the install does not support is refused naming it, and the new key pair is taken back; Windows is "not yet" before anything is sent', async () => {
  fresh();
  const sles = uniqueName('sles');
  const slesId = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name: sles, image: { publisher: 'SUSE', offer: 'sles-15-sp5', sku: 'gen2' } });
  const keysBefore = fs.readdirSync(keyDir).sort();
  await install(vmNamed(sles), overSsh, newKeyPair);
  const refused = recorded.messages.find((m) => m.level === 'error');
  assert.ok(refused, said());
  assert.match(refused.text, /Docker was not installed on .*: SUSE Linux Enterprise Server 15 SP5 is not supported; supported are Ubuntu 20\.04/);
  assert.equal(azure.marks.get(slesId), undefined);
  assert.deepEqual(fs.readdirSync(keyDir).sort(), keysBefore, 'the key pair made for it is gone again');
  await extensionGone(rg, sles);

  fresh();
  const win = uniqueName('win');
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: rg,
    name: win,
    image: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition' },
  });
  arm.resetRequests();
  await install(vmNamed(win));
  assert.deepEqual(said(), `info: ${win} runs Windows. Installing Docker on Windows VMs is not supported yet; only Linux VMs are.`);
  assert.ok(!arm.requests.some((r) => r.method === 'PUT'), 'nothing was sent to the VM');
});

test('a script that fails on the VM fails the install with its stderr, and an extension Azure would not remove is named', async (t) => {
  assert.ok(firstKey, 'the first test installed');
  fresh();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
  assert.ok(booted?.rootDir, 'the VM has a disk its scripts wrote to');
  // Behind the product's back, the user's authorized_keys became a folder: appending a new key fails.
  const keys = path.join(booted.rootDir, 'home/azureuser/.ssh/authorized_keys');
  const userKeys = fs.readFileSync(keys);
  fs.rmSync(keys);
  fs.mkdirSync(keys);
  t.after(() => {
    // The user mends it; later tests install on the same VM.
    fs.rmSync(keys, { recursive: true });
    fs.writeFileSync(keys, userKeys, { mode: 0o600 });
  });
  // And Azure refuses to remove the extension afterwards (a lock, a policy): the user hears that too.
  arm.faults.refuseNext('DELETE', /\/extensions\//, 409, 'ScopeLocked', 'The scope is locked.');
  await install(vmNamed(vmName), overSsh, newKeyPair);
  const failed = recorded.messages.find((m) => m.level === 'error');
  assert.ok(failed, said());
  assert.match(failed.text, new RegExp(`Installing Docker on ${vmName} failed: .*authorized_keys: Is a directory`));
  assert.match(
    failed.text,
    new RegExp(`The extension ${INSTALL_EXTENSION_NAME} could not be removed \\(.*The scope is locked.*\\); remove it in the portal`),
  );
  assert.match(recorded.outputs.get(INSTALL_OUTPUT) ?? '', /! .*Is a directory/, 'stderr is in the Install output');
  const left = await az.compute.virtualMachineExtensions.get(rg, vmName, INSTALL_EXTENSION_NAME);
  assert.equal(left.provisioningState, 'Failed');
  await az.compute.virtualMachineExtensions.beginDeleteAndWait(rg, vmName, INSTALL_EXTENSION_NAME, { updateIntervalInMs: 20 });
});

test('cancelling removes the extension and says what may already be on the VM', async () => {
  fresh();
  const name = uniqueName('cancel');
  const id = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name });
  // The script's operation outlasts the cancel, as minutes of package installs do on Azure.
  arm.faults.slowOperations(1000);
  arm.resetRequests();
  const isPut = (r: { method: string; path: string }) => r.method === 'PUT' && r.path.endsWith(`/extensions/${INSTALL_EXTENSION_NAME}`);
  const cancelWhenSent = (async () => {
    while (!arm.requests.some(isPut)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Only the PUT is slow: the delete that cancelling sends finishes as usual.
    arm.faults.slowOperations(1);
    recorded.cancelProgress();
  })();
  await install(vmNamed(name), overSsh, newKeyPair);
  await cancelWhenSent;
  assert.equal(
    said(),
    `info: The install on ${name} was stopped and its extension removed. Docker Engine, the docker group membership and the SSH key may already be on the VM; installing again finishes the job.`,
  );
  assert.equal(azure.marks.get(id), undefined, 'not marked as a Docker host');
  assert.ok(
    arm.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(`/extensions/${INSTALL_EXTENSION_NAME}`)),
    'the extension was deleted',
  );
  await extensionGone(rg, name);
});

test("a VM that runs someone else's Custom Script is refused, and that extension is left as it was", async () => {
  fresh();
  const name = uniqueName('theirs');
  const id = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name });
  await az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(
    rg,
    name,
    'their-setup',
    {
      location: 'westeurope',
      publisher: 'Microsoft.Azure.Extensions',
      typePropertiesType: 'CustomScript',
      typeHandlerVersion: '2.1',
      settings: { commandToExecute: 'true' },
    },
    { updateIntervalInMs: 20 },
  );
  const before = arm.snapshot();
  await install(vmNamed(name), overSsh, newKeyPair);
  assert.equal(
    said(),
    `error: ${name} already has a Custom Script extension (their-setup). Azure allows one per VM: remove it first, then install Docker.`,
  );
  assert.equal(arm.snapshot(), before, 'their extension is untouched');
  assert.equal(azure.marks.get(id), undefined);
});

test('Install Docker on VM… with mutual TLS: 2376 opened for the chosen source only, and the VM lists its containers over TLS', async () => {
  fresh();
  const name = uniqueName('tls');
  // Its NSG lets in SSH only, as on a VM nobody set up for Docker: 2376 is closed until the product opens it.
  const id = arm.addVm({ subscriptionId: sub, resourceGroup: rg, name, dockerTlsRule: false });
  await install(vmNamed(name), overTls, newKeyPair, 'Choose Source…', '127.0.0.1');
  const done = recorded.messages.find((m) => m.text.startsWith(`Docker is ready on ${name}`));
  assert.ok(done && done.level === 'info', said());
  assert.match(done.text, /Docker listens with mutual TLS on 2376/);
  await extensionGone(rg, name);

  const rules = (await az.network.networkSecurityGroups.get(rg, `${name}-nsg`)).securityRules ?? [];
  const opened = rules.filter((r) => r.destinationPortRange === '2376');
  assert.deepEqual(
    opened.map((r) => [r.access, r.direction, r.sourceAddressPrefix]),
    [['Allow', 'Inbound', '127.0.0.1']],
    `one rule lets the chosen source reach 2376: ${JSON.stringify(rules)}`,
  );

  const stored = await azure.hostTls.get(id);
  assert.ok(stored && /PRIVATE KEY/.test(stored.key), 'the client certificate and key are in SecretStorage');
  assert.ok(azure.marks.sshKey(id), 'the SSH key is kept for Open SSH Terminal, as for a provisioned TLS host');

  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === id.toLowerCase());
  assert.ok(booted && booted.ports.includes(2376), `the VM serves Docker on 2376: ${JSON.stringify(arm.bootFailures())}`);
  await importBusybox(booted.socketPath);
  await dockerCli(['create', '--name', 'on-the-tls-vm', BASE_IMAGE, 'sleep', '60'], booted.socketPath);
  const node = await hostNode(name);
  assert.ok(node.session, 'the running VM has a session');
  assert.equal(node.session.spec.address, `tcp://${booted.address}:2376`);
  const snapshot = await node.session.load();
  assert.ok(
    snapshot.containers.some((c) => c.Names.includes('/on-the-tls-vm')),
    `the product lists the VM's containers over mutual TLS: ${JSON.stringify(snapshot.containers.map((c) => c.Names))}`,
  );

  const plain = (m: AzureCommands['state']['globalState']) => JSON.stringify(m.keys().map((k) => m.get(k)));
  for (const [where, text] of [
    ['globalState', plain(azure.state.globalState)],
    ['workspaceState', plain(azure.state.workspaceState)],
    ['settings', JSON.stringify([recorded.config, recorded.workspaceConfig])],
    ['output channels', JSON.stringify([...recorded.outputs.values()])],
  ]) {
    assert.doesNotMatch(text, /PRIVATE KEY/, `no key material in ${where}`);
  }
});

test('installing with mutual TLS on the VM that was an SSH host changes only its Docker configuration, says what changed, and marks it TLS', async () => {
  assert.ok(firstKey, 'the first test installed');
  fresh();
  const node = await hostNode(vmName);
  // The seeded NSG already lets anyone reach 2376, so nothing is asked about ports.
  recorded.answers.push(overTls, (items: Item[]) => items.find((i) => i.file === firstKey));
  await recorded.commands.get('dockerOnAzure.azure.installDocker')!(node);
  assert.deepEqual([recorded.answerErrors, recorded.answers.length], [[], 0], `every prompt came as scripted: ${said()}`);
  const done = recorded.messages.find((m) => m.text.startsWith(`Docker is ready on ${vmName}`));
  assert.ok(done && done.level === 'info', said());
  assert.match(done.text, /Changed: .*wrote \/etc\/docker\/daemon\.json/);
  assert.doesNotMatch(done.text, /docker group|authorized_keys|installed docker/, 'the user, the key and the package were in place already');
  await extensionGone(rg, vmName);
  assert.equal(azure.marks.get(vmId)?.access, 'tls');
  assert.ok(await azure.hostTls.get(vmId), 'its client certificate is in SecretStorage');
});
