/**
 * The ARM emulator answers in the shapes the Azure REST API specs define: every GET/list/PUT
 * response it gives for the resources the product reads is checked against that operation's
 * response schema (required properties, types, enums, date-times). Also: the pruned spec copy the
 * emulator ships is what pruning the reference folder gives.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InProcessClient } from '../support/armEmulator/inProcessClient';
import { seedVm } from '../support/armEmulator/seedVm';
import { validateAgainstSchema, type SchemaIssue } from '../support/armEmulator/schemaValidator';
import { DEFAULT_REFERENCE_DIR, pruneSpecs, serialize } from '../support/armEmulator/specPruning';
import { vendoredSpecsDir } from '../support/armEmulator/specLibrary';

const client = new InProcessClient();
const { core } = client;
const sub = core.state.subscriptions.values().next().value!.subscriptionId;
const rg = `/subscriptions/${sub}/resourceGroups/rg-docker`;
const vm1 = seedVm(core, { subscriptionId: sub, resourceGroup: 'rg-docker', name: 'dockerhost1', tags: { 'docker-on-azure': 'host' } });
seedVm(core, { subscriptionId: sub, resourceGroup: 'rg-docker', name: 'dockerhost2', powerState: 'deallocated', publicIp: false });
// The retired Docker VM extension, still on a VM: what legacy-host recognition reads.
const legacy = seedVm(core, {
  subscriptionId: sub,
  resourceGroup: 'rg-docker',
  name: 'legacyhost',
  extensions: [{ name: 'DockerExtension', publisher: 'Microsoft.Azure.Extensions', type: 'DockerExtension', typeHandlerVersion: '1.2' }],
});
const net = (type: string, name: string) => `${rg}/providers/Microsoft.Network/${type}/${name}`;

// Where the spec itself and the live service disagree, the service wins; each exception says why.
const KNOWN_SPEC_GAPS: { operationId: string; path: string | RegExp; why: string }[] = [
  { operationId: 'Subscriptions_List', path: 'nextLink', why: 'marked required, but ARM omits nextLink on the last page' },
  { operationId: 'Tenants_List', path: 'nextLink', why: 'marked required, but ARM omits nextLink on the last page' },
  ...['VirtualMachines_List', 'VirtualMachines_ListAll'].map((operationId) => ({
    operationId,
    path: /^value\[\d+\]\.resources\[\d+\]\.location$/,
    why: "a listed VM's extensions carry their id alone (azure-sdk-for-net#13378), though the extension model requires a location",
  })),
];

function check(operationId: string, status: string, url: string, method = 'GET', body?: unknown): void {
  const res = client.send(method, url, body);
  assert.equal(String(res.status), status, `${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const schema = core.specs.schemaOf(operationId, status);
  assert.ok(schema, `${operationId} has a ${status} response schema`);
  const issues = validateAgainstSchema(core.specs, schema.file, schema.node, res.body, 'response').filter(
    (i: SchemaIssue) =>
      !KNOWN_SPEC_GAPS.some((g) => g.operationId === operationId && (typeof g.path === 'string' ? g.path === i.path : g.path.test(i.path))),
  );
  assert.deepEqual(
    issues.map((i) => `${i.path}: ${i.message}`),
    [],
    `${operationId} response does not match the spec`,
  );
}

const cv = '?api-version=2026-03-01';
const nv = '?api-version=2025-05-01';

const cases: [string, string, string][] = [
  ['VirtualMachines_Get', '200', `${vm1}${cv}`],
  ['VirtualMachines_Get', '200', `${vm1}${cv}&$expand=instanceView`],
  ['VirtualMachines_InstanceView', '200', `${vm1}/instanceView${cv}`],
  ['VirtualMachines_Get', '200', `${legacy}${cv}&$expand=instanceView`],
  ['VirtualMachines_InstanceView', '200', `${legacy}/instanceView${cv}`],
  ['VirtualMachines_List', '200', `${rg}/providers/Microsoft.Compute/virtualMachines${cv}`],
  ['VirtualMachines_ListAll', '200', `/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines${cv}`],
  ['VirtualMachines_ListAll', '200', `/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines${cv}&statusOnly=true`],
  ['NetworkInterfaces_Get', '200', `${net('networkInterfaces', 'dockerhost1-nic')}${nv}`],
  ['NetworkInterfaces_ListAll', '200', `/subscriptions/${sub}/providers/Microsoft.Network/networkInterfaces${nv}`],
  ['PublicIPAddresses_Get', '200', `${net('publicIPAddresses', 'dockerhost1-ip')}${nv}`],
  ['PublicIPAddresses_List', '200', `${rg}/providers/Microsoft.Network/publicIPAddresses${nv}`],
  ['NetworkSecurityGroups_Get', '200', `${net('networkSecurityGroups', 'dockerhost1-nsg')}${nv}`],
  ['SecurityRules_Get', '200', `${net('networkSecurityGroups', 'dockerhost1-nsg')}/securityRules/SSH${nv}`],
  ['VirtualNetworks_Get', '200', `${net('virtualNetworks', 'dockerhost1-vnet')}${nv}`],
  ['Subnets_Get', '200', `${net('virtualNetworks', 'dockerhost1-vnet')}/subnets/default${nv}`],
  ['VirtualNetworks_ListAll', '200', `/subscriptions/${sub}/providers/Microsoft.Network/virtualNetworks${nv}`],
  ['ResourceGroups_Get', '200', `${rg}?api-version=2025-04-01`],
  ['ResourceGroups_List', '200', `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`],
  ['Resources_ListByResourceGroup', '200', `${rg}/resources?api-version=2025-04-01`],
  ['Resources_List', '200', `/subscriptions/${sub}/resources?api-version=2025-04-01`],
  ['Subscriptions_Get', '200', `/subscriptions/${sub}?api-version=2022-12-01`],
  ['Subscriptions_List', '200', `/subscriptions?api-version=2022-12-01`],
  ['Subscriptions_ListLocations', '200', `/subscriptions/${sub}/locations?api-version=2022-12-01`],
  ['Tenants_List', '200', `/tenants?api-version=2022-12-01`],
  ['Tags_GetAtScope', '200', `${vm1}/providers/Microsoft.Resources/tags/default?api-version=2025-04-01`],
  ['VirtualMachines_Get', 'default', `${rg}/providers/Microsoft.Compute/virtualMachines/missing${cv}`],
];

for (const [operationId, status, url] of cases) {
  test(`${operationId} ${url.includes('?') ? url.slice(url.indexOf('?')) : ''} matches the spec's ${status} response`, () => {
    if (status === 'default') {
      const res = client.send('GET', url);
      assert.ok(res.status >= 400);
      const schema = core.specs.schemaOf(operationId, 'default')!;
      assert.deepEqual(validateAgainstSchema(core.specs, schema.file, schema.node, res.body, 'response'), []);
      return;
    }
    check(operationId, status, url);
  });
}

test('PUT responses (201, then 200) match the spec for every type the product creates', () => {
  const location = 'westeurope';
  check('ResourceGroups_CreateOrUpdate', '201', `/subscriptions/${sub}/resourceGroups/rg-put?api-version=2025-04-01`, 'PUT', { location });
  const base = `/subscriptions/${sub}/resourceGroups/rg-put/providers/Microsoft.Network`;
  const vnet = {
    location,
    properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [{ name: 'default', properties: { addressPrefix: '10.1.0.0/24' } }] },
  };
  check('VirtualNetworks_CreateOrUpdate', '201', `${base}/virtualNetworks/v${nv}`, 'PUT', vnet);
  check('VirtualNetworks_CreateOrUpdate', '200', `${base}/virtualNetworks/v${nv}`, 'PUT', vnet);
  check('NetworkSecurityGroups_CreateOrUpdate', '201', `${base}/networkSecurityGroups/n${nv}`, 'PUT', {
    location,
    properties: {
      securityRules: [
        { name: 'ssh', properties: { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 100, destinationPortRange: '22' } },
      ],
    },
  });
  check('PublicIPAddresses_CreateOrUpdate', '201', `${base}/publicIPAddresses/p${nv}`, 'PUT', {
    location,
    sku: { name: 'Standard' },
    properties: { publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: 'emulator-put-test' } },
  });
  check('NetworkInterfaces_CreateOrUpdate', '201', `${base}/networkInterfaces/nic${nv}`, 'PUT', {
    location,
    properties: {
      networkSecurityGroup: { id: `${base}/networkSecurityGroups/n` },
      ipConfigurations: [
        {
          name: 'ipconfig1',
          properties: { subnet: { id: `${base}/virtualNetworks/v/subnets/default` }, publicIPAddress: { id: `${base}/publicIPAddresses/p` } },
        },
      ],
    },
  });
  check(
    'VirtualMachines_CreateOrUpdate',
    '201',
    `/subscriptions/${sub}/resourceGroups/rg-put/providers/Microsoft.Compute/virtualMachines/vm${cv}`,
    'PUT',
    {
      location,
      properties: {
        hardwareProfile: { vmSize: 'Standard_B2s' },
        storageProfile: {
          imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
          osDisk: { createOption: 'FromImage' },
        },
        osProfile: { adminUsername: 'azureuser', adminPassword: 'Sup3r-secret!' },
        networkProfile: { networkInterfaces: [{ id: `${base}/networkInterfaces/nic` }] },
      },
    },
  );
});

test('VM extension responses (PUT 201 then 200, GET with instance view, list, missing) match the spec', () => {
  const ext = `${vm1}/extensions/docker${cv}`;
  const body = {
    location: 'westeurope',
    properties: {
      publisher: 'Microsoft.Azure.Extensions',
      type: 'CustomScript',
      typeHandlerVersion: '2.1',
      protectedSettings: { commandToExecute: 'true' },
    },
  };
  check('VirtualMachineExtensions_CreateOrUpdate', '201', ext, 'PUT', body);
  core.operations.completeSince(0);
  check('VirtualMachineExtensions_CreateOrUpdate', '200', ext, 'PUT', body);
  core.operations.completeSince(0);
  check('VirtualMachineExtensions_Get', '200', `${ext}&$expand=instanceView`);
  check('VirtualMachineExtensions_List', '200', `${vm1}/extensions${cv}&$expand=instanceView`);
  const missing = client.send('GET', `${vm1}/extensions/missing${cv}`);
  assert.equal(missing.status, 404);
  const schema = core.specs.schemaOf('VirtualMachineExtensions_Get', 'default')!;
  assert.deepEqual(validateAgainstSchema(core.specs, schema.file, schema.node, missing.body, 'response'), []);
});

test('the schema check catches what it should (so the passes above mean something)', () => {
  const schema = core.specs.schemaOf('VirtualMachines_Get', '200')!;
  const good = client.send('GET', `${vm1}${cv}&$expand=instanceView`).body as Record<string, any>;
  const broken = (mutate: (vm: Record<string, any>) => void) => {
    const copy = structuredClone(good);
    mutate(copy);
    return validateAgainstSchema(core.specs, schema.file, schema.node, copy, 'response').map((i) => `${i.kind} ${i.path}`);
  };
  assert.deepEqual(
    broken(() => undefined),
    [],
  );
  assert.deepEqual(
    broken((vm) => delete vm.location),
    ['required location'],
  );
  assert.deepEqual(
    broken((vm) => (vm.properties.instanceView.statuses[0].level = 'Loud')),
    ['enum properties.instanceView.statuses[0].level'],
  );
  assert.deepEqual(
    broken((vm) => (vm.properties.timeCreated = 'yesterday')),
    ['format properties.timeCreated'],
  );
  assert.deepEqual(
    broken((vm) => (vm.properties.storageProfile.osDisk.diskSizeGB = '30')),
    ['type properties.storageProfile.osDisk.diskSizeGB'],
  );
  assert.deepEqual(
    broken((vm) => (vm.tags = { a: 1 })),
    ['type tags.a'],
  );
  // The exceptions are still needed: the spec still marks nextLink required.
  const list = core.specs.schemaOf('Subscriptions_List', '200')!;
  assert.deepEqual(
    validateAgainstSchema(core.specs, list.file, list.node, { value: [] }, 'response').map((i) => i.path),
    ['nextLink'],
  );
});

test('the pruned specs the emulator ships are what pruning the reference folder gives', () => {
  assert.ok(
    fs.existsSync(path.join(DEFAULT_REFERENCE_DIR, 'specification')),
    `the reference specs are not at ${DEFAULT_REFERENCE_DIR}: check out the shared folder beside the repository, or set ARM_SPECS_REFERENCE`,
  );
  const vendored = vendoredSpecsDir();
  for (const [file, doc] of pruneSpecs(DEFAULT_REFERENCE_DIR)) {
    const shipped = path.join(vendored, file);
    assert.ok(fs.existsSync(shipped), `${file} is missing: run node out/test/support/armEmulator/specPruning.js`);
    assert.equal(fs.readFileSync(shipped, 'utf8'), serialize(doc), `${file} is stale: run node out/test/support/armEmulator/specPruning.js`);
  }
});
