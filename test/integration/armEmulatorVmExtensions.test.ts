/**
 * The ARM emulator's VM extensions, driven through the real Azure SDK: a Custom Script runs for real
 * in the VM's root filesystem, the PUT's operation ends when the script does, its output is in the
 * instance view, a failing script fails the operation with its stderr, and a VM whose script enabled
 * Docker answers over SSH as its files now say, and over mutual TLS on 2376 when they set that up.
 * Needs root and dockerd, as every integration test.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';
import { run } from '../support/engines';
import { dockerCli, uniqueName } from '../support/testEnv';
import { buildInstallScript, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';
import { createCertificateAuthority, createClientCertificate, createServerCertificate } from '../../src/core/azure/provisioning/certificates';

const FAST = { updateIntervalInMs: 20 };
let emu: ArmEmulator;
let az: EmulatorClients;
let sub: string;
let work: string;

before(async () => {
  emu = await startArmEmulator({ bootDockerHosts: true });
  trustEmulatorCa(emu.caCertPath);
  sub = emu.subscriptions[0].subscriptionId;
  az = emulatorClients(emu, sub);
  work = fs.mkdtempSync('/tmp/doa-vmext-emu-');
});

after(async () => {
  await emu?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const customScript = (script: string) => ({
  location: 'westeurope',
  publisher: 'Microsoft.Azure.Extensions',
  typePropertiesType: 'CustomScript',
  typeHandlerVersion: '2.1',
  protectedSettings: { script: Buffer.from(script).toString('base64') },
});

test('a Custom Script runs as root in the VM: its output is in the instance view, and Docker it enabled answers over SSH', async () => {
  const rg = uniqueName('rg-ext');
  const name = uniqueName('vm');
  emu.addVm({ subscriptionId: sub, resourceGroup: rg, name });
  const key = path.join(work, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim();
  const script = [
    '#!/bin/sh',
    'set -e',
    '. /etc/os-release; echo "on $ID $VERSION_ID as $(id -un)"',
    'usermod -aG docker azureuser',
    'install -d -m 700 -o azureuser /home/azureuser/.ssh',
    `echo '${pub}' >> /home/azureuser/.ssh/authorized_keys`,
    'systemctl enable docker >/dev/null 2>&1',
    'echo warning >&2',
  ].join('\n');
  const ext = await az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'docker', customScript(script), FAST);
  assert.equal(ext.provisioningState, 'Succeeded');
  assert.equal(ext.protectedSettings, undefined, 'protected settings are write-only');
  const seen = await az.compute.virtualMachineExtensions.get(rg, name, 'docker', { expand: 'instanceView' });
  const subs = Object.fromEntries((seen.instanceView?.substatuses ?? []).map((s) => [s.code, s.message]));
  assert.equal(subs['ComponentStatus/StdOut/succeeded'], 'on ubuntu 24.04 as root\n');
  assert.equal(subs['ComponentStatus/StdErr/succeeded'], 'warning\n');
  assert.equal(seen.instanceView?.statuses?.[0].code, 'ProvisioningState/succeeded');
  const listed = await az.compute.virtualMachineExtensions.list(rg, name);
  assert.deepEqual(
    listed.value?.map((x) => x.name),
    ['docker'],
  );

  await emu.dockerHostsSettled();
  const host = emu.bootedHosts().find((h) => h.vmId.toLowerCase().endsWith(`/${name.toLowerCase()}`));
  assert.ok(host?.ssh, `the VM serves Docker over SSH: ${JSON.stringify(emu.bootFailures())}`);
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, `${host.address} ${host.ssh.hostKeyPublic}\n`);
  const out = await run('ssh', [
    '-i',
    key,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    `${host.ssh.user}@${host.address}`,
    'docker',
    'version',
    '--format',
    '{{.Server.Version}}',
  ]);
  assert.match(out.stdout, /^\d+\.\d+/);

  await az.compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, 'docker', FAST);
  await assert.rejects(az.compute.virtualMachineExtensions.get(rg, name, 'docker'), /was not found/);
});

test('a failing script fails the operation with its stderr; a VM image the script reads is the one the VM was made from', async () => {
  const rg = uniqueName('rg-ext');
  const name = uniqueName('vm');
  emu.addVm({ subscriptionId: sub, resourceGroup: rg, name, image: { publisher: 'SUSE', offer: 'sles-15-sp5', sku: 'gen2' } });
  const script = '#!/bin/sh\n. /etc/os-release\necho "cannot install on $ID $VERSION_ID" >&2\nexit 3\n';
  await assert.rejects(
    az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'docker', customScript(script), FAST),
    (e: Error) => /VMExtensionProvisioningError/.test(e.message) && /exit status=3/.test(e.message) && /cannot install on sles 15\.5/.test(e.message),
  );
  const seen = await az.compute.virtualMachineExtensions.get(rg, name, 'docker', { expand: 'instanceView' });
  assert.equal(seen.provisioningState, 'Failed');
  assert.equal(seen.instanceView?.statuses?.[0].code, 'ProvisioningState/failed/3');
  assert.match(seen.instanceView?.statuses?.[0].message ?? '', /\[stderr\]\ncannot install on sles 15\.5/);
});

test('deleting an extension while its script runs stops the script and removes the resource; one per handler; a stopped VM takes none', async () => {
  const rg = uniqueName('rg-ext');
  const name = uniqueName('vm');
  emu.addVm({ subscriptionId: sub, resourceGroup: rg, name });
  const poller = await az.compute.virtualMachineExtensions.beginCreateOrUpdate(
    rg,
    name,
    'docker',
    customScript('#!/bin/sh\necho started\nsleep 60\n'),
    FAST,
  );
  await poller.poll();
  assert.equal(poller.isDone(), false, 'the operation runs as long as the script');
  const started = Date.now();
  await az.compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, 'docker', FAST);
  await assert.rejects(az.compute.virtualMachineExtensions.get(rg, name, 'docker'), /was not found/);
  await emu.dockerHostsSettled();
  assert.ok(Date.now() - started < 20_000, 'the script was stopped, not waited for');

  await az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'first', customScript('#!/bin/sh\ntrue\n'), FAST);
  await assert.rejects(
    az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'second', customScript('#!/bin/sh\ntrue\n'), FAST),
    /Multiple VMExtensions per handler not supported for OS type 'Linux'. VMExtension 'first'/,
    'a Linux VM takes one extension per handler',
  );
  await az.compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, 'first', FAST);

  await az.compute.virtualMachines.beginDeallocateAndWait(rg, name, FAST);
  await assert.rejects(
    az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'docker', customScript('#!/bin/sh\ntrue\n'), FAST),
    /VM is not running/,
  );
});

test("the product's TLS install script leaves a daemon that comes up on the VM's address with mutual TLS on 2376, still behind SSH; a wrong CA fails for real", async () => {
  const rg = uniqueName('rg-ext');
  const name = uniqueName('vm');
  emu.addVm({ subscriptionId: sub, resourceGroup: rg, name, dnsLabel: '' });
  const address = (await az.network.publicIPAddresses.get(rg, `${name}-ip`)).ipAddress!;
  const ca = await createCertificateAuthority('Docker on Azure test CA');
  const server = await createServerCertificate(ca, { dnsNames: [], ipAddresses: [address] });
  const client = await createClientCertificate(ca, 'docker-on-azure');
  const key = path.join(work, 'tls_id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const script = buildInstallScript({
    adminUser: 'azureuser',
    sshPublicKey: fs.readFileSync(`${key}.pub`, 'utf8').trim(),
    tls: { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem },
  });
  const ext = await az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(rg, name, 'docker', customScript(script), FAST);
  assert.equal(ext.provisioningState, 'Succeeded');
  await emu.dockerHostsSettled();
  const host = emu.bootedHosts().find((h) => h.vmId.toLowerCase().endsWith(`/${name.toLowerCase()}`));
  assert.ok(host, `the VM boots a daemon: ${JSON.stringify(emu.bootFailures())}`);
  assert.deepEqual([host.address, host.ports], [address, [2376, 22]]);
  assert.ok(host.ssh, 'SSH still reaches the socket');
  const pem = (file: string, content: string) => (fs.writeFileSync(path.join(work, file), content, { mode: 0o600 }), path.join(work, file));
  const target = {
    host: address,
    port: 2376,
    ca: pem('tls-ca.pem', ca.certPem),
    cert: pem('tls-cert.pem', client.certPem),
    key: pem('tls-key.pem', client.keyPem),
  };
  assert.match(await dockerCli(['version', '--format', '{{.Server.Os}}'], target), /^linux/);
  const other = await createCertificateAuthority('Someone else');
  await assert.rejects(dockerCli(['version'], { ...target, ca: pem('other-ca.pem', other.certPem) }), /certificate/i);

  // Run again: the script changes nothing, and the daemon answers as before.
  const again = await az.compute.virtualMachineExtensions.beginCreateOrUpdateAndWait(
    rg,
    name,
    'docker',
    { ...customScript(script), forceUpdateTag: '2' },
    FAST,
  );
  assert.equal(again.provisioningState, 'Succeeded');
  const seen = await az.compute.virtualMachineExtensions.get(rg, name, 'docker', { expand: 'instanceView' });
  const stdout = seen.instanceView?.substatuses?.find((s) => s.code?.startsWith('ComponentStatus/StdOut/'))?.message ?? '';
  assert.deepEqual(parseInstallOutput(stdout, '').changed, [], stdout);
  await emu.dockerHostsSettled();
  assert.match(await dockerCli(['version', '--format', '{{.Server.Os}}'], target), /^linux/);
  await az.compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, 'docker', FAST);
});
