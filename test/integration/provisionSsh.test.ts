/**
 * The default provisioning (SSH mode) handing back a working host: Deploy asks for a new host, the
 * real wizard provisions it on the ARM emulator, whose VM boots a real sshd in front of a real
 * dockerd from the product's own cloud-init, and the deploy goes on there without any fingerprint
 * being taken on trust.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR, dockerCli, uniqueName } from '../support/testEnv';
import { Uri, type FakeInputBox } from '../support/vscodeFake';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let azure: AzureCommands;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-provssh-'));

type Item = { label: string; picked?: boolean };
const byDefault = (items: Item[]) => items.find((i) => i.picked) ?? items[0];
const asOffered = (box: FakeInputBox) => box.value;

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  azure = startAzureCommands(arm, scratch, {
    'dockerOnAzure.ssh.keyDirectory': path.join(scratch, 'ssh'),
    'dockerOnAzure.provision.daemonWaitMinutes': 2,
  });
  resetRecorded();
  recorded.config = { ...azure.config };
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('Deploy to a new host provisioned in SSH mode: the host key is known before the first connection, and the deploy runs there', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'app-'));
  // The new VM's Docker has no images and no network: the image is built from a static binary.
  fs.copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "sleep", "3600"]\n');
  const name = uniqueName('ssh-new');
  let hostName = '';
  recorded.answers.push(
    (items: Item[]) => items.at(-1), // Provision a New Host on Azure…
    (box: FakeInputBox) => (hostName = box.value),
    byDefault, // a new resource group
    byDefault, // region
    asOffered, // DNS label
    byDefault, // size
    byDefault, // image
    byDefault, // SSH, the default
    byDefault, // a new key pair
    '203.0.113.7',
    undefined, // the "is ready" notification, left alone
    `${name}:1`,
    name,
    '', // no ports
    '', // no environment
    byDefault, // restart policy
  );
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs, recorded.answers.length], [[], [], 0], `every prompt came as scripted: ${recorded.messages.map((m) => m.text).join(' | ')}`);
  const problems = recorded.messages.filter((m) => m.level !== 'info');
  assert.deepEqual(problems, [], 'no warning (no fingerprint to check) and no error');
  assert.ok(
    recorded.messages.some((m) => m.text.startsWith(`${hostName} is ready`)),
    recorded.messages.map((m) => m.text).join(' | '),
  );
  const booted = arm.bootedHosts().find((h) => h.ssh);
  assert.ok(booted, 'the VM booted in SSH mode');
  const knownHosts = fs.readFileSync(path.join(scratch, 'known_hosts'), 'utf8');
  assert.ok(knownHosts.includes(`${booted.address} ${booted.ssh!.hostKeyPublic}`), `known_hosts has the key the VM serves:\n${knownHosts}`);
  assert.equal((await dockerCli(['inspect', '-f', '{{.State.Running}}', name], booted.socketPath)).trim(), 'true', 'the deployed container runs on the new VM');
  assert.ok(
    recorded.messages.some((m) => m.text.includes(`${name} is running on ${hostName}`)),
    recorded.messages.map((m) => m.text).join(' | '),
  );
});

async function hostNode(name: string): Promise<AzureHostNode> {
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s)))).flat();
  const found = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

test('a new host on a public address Azure handed out before replaces the old SSH host key in known_hosts, keeping a backup', async () => {
  const first = arm.bootedHosts().find((h) => h.ssh);
  assert.ok(first, 'the host of the previous test runs');
  const knownHostsFile = path.join(scratch, 'known_hosts');
  const oldLine = `${first.address} ${first.ssh!.hostKeyPublic}`;
  const firstName = String((arm.resource(first.vmId) as { name: string }).name);
  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push(firstName);
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(await hostNode(firstName));
  assert.equal(arm.resource(first.vmId), undefined, `the first VM is gone: ${recorded.messages.map((m) => m.text).join(' | ')}`);
  await arm.dockerHostsSettled();

  let hostName = '';
  recorded.answers.push(
    (box: FakeInputBox) => (hostName = box.value),
    byDefault, // a new resource group
    byDefault, // region
    asOffered, // DNS label
    byDefault, // size
    byDefault, // image
    byDefault, // SSH, the default
    byDefault, // the key pair offered
    '203.0.113.7',
  );
  const ready = await recorded.commands.get('dockerOnAzure.azure.provisionHost')!();
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  const second = arm.bootedHosts().find((h) => h.ssh);
  assert.ok(second, `the second VM booted: ${recorded.messages.map((m) => m.text).join(' | ')}`);
  assert.equal(second.address, first.address, 'Azure gave the new public IP the freed address');
  assert.ok(ready, `${hostName} is ready: ${recorded.messages.map((m) => m.text).join(' | ')}`);
  assert.notEqual(second.ssh!.hostKeyPublic, first.ssh!.hostKeyPublic);
  const text = fs.readFileSync(knownHostsFile, 'utf8');
  assert.ok(!text.includes(oldLine), `the old key for ${first.address} is no longer trusted:\n${text}`);
  assert.ok(text.includes(`${second.address} ${second.ssh!.hostKeyPublic}`), text);
  assert.ok(fs.readFileSync(`${knownHostsFile}.old`, 'utf8').includes(oldLine), 'the file as it was is kept in known_hosts.old');
});

test('a host provisioned here whose record is gone (another profile, a reinstall) is still reached with the key provisioning left in the key folder', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const name = uniqueName('ssh-kept');
  let newKeyDetail: string | undefined;
  recorded.answers.push(
    name,
    byDefault, // a new resource group
    byDefault, // region
    asOffered, // DNS label
    byDefault, // size
    byDefault, // image
    byDefault, // SSH, the default
    (items: (Item & { value?: unknown; detail?: string })[]) => {
      const fresh = items.find((i) => i.value === null);
      newKeyDetail = fresh?.detail;
      return fresh;
    },
    '203.0.113.7',
  );
  const ready = (await recorded.commands.get('dockerOnAzure.azure.provisionHost')!()) as DockerHostSpec | undefined;
  assert.ok(ready, recorded.messages.map((m) => m.text).join(' | '));
  assert.equal(newKeyDetail, `Written to ${path.join(scratch, 'ssh', `${name}_ed25519`)} (0600)`, 'the wizard names the key folder it writes to');
  const vm = arm.bootedHosts().find((h) => ready.id === `azure:${h.vmId.toLowerCase()}`);
  assert.ok(vm, 'the VM booted');
  // What a new VS Code profile on this machine knows of the host: only what Azure says.
  await azure.marks.set(vm.vmId, undefined);
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s)))).flat();
  const node = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === name);
  assert.ok(node?.session, `${name} is listed and reachable`);
  const snapshot = await node.session.load();
  assert.ok(Array.isArray(snapshot.containers), 'the daemon answered over SSH');
  assert.equal(node.session.spec.identityFile, path.join(scratch, 'ssh', `${name}_ed25519`), 'with the key provisioning wrote');
});
