/**
 * Create Swarm on Azure when the VMs are made but the swarm cannot be: here their Docker never
 * answers in time (the emulated VMs take longer to boot than the wait allows). The whole run is
 * rolled back through the command: the VMs and all that came with them, and what this machine kept
 * to reach them (certificates, key marks, the new key pair).
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import { mementoText, startAzureCommands, type AzureCommands } from '../support/azureCommands';

let arm: ArmEmulator;
let azure: AzureCommands;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-azswarm-rb-'));
const sshDir = path.join(scratch, 'ssh');

type Item = { label: string; value?: unknown; picked?: boolean };
const byDefault = (items: Item[]) => items.find((i) => i.picked) ?? items[0];

before(async () => {
  // Longer than any run of this test: the daemons boot only after the command gave up on them.
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, privateNetworks: true, bootDelayMs: 600_000 });
  azure = startAzureCommands(arm, scratch, { 'dockerOnAzure.ssh.keyDirectory': sshDir, 'dockerOnAzure.provision.daemonWaitMinutes': 0 });
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('nodes whose Docker does not answer: the whole swarm run is rolled back, and nothing kept here for its VMs', async () => {
  resetRecorded();
  recorded.config = { ...azure.config };
  const before = arm.snapshot();
  recorded.answers.push('late', byDefault, byDefault, '1', byDefault, byDefault, '203.0.113.7');
  await recorded.commands.get('dockerOnAzure.azure.provisionSwarm')!();
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  const errors = recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
  assert.equal(errors.length, 1, recorded.messages.map((m) => m.text).join('\n'));
  assert.match(errors[0], /^Provisioning failed: .*Docker on late-(m1|w1) did not answer.* Nothing it created remains\.$/);
  const vmPuts = arm.requests.filter((r) => r.method === 'PUT' && /\/virtualMachines\/late-(m1|w1)$/.test(r.path));
  assert.equal(vmPuts.length, 2, 'both VMs were created before the swarm was tried');
  assert.equal(arm.snapshot(), before, 'and are gone with everything the run created');
  const vmIds = vmPuts.map((r) => r.path);
  for (const id of vmIds) {
    assert.equal(await azure.hostTls.get(id), undefined, `no certificates kept for ${id}`);
  }
  assert.equal(mementoText(azure.state.globalState).includes('late-'), false, 'no mark kept for the VMs');
  assert.deepEqual(fs.existsSync(sshDir) ? fs.readdirSync(sshDir) : [], [], 'the key pair made for the swarm is gone');
});
