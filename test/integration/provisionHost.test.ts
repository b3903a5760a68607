/**
 * Provision Docker Host as a user runs it: the real wizard (quick picks and input boxes of the
 * vscode fake, answered step by step), the real command and the Azure SDKs against the ARM emulator.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import type { FakeInputBox } from '../support/vscodeFake';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';
import { generateSshKeyPair, writeSshKeyPair } from '../../src/core/azure/provisioning/sshKeys';

let arm: ArmEmulator;
let sub: string;
let azure: AzureCommands;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-provision-'));
const sshDir = path.join(scratch, 'ssh');

type Item = { label: string; value?: unknown; picked?: boolean };

function provision(...answers: unknown[]): Promise<unknown> {
  recorded.answers.push(...answers);
  return Promise.resolve(recorded.commands.get('dockerOnAzure.azure.provisionHost')!());
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  sub = arm.subscriptions[0].subscriptionId;
  azure = startAzureCommands(arm, scratch, {
    'dockerOnAzure.ssh.keyDirectory': sshDir,
    // SSH-mode hosts in the emulator run nothing; one try is enough to show what the user is told.
    'dockerOnAzure.provision.daemonWaitMinutes': 0,
  });
});

beforeEach(() => {
  resetRecorded();
  recorded.config = { ...azure.config };
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('a host name whose resources exist is refused while it is typed; a new group never takes the name of one that exists', async () => {
  arm.addVm({ subscriptionId: sub, resourceGroup: 'first-rg', name: 'docker-host-1' });
  arm.addVm({ subscriptionId: sub, resourceGroup: 'docker-host-2-rg', name: 'other' });
  const before = arm.snapshot();
  const seen: { initial?: string; badRule?: string; free?: string; groups?: string[] } = {};
  // Enter on a taken name: the box stays open with the reason (the fake records it and ends the run).
  await provision('docker-host-1');
  assert.deepEqual(recorded.refusedInputs, [
    { value: 'docker-host-1', message: 'The virtual machine docker-host-1 already exists in resource group first-rg: choose another host name.' },
  ]);
  resetRecorded();
  recorded.config = { ...azure.config };
  await provision(
    async (box: FakeInputBox) => {
      seen.initial = box.value;
      await box.type('Docker');
      seen.badRule = box.validationMessage;
      await box.type('docker-host-2');
      seen.free = box.validationMessage;
      return 'docker-host-2';
    },
    (groups: Item[]) => {
      seen.groups = groups.map((i) => i.label);
      return undefined;
    },
  );
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  assert.equal(seen.initial, 'docker-host-2', 'the default is a name that is free');
  assert.match(seen.badRule ?? '', /lowercase/);
  assert.equal(seen.free, undefined);
  assert.equal(seen.groups?.[0], '$(add) New resource group "docker-host-2-rg-2"', 'the new group is not the existing docker-host-2-rg');
  assert.ok(seen.groups?.includes('docker-host-2-rg'), 'which is offered as an existing group to pick knowingly');
  assert.equal(arm.snapshot(), before, 'Escape left before anything was created');
});

/** A quick pick's default: the item the wizard marks picked. */
const byDefault = (items: Item[]) => items.find((i) => i.picked) ?? items[0];

test('every default, in a region where the plain DNS name is taken: the wizard proposes a free label, shows its name, and provisioning succeeds', async () => {
  const seen: { host?: string; label?: string; prompt?: string; taken?: string } = {};
  await provision(
    (box: FakeInputBox) => (seen.host = box.value),
    byDefault, // a new resource group
    byDefault, // West Europe, where other Azure customers hold the docker-host-N labels
    async (dns: FakeInputBox) => {
      seen.label = dns.value;
      seen.prompt = dns.prompt;
      await dns.type(seen.host!);
      seen.taken = dns.validationMessage;
      return seen.label;
    },
    byDefault, // size
    byDefault, // image
    byDefault, // SSH
    byDefault, // a new key pair
    '203.0.113.7',
  );
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  const host = seen.host!;
  assert.match(host, /^docker-host-\d$/);
  assert.match(seen.label ?? '', new RegExp(`^${host}-[0-9a-f]{4}$`));
  assert.equal(seen.prompt, `Public DNS name: ${seen.label}.westeurope.cloudapp.azure.com (unique in the region across all of Azure)`);
  assert.equal(seen.taken, `${host}.westeurope.cloudapp.azure.com is taken on Azure: choose another label.`);
  const ipId = arm.inventory().find((id) => id.endsWith(`/publicIPAddresses/${host}-ip`));
  const ip = arm.resource(ipId ?? '') as { properties: { dnsSettings: { fqdn: string } } } | undefined;
  assert.equal(ip?.properties.dnsSettings.fqdn, `${seen.label}.westeurope.cloudapp.azure.com`);
  assert.ok(
    arm.inventory().some((id) => id.endsWith(`/virtualMachines/${host}`)),
    'the VM was created',
  );
  assert.deepEqual(
    recorded.messages.map((m) => m.level),
    ['warning'],
    `created, and only told that Docker does not answer yet: ${recorded.messages.map((m) => m.text).join(' | ')}`,
  );
  assert.match(recorded.messages[0].text, new RegExp(`^${host} was created\\. Docker on ${host} did not answer`));
  // The VM's sshd gets a host key made here, and known_hosts has it before the first connection.
  const vmPut = arm.requests.find((r) => r.method === 'PUT' && r.path.endsWith(`/virtualMachines/${host}`));
  const customData = (vmPut?.body as { properties: { osProfile: { customData: string } } }).properties.osProfile.customData;
  const cloudConfig = parse(Buffer.from(customData, 'base64').toString('utf8')) as {
    ssh_keys: { ed25519_private: string; ed25519_public: string };
    ssh_genkeytypes: string[];
    ssh_deletekeys: boolean;
  };
  assert.deepEqual([cloudConfig.ssh_deletekeys, cloudConfig.ssh_genkeytypes], [true, []], 'the image keeps no other host key');
  const keyFile = path.join(scratch, 'host_key');
  fs.writeFileSync(keyFile, cloudConfig.ssh_keys.ed25519_private, { mode: 0o600 });
  const derived = execFileSync('ssh-keygen', ['-y', '-f', keyFile], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
  assert.equal(cloudConfig.ssh_keys.ed25519_public.split(' ').slice(0, 2).join(' '), derived, 'the private and public halves belong together');
  const address = (arm.resource(ipId ?? '') as { properties: { ipAddress: string } }).properties.ipAddress;
  const knownHosts = fs.readFileSync(path.join(scratch, 'known_hosts'), 'utf8');
  for (const name of [address, `${seen.label}.westeurope.cloudapp.azure.com`]) {
    assert.ok(knownHosts.split('\n').includes(`${name} ${derived}`), `known_hosts trusts ${name} with the VM's key:\n${knownHosts}`);
  }
});

/** Every step's default, the allowed address typed in; `key` answers the SSH key step. */
function everyDefault(key: (items: Item[]) => Item | undefined = byDefault): unknown[] {
  const asOffered = (box: FakeInputBox) => box.value;
  return [asOffered, byDefault, byDefault, asOffered, byDefault, byDefault, byDefault, key, '203.0.113.7'];
}

/** Every file in the key folder with its content: what the user has there. */
function keyFolder(): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(sshDir).map((f) => [f, fs.readFileSync(path.join(sshDir, f), 'utf8')]));
}

test('a new key pair made for a run that fails or is cancelled is removed, or, while what it made remains, named; keys already there stay', async () => {
  fs.mkdirSync(sshDir, { recursive: true });
  await writeSshKeyPair(sshDir, 'id_ed25519', generateSshKeyPair('me@laptop'));
  const newKeyPair = (items: Item[]) => items.find((i) => i.value === null);
  const refuseVmQuota = () =>
    arm.faults.refuseNext(
      'PUT',
      /\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+$/i,
      409,
      'OperationNotAllowed',
      'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.',
    );
  const again = () => {
    resetRecorded();
    recorded.config = { ...azure.config };
  };

  const mine = keyFolder();
  refuseVmQuota();
  await provision(...everyDefault(newKeyPair));
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  assert.equal(recorded.messages.length, 1);
  assert.match(recorded.messages[0].text, /OperationNotAllowed.*Nothing it created remains\.$/);
  assert.deepEqual(keyFolder(), mine, 'the failed run took its new key pair along, and left the old one');

  again();
  recorded.cancelNextProgress = true;
  await provision(...everyDefault(newKeyPair));
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  assert.match(recorded.messages[0]?.text ?? '', /^Provisioning was cancelled/);
  assert.equal(recorded.messages[0].level, 'info', 'a cancelled run is no error');
  assert.deepEqual(keyFolder(), mine, 'so did the cancelled one');

  // A resource lock on the new group: the rollback cannot remove it, so the VM may still hold the key.
  again();
  refuseVmQuota();
  arm.faults.refuseNext(
    'DELETE',
    /\/resourceGroups\/[^/]+$/i,
    409,
    'ScopeLocked',
    'The scope cannot perform delete operation because following scope(s) are locked. Please remove the lock and try again.',
  );
  await provision(...everyDefault(newKeyPair));
  const made = Object.keys(keyFolder()).filter((f) => !(f in mine));
  assert.equal(made.length, 2, 'the new pair is kept while what it was made for remains');
  const privateKey = path.join(
    sshDir,
    made.find((f) => !f.endsWith('.pub'))!,
  );
  assert.match(recorded.messages[0]?.text ?? '', /Still there: .*ScopeLocked/);
  assert.ok(
    recorded.messages[0].text.endsWith(`The SSH key pair made for it stays at ${privateKey} (and ${path.basename(privateKey)}.pub).`),
    recorded.messages[0].text,
  );
});
