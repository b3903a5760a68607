import test from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { buildCloudConfig, encodeCustomData } from '../../src/core/azure/provisioning/cloudInit';
import {
  isWideRange,
  validateAdminUser,
  validateHostName,
  validateResourceGroupName,
  validateSourceRange,
} from '../../src/core/azure/provisioning/naming';
import { hostResourceNames, planProvisioning, toSdkModel, ProvisionRequest } from '../../src/core/azure/provisioning/plan';
import { freeGroupName, freeHostName, hostNameTaken } from '../../src/core/azure/provisioning/takenNames';
import { dnsName, proposeDnsLabel, validateDnsLabel } from '../../src/core/azure/provisioning/dnsLabels';

const tls = { caPem: 'CA-PEM', serverCertPem: 'SERVER-CERT', serverKeyPem: 'SERVER-KEY' };

test('TLS cloud-init: daemon.json, the systemd drop-in that frees hosts, private key 0600', () => {
  const text = buildCloudConfig({ adminUser: 'azureuser', access: 'tls', tls });
  assert.match(text, /^#cloud-config\n/);
  const config = parse(text);
  const files = Object.fromEntries(config.write_files.map((f: { path: string }) => [f.path, f]));
  const daemon = JSON.parse(files['/etc/docker/daemon.json'].content);
  assert.deepEqual(daemon.hosts, ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376']);
  assert.equal(daemon.tlsverify, true);
  assert.equal(files['/etc/docker/tls/server-key.pem'].permissions, '0600');
  assert.equal(files['/etc/docker/tls/server-key.pem'].content, 'SERVER-KEY');
  assert.equal(files['/etc/docker/tls/ca.pem'].content, 'CA-PEM');
  assert.equal(files['/etc/systemd/system/docker.service.d/override.conf'].content, '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd\n');
  assert.deepEqual(config.packages, ['docker.io']);
  const cmds = config.runcmd.map((c: string[]) => c.join(' '));
  assert.ok(cmds.indexOf('systemctl daemon-reload') < cmds.indexOf('systemctl restart docker'), 'reload the drop-in before restarting Docker');
  assert.ok(cmds.includes('usermod -aG docker azureuser'));
});

test('SSH cloud-init has no daemon.json (Docker stays on its socket) and still adds the user to docker', () => {
  const config = parse(buildCloudConfig({ adminUser: 'ops', access: 'ssh' }));
  assert.equal(config.write_files, undefined);
  assert.ok(config.runcmd.some((c: string[]) => c.join(' ') === 'usermod -aG docker ops'));
  assert.throws(() => buildCloudConfig({ adminUser: 'ops', access: 'tls' }), /needs the server certificate/);
});

test("custom data over Azure's 64 KB limit is refused before any call", () => {
  assert.ok(encodeCustomData(buildCloudConfig({ adminUser: 'a', access: 'tls', tls })).length < 4000);
  const huge = buildCloudConfig({ adminUser: 'a', access: 'tls', tls: { ...tls, caPem: 'x'.repeat(60_000) } });
  assert.throws(() => encodeCustomData(huge), /over Azure's 65536-byte limit/);
});

test('names are checked against Azure rules before anything is created', () => {
  assert.equal(validateHostName('docker-host-1'), undefined);
  for (const bad of ['', 'ab', 'Docker', '1host', 'host-', 'host_name', 'a'.repeat(64), 'two--hyphens']) {
    assert.ok(validateHostName(bad), `${bad} is refused`);
  }
  assert.equal(validateResourceGroupName('my-rg_(1).x'), undefined);
  assert.ok(validateResourceGroupName('ends.'));
  assert.ok(validateResourceGroupName('has space'));
  assert.equal(validateAdminUser('azureuser'), undefined);
  assert.ok(validateAdminUser('root'));
  assert.ok(validateAdminUser('Admin'));
  assert.equal(validateSourceRange('203.0.113.7'), undefined);
  assert.equal(validateSourceRange('10.0.0.0/8'), undefined);
  assert.ok(validateSourceRange('300.1.1.1'));
  assert.ok(validateSourceRange('1.2.3.4/33'));
  assert.equal(isWideRange('0.0.0.0/0'), true);
  assert.equal(isWideRange('203.0.113.0/24'), false);
});

const request: ProvisionRequest = {
  subscriptionId: 'sub',
  location: 'westeurope',
  resourceGroup: 'rg',
  createResourceGroup: true,
  hostName: 'web',
  dnsLabel: 'web',
  vmSize: 'Standard_B2s',
  image: 'ubuntu-22.04',
  adminUser: 'azureuser',
  sshPublicKey: 'ssh-ed25519 AAAA test',
  access: 'tls',
  sourceRange: '203.0.113.7/32',
};

test('the plan: group first, network pieces and IP together, then NIC, then VM; all tagged', () => {
  const plan = planProvisioning(request);
  assert.deepEqual(
    plan.resources.map((r) => [r.key, r.dependsOn.join('+')]),
    [
      ['resourceGroup', ''],
      ['vnet', 'resourceGroup'],
      ['nsg', 'resourceGroup'],
      ['publicIp', 'resourceGroup'],
      ['nic', 'vnet+nsg+publicIp'],
      ['vm', 'nic'],
    ],
  );
  for (const r of plan.resources.filter((r) => r.key !== 'resourceGroup')) {
    assert.equal((r.body.tags as Record<string, string>)['dockerOnAzure:partOf'], 'web', `${r.key} is tagged`);
  }
  const nsg = plan.resources.find((r) => r.key === 'nsg')!.body as {
    properties: { securityRules: { properties: { destinationPortRange: string; sourceAddressPrefix: string } }[] };
  };
  assert.deepEqual(
    nsg.properties.securityRules.map((r) => r.properties.destinationPortRange),
    ['22', '2376'],
  );
  assert.ok(nsg.properties.securityRules.every((r) => r.properties.sourceAddressPrefix === '203.0.113.7/32'));
  const vm = plan.resources.find((r) => r.key === 'vm')!.body as { properties: { storageProfile: { imageReference: { offer: string } } } };
  assert.equal(vm.properties.storageProfile.imageReference.offer, '0001-com-ubuntu-server-jammy');
  const existing = planProvisioning({ ...request, createResourceGroup: false });
  assert.equal(
    existing.resources.some((r) => r.key === 'resourceGroup'),
    false,
  );
  assert.deepEqual(existing.resources.find((r) => r.key === 'vnet')!.dependsOn, []);
});

test('SDK models lift every properties envelope, nested ones included, and keep tags as they are', () => {
  const model = toSdkModel<Record<string, unknown>>({
    location: 'x',
    tags: { properties: 'kept' },
    properties: { subnets: [{ name: 's', properties: { addressPrefix: '10.0.0.0/24' } }] },
  });
  assert.deepEqual(model, { location: 'x', tags: { properties: 'kept' }, subnets: [{ name: 's', addressPrefix: '10.0.0.0/24' }] });
});

test('a host name is taken when any resource it would make exists, in any group, whatever the case', () => {
  const existing = [
    { name: 'Web-NSG', type: 'microsoft.network/networksecuritygroups', resourceGroup: 'ops-rg' },
    { name: 'api', type: 'Microsoft.Compute/virtualMachines', resourceGroup: 'api-rg' },
    { name: 'api-vnet', type: 'Microsoft.Network/virtualNetworks', resourceGroup: 'api-rg' },
    // Same name, other type: a storage account called db-ip is no public IP.
    { name: 'db-ip', type: 'Microsoft.Storage/storageAccounts', resourceGroup: 'x' },
  ];
  assert.equal(
    hostNameTaken('web', existing),
    'The network security group Web-NSG already exists in resource group ops-rg: choose another host name.',
  );
  assert.match(hostNameTaken('api', existing) ?? '', /^The virtual machine api already exists/, 'the VM is named first');
  assert.equal(hostNameTaken('db', existing), undefined);
  const plan = planProvisioning({ ...request, hostName: 'db' });
  assert.deepEqual(
    [...plan.resources.filter((r) => r.key !== 'resourceGroup'), plan.osDisk].map((r) => r.name).sort(),
    Object.values(hostResourceNames('db')).sort(),
    'the check covers exactly the names the plan uses',
  );
  const hosts = [1, 2].map((n) => ({ name: `docker-host-${n}`, type: 'Microsoft.Compute/virtualMachines', resourceGroup: 'rg' }));
  assert.equal(freeHostName([]), 'docker-host-1');
  assert.equal(freeHostName(hosts), 'docker-host-3');
  assert.equal(freeGroupName('web-rg', [{ name: 'other' }]), 'web-rg');
  assert.equal(freeGroupName('web-rg', [{ name: 'WEB-RG' }, { name: 'web-rg-2' }]), 'web-rg-3');
});

test('a DNS label is proposed free: the host name if Azure has it free, else a stable short suffix', async () => {
  const asked: string[] = [];
  const freeUnless = (taken: string[]) => async (label: string) => {
    asked.push(label);
    return !taken.includes(label);
  };
  assert.equal(await proposeDnsLabel('web', 'sub-1', freeUnless([])), 'web');
  const first = await proposeDnsLabel('web', 'sub-1', freeUnless(['web']));
  assert.match(first, /^web-[0-9a-f]{4}$/);
  assert.equal(await proposeDnsLabel('web', 'sub-1', freeUnless(['web'])), first, 'the same proposal every time');
  assert.notEqual(await proposeDnsLabel('web', 'sub-2', freeUnless(['web'])), first, 'another subscription, another suffix');
  asked.length = 0;
  const second = await proposeDnsLabel('web', 'sub-1', freeUnless(['web', first]));
  assert.deepEqual(asked, ['web', first, second]);
  const long = 'a'.repeat(63);
  const fitted = await proposeDnsLabel(long, 's', freeUnless([long]));
  assert.equal(fitted.length, 63);
  assert.equal(validateDnsLabel(fitted), undefined);
  assert.match(await proposeDnsLabel('web', 'sub-1', () => Promise.reject(new Error('403'))), /^web-[0-9a-f]{4}$/, 'unknown: the suffixed one');
  for (const bad of ['ab', 'Web', '1web', 'web-', 'web_1']) {
    assert.ok(validateDnsLabel(bad), `${bad} is refused`);
  }
  assert.equal(dnsName('web-1a2b', 'westeurope'), 'web-1a2b.westeurope.cloudapp.azure.com');
});
