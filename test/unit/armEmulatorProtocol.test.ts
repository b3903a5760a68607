/**
 * The ARM emulator's protocol details, in process (no sockets): errors with ARM's codes for the
 * mistakes a client can make, the async-operation state machine, resource links and in-use
 * refusals, and the VM state rules provisioning and power actions depend on.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { InProcessClient } from '../support/armEmulator/inProcessClient';
import { seedVm } from '../support/armEmulator/seedVm';
import type { EmulatorResponse } from '../support/armEmulator/protocol';

const CV = 'api-version=2026-03-01';
const NV = 'api-version=2025-05-01';
const RV = 'api-version=2025-04-01';

function setup() {
  const client = new InProcessClient();
  const sub = client.core.state.subscriptions.values().next().value!.subscriptionId;
  const rg = `/subscriptions/${sub}/resourceGroups/rg`;
  return { client, core: client.core, sub, rg, vm: (name: string) => `${rg}/providers/Microsoft.Compute/virtualMachines/${name}` };
}

function errorOf(res: EmulatorResponse): { status: number; code: string; message: string; target?: string } {
  const e = (res.body as { error?: { code: string; message: string; target?: string } }).error;
  assert.ok(e, `expected an error, got ${res.status} ${JSON.stringify(res.body)}`);
  return { status: res.status, ...e };
}

function powerOf(client: InProcessClient, vmId: string): string {
  const view = client.send('GET', `${vmId}/instanceView?${CV}`).body as { statuses: { code: string }[] };
  return view.statuses.find((s) => s.code.startsWith('PowerState/'))!.code;
}

function newVmBody(nicId: string, osProfile: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    location: 'westeurope',
    properties: {
      hardwareProfile: { vmSize: 'Standard_B2s' },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        osDisk: { createOption: 'FromImage', ...extra },
      },
      osProfile: { adminUsername: 'azureuser', ...osProfile },
      networkProfile: { networkInterfaces: [{ id: nicId }] },
    },
  };
}

test('authentication: missing header, unknown token, token for the wrong resource', () => {
  const { client, sub } = setup();
  const anonymous = client.core.dispatch({
    method: 'GET',
    path: `/subscriptions/${sub}`,
    query: { 'api-version': '2022-12-01' },
    headers: {},
    rawBody: '',
  });
  assert.equal(errorOf(anonymous).code, 'AuthenticationFailed');
  assert.match(anonymous.headers['WWW-Authenticate'], /^Bearer authorization_uri="https:\/\/127\.0\.0\.1:1\/[0-9a-f-]+", error="invalid_token"/);
  assert.match(anonymous.headers['x-ms-request-id'], /^[0-9a-f-]{36}$/);
  assert.equal(
    errorOf(client.send('GET', `/subscriptions/${sub}?api-version=2022-12-01`, undefined, { authorization: 'Bearer nope' })).code,
    'InvalidAuthenticationToken',
  );
  const graph = client.signIn(undefined, 'https://graph.microsoft.com/.default');
  assert.equal(graph.status, 400);
  assert.equal((graph.body as { error: string }).error, 'invalid_resource');
  assert.match((graph.body as { error_description: string }).error_description, /^AADSTS500011/);
  const unknownTenant = client.signIn('00000000-0000-0000-0000-000000000000');
  assert.equal(unknownTenant.status, 400);
  assert.match((unknownTenant.body as { error_description: string }).error_description, /^AADSTS90002/);
});

test('routing errors: unknown subscription, namespace, type; api-version per provider', () => {
  const { client, sub, rg } = setup();
  client.send('PUT', `${rg}?${RV}`, { location: 'westeurope' });
  assert.equal(errorOf(client.send('GET', `/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups?${RV}`)).code, 'SubscriptionNotFound');
  assert.equal(errorOf(client.send('GET', `${rg}/providers/Microsoft.Nope/things?${RV}`)).code, 'InvalidResourceNamespace');
  assert.equal(errorOf(client.send('GET', `${rg}/providers/Microsoft.Compute/galleries?${CV}`)).code, 'InvalidResourceType');
  const wrong = errorOf(client.send('GET', `${rg}/providers/Microsoft.Network/virtualNetworks?${CV}`));
  assert.equal(wrong.code, 'InvalidApiVersionParameter');
  assert.match(wrong.message, /'2025-01-01,2025-03-01,2025-05-01'/);
  assert.equal(client.send('GET', `${rg}/providers/Microsoft.Compute/disks?api-version=2025-01-02`).status, 200);
  assert.equal(
    errorOf(client.send('GET', `${rg.replace('/rg', '/absent')}/providers/Microsoft.Compute/virtualMachines?${CV}`)).code,
    'ResourceGroupNotFound',
  );
  assert.equal(errorOf(client.send('PUT', `${rg}?${RV}`, { location: 'Mars Central' })).code, 'LocationNotAvailableForResourceGroup');
  assert.equal(errorOf(client.send('PUT', `${rg}?${RV}`, { location: 'eastus' })).code, 'InvalidResourceGroupLocation');
  // Display names are accepted and stored as region names.
  const created = client.send('PUT', `/subscriptions/${sub}/resourceGroups/rg2?${RV}`, { location: 'North Europe' });
  assert.equal((created.body as { location: string }).location, 'northeurope');
  assert.equal(
    errorOf(client.send('PUT', `/subscriptions/${sub}/resourceGroups/rg3?${RV}`, '{not json' as unknown as object)).code,
    'InvalidRequestContent',
  );
});

test('request validation names the field: required, enum, type', () => {
  const { client, rg } = setup();
  client.send('PUT', `${rg}?${RV}`, { location: 'westeurope' });
  const nsg = `${rg}/providers/Microsoft.Network/networkSecurityGroups/n?${NV}`;
  const missing = errorOf(
    client.send('PUT', nsg, {
      location: 'westeurope',
      properties: { securityRules: [{ name: 'r', properties: { protocol: 'Tcp', access: 'Allow', priority: 100 } }] },
    }),
  );
  assert.deepEqual([missing.status, missing.code, missing.target], [400, 'InvalidParameter', 'properties.securityRules[0].properties.direction']);
  const badEnum = errorOf(
    client.send('PUT', nsg, {
      location: 'westeurope',
      properties: { securityRules: [{ name: 'r', properties: { protocol: 'Telnet', access: 'Allow', priority: 100, direction: 'Inbound' } }] },
    }),
  );
  assert.deepEqual([badEnum.code, badEnum.target], ['InvalidRequestContent', 'properties.securityRules[0].properties.protocol']);
  // Enum values compare case-insensitively, as the services do.
  const lower = client.send('PUT', nsg, {
    location: 'westeurope',
    properties: { securityRules: [{ name: 'r', properties: { protocol: 'tcp', access: 'allow', priority: 100, direction: 'inbound' } }] },
  });
  assert.equal(lower.status, 201);
  const badType = errorOf(
    client.send('PUT', `${rg}/providers/Microsoft.Network/publicIPAddresses/p?${NV}`, {
      location: 'westeurope',
      properties: { idleTimeoutInMinutes: 'four' },
    }),
  );
  assert.deepEqual([badType.code, badType.target], ['InvalidRequestContent', 'properties.idleTimeoutInMinutes']);
  assert.equal(
    errorOf(client.send('PUT', `${rg}/providers/Microsoft.Network/publicIPAddresses/p?${NV}`, { properties: {} })).code,
    'LocationRequired',
  );
});

test('VM creation checks what Compute checks', () => {
  const { client, core, sub, vm } = setup();
  seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'seed' });
  const nic = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/seed-nic`;
  client.send('PUT', `${nic.replace('seed-nic', 'free-nic')}?${NV}`, {
    location: 'westeurope',
    properties: {
      ipConfigurations: [
        {
          name: 'ipconfig1',
          properties: { subnet: { id: `${nic.replace('networkInterfaces/seed-nic', 'virtualNetworks/seed-vnet')}/subnets/default` } },
        },
      ],
    },
  });
  const free = nic.replace('seed-nic', 'free-nic');
  const put = (body: unknown) => client.send('PUT', `${vm('new')}?${CV}`, body);
  const cases: [unknown, string, string | undefined][] = [
    [newVmBody(free, { adminUsername: 'admin', adminPassword: 'x' }), 'InvalidParameter', 'adminUsername'],
    [newVmBody(free, { adminPassword: 'Passw0rd!', customData: 'not base64!' }), 'InvalidParameter', 'customData'],
    [newVmBody(free, {}), 'InvalidParameter', 'adminPassword'],
    [newVmBody(free, { linuxConfiguration: { disablePasswordAuthentication: true } }), 'InvalidParameter', 'linuxConfiguration'],
    [
      newVmBody(free, {
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: '/root/.ssh/authorized_keys', keyData: 'ssh-ed25519 AAAA x' }] },
        },
      }),
      'InvalidParameter',
      'linuxConfiguration.ssh.publicKeys.path',
    ],
    [newVmBody(free, { adminPassword: 'Passw0rd!' }, { caching: 'Fast' }), 'InvalidRequestContent', 'properties.storageProfile.osDisk.caching'],
    [newVmBody(nic, { adminPassword: 'Passw0rd!' }), 'NicInUse', undefined],
  ];
  for (const [body, code, target] of cases) {
    const e = errorOf(put(body));
    assert.deepEqual([e.code, e.target], [code, target], JSON.stringify(e));
  }
  const customData = Buffer.from('#cloud-config\n').toString('base64');
  const ok = put(newVmBody(free, { adminPassword: 'Passw0rd!', customData }));
  assert.equal(ok.status, 201);
  assert.equal((ok.body as { properties: { provisioningState: string } }).properties.provisioningState, 'Creating');
  assert.ok(ok.headers['Azure-AsyncOperation'] && !ok.headers.Location);
  assert.equal(ok.headers['Retry-After'], '0');
  client.poll(ok);
  // customData cannot change after creation.
  const changed = errorOf(put(newVmBody(free, { adminPassword: 'Passw0rd!', customData: Buffer.from('#cloud-config\nx: 1\n').toString('base64') })));
  assert.deepEqual([changed.status, changed.code, changed.target], [409, 'PropertyChangeNotAllowed', 'customData']);
});

test('operations: status URL InProgress until the Nth poll, Location 202 then 200; failures and preemption', () => {
  const { client, core, sub, vm } = setup();
  const id = seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v', powerState: 'deallocated' });
  core.operations.pollsNeeded = 2;
  const start = client.send('POST', `${vm('v')}/start?${CV}`);
  assert.equal(start.status, 202);
  assert.equal(powerOf(client, id), 'PowerState/starting');
  const location = start.headers.Location.slice('https://127.0.0.1:1'.length);
  assert.match(start.headers.Location, /\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/[0-9a-f-]+\?p=.*&monitor=true/);
  assert.equal(client.send('GET', location).status, 202);
  const done = client.send('GET', start.headers['Azure-AsyncOperation'].slice('https://127.0.0.1:1'.length));
  assert.equal((done.body as { status: string }).status, 'Succeeded');
  assert.equal(client.send('GET', location).status, 200);
  assert.equal(powerOf(client, id), 'PowerState/running');

  core.operations.pollsNeeded = 1;
  const stop = client.send('POST', `${vm('v')}/powerOff?${CV}`);
  assert.equal(powerOf(client, id), 'PowerState/stopping');
  const deallocate = client.send('POST', `${vm('v')}/deallocate?${CV}`);
  const preempted = client.poll(stop).body as { status: string; error: { code: string } };
  assert.deepEqual([preempted.status, preempted.error.code], ['Canceled', 'OperationPreempted']);
  assert.equal(powerOf(client, id), 'PowerState/deallocating');
  client.poll(deallocate);
  assert.equal(powerOf(client, id), 'PowerState/deallocated');
  assert.equal(errorOf(client.send('POST', `${vm('v')}/restart?${CV}`)).code, 'OperationNotAllowed');

  core.operations.failNextOperation({ code: 'AllocationFailed', message: 'no capacity' });
  const failing = client.send('POST', `${vm('v')}/start?${CV}`);
  const failed = client.send('GET', failing.headers.Location.slice('https://127.0.0.1:1'.length));
  assert.deepEqual([failed.status, errorOf(failed).code], [400, 'AllocationFailed']);
  assert.equal(powerOf(client, id), 'PowerState/deallocated');
});

test('restart passes through starting; disks show Reserved while their VM is deallocated', () => {
  const { client, core, sub, vm } = setup();
  const id = seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v' });
  const restart = client.send('POST', `${vm('v')}/restart?${CV}`);
  assert.equal(powerOf(client, id), 'PowerState/starting');
  client.poll(restart);
  assert.equal(powerOf(client, id), 'PowerState/running');
  const disks = () =>
    (
      client.send('GET', `/subscriptions/${sub}/providers/Microsoft.Compute/disks?api-version=2025-01-02`).body as {
        value: { properties: { diskState: string } }[];
      }
    ).value;
  assert.equal(disks()[0].properties.diskState, 'Attached');
  client.poll(client.send('POST', `${vm('v')}/deallocate?${CV}`));
  assert.equal(disks()[0].properties.diskState, 'Reserved');
  const diskId = (client.send('GET', `${vm('v')}?${CV}`).body as { properties: { storageProfile: { osDisk: { managedDisk: { id: string } } } } })
    .properties.storageProfile.osDisk.managedDisk.id;
  // Compute hands out ids with the resource group in upper case.
  assert.match(diskId, /\/resourceGroups\/RG\/providers\/Microsoft\.Compute\/disks\/v_OsDisk_1_[0-9a-f]{32}$/);
  assert.equal(errorOf(client.send('DELETE', `${diskId}?api-version=2025-01-02`)).code, 'OperationNotAllowed');
});

test('network links: derived back-references and in-use refusals', () => {
  const { client, core, sub, rg } = setup();
  seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v', dnsLabel: 'taken-label' });
  const n = (type: string, name: string) => `${rg}/providers/Microsoft.Network/${type}/${name}`;
  const get = (id: string) => client.send('GET', `${id}?${NV}`).body as { properties: Record<string, any> };
  assert.equal(
    get(n('virtualNetworks', 'v-vnet')).properties.subnets[0].properties.ipConfigurations[0].id,
    `${n('networkInterfaces', 'v-nic')}/ipConfigurations/ipconfig1`,
  );
  assert.deepEqual(get(n('networkSecurityGroups', 'v-nsg')).properties.networkInterfaces, [{ id: n('networkInterfaces', 'v-nic') }]);
  assert.equal(get(n('publicIPAddresses', 'v-ip')).properties.ipConfiguration.id, `${n('networkInterfaces', 'v-nic')}/ipConfigurations/ipconfig1`);
  assert.match(
    get(n('networkInterfaces', 'v-nic')).properties.virtualMachine.id,
    /\/resourceGroups\/RG\/providers\/Microsoft\.Compute\/virtualMachines\/v$/,
  );
  const refused: [string, string][] = [
    [n('networkInterfaces', 'v-nic'), 'NicInUse'],
    [n('publicIPAddresses', 'v-ip'), 'PublicIPAddressCannotBeDeleted'],
    [n('networkSecurityGroups', 'v-nsg'), 'InUseNetworkSecurityGroupCannotBeDeleted'],
    [n('virtualNetworks', 'v-vnet'), 'InUseSubnetCannotBeDeleted'],
    [`${n('virtualNetworks', 'v-vnet')}/subnets/default`, 'InUseSubnetCannotBeDeleted'],
  ];
  for (const [id, code] of refused) {
    assert.equal(errorOf(client.send('DELETE', `${id}?${NV}`)).code, code, id);
  }
  const pip = (label: string) =>
    client.send('PUT', `${n('publicIPAddresses', `p-${label.length}`)}?${NV}`, {
      location: 'westeurope',
      properties: { dnsSettings: { domainNameLabel: label } },
    });
  assert.equal(errorOf(pip('taken-label')).code, 'DnsRecordInUse');
  assert.equal(errorOf(pip('Bad_Label')).code, 'InvalidDomainNameLabel');
  const ref = errorOf(
    client.send('PUT', `${n('networkInterfaces', 'x')}?${NV}`, {
      location: 'westeurope',
      properties: { ipConfigurations: [{ name: 'c', properties: { subnet: { id: `${n('virtualNetworks', 'nope')}/subnets/default` } } }] },
    }),
  );
  assert.equal(ref.code, 'InvalidResourceReference');
});

test('PUT over what exists: a group in another region is refused, a resource is replaced whole', () => {
  const { client, sub, rg } = setup();
  assert.equal(client.send('PUT', `${rg}?${RV}`, { location: 'westeurope', tags: { owner: 'ops' } }).status, 201);
  const moved = errorOf(client.send('PUT', `${rg}?${RV}`, { location: 'northeurope' }));
  assert.deepEqual(
    [moved.status, moved.code, moved.message],
    [
      409,
      'InvalidResourceGroupLocation',
      "Invalid resource group location 'northeurope'. The Resource group already exists in location 'westeurope'.",
    ],
  );
  assert.equal(client.send('PUT', `${rg}?${RV}`, { location: 'westeurope', tags: { 'dockerOnAzure:createdFor': 'h' } }).status, 200);
  assert.deepEqual((client.send('GET', `/subscriptions/${sub}/resourceGroups/rg?${RV}`).body as { tags: unknown }).tags, {
    'dockerOnAzure:createdFor': 'h',
  });
  seedVm(client.core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v' });
  const nsg = `${rg}/providers/Microsoft.Network/networkSecurityGroups/v-nsg?${NV}`;
  assert.equal(client.send('PATCH', nsg, { tags: { owner: 'ops' } }).status, 200);
  const again = client.send('PUT', nsg, { location: 'westeurope', properties: { securityRules: [] } });
  assert.equal(again.status, 200);
  client.poll(again);
  const now = client.send('GET', nsg).body as { tags?: unknown; properties: { securityRules: unknown[] } };
  assert.deepEqual(now.properties.securityRules, [], 'the SSH and Docker rules are gone');
  assert.equal(now.tags, undefined, 'and so are its tags');
});

test('a dynamic (Basic) public address exists only while its VM is allocated', () => {
  const { client, core, sub, rg, vm } = setup();
  seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v', publicIp: false });
  const n = (type: string, name: string) => `${rg}/providers/Microsoft.Network/${type}/${name}`;
  const address = () =>
    (client.send('GET', `${n('publicIPAddresses', 'dyn')}?${NV}`).body as { properties: { ipAddress?: string } }).properties.ipAddress;
  const pip = client.send('PUT', `${n('publicIPAddresses', 'dyn')}?${NV}`, { location: 'westeurope' });
  assert.deepEqual((pip.body as { sku: object }).sku, { name: 'Basic', tier: 'Regional' });
  assert.equal(address(), undefined);
  client.send('PUT', `${n('networkInterfaces', 'dyn-nic')}?${NV}`, {
    location: 'westeurope',
    properties: {
      ipConfigurations: [
        {
          name: 'c',
          properties: { subnet: { id: `${n('virtualNetworks', 'v-vnet')}/subnets/default` }, publicIPAddress: { id: n('publicIPAddresses', 'dyn') } },
        },
      ],
    },
  });
  client.poll(client.send('PUT', `${vm('dyn')}?${CV}`, newVmBody(n('networkInterfaces', 'dyn-nic'), { adminPassword: 'Passw0rd!' })));
  assert.match(address() ?? '', /^127\.100\.\d+\.\d+$/);
  client.poll(client.send('POST', `${vm('dyn')}/deallocate?${CV}`));
  assert.equal(address(), undefined);
  const nic = client.send('GET', `${n('networkInterfaces', 'dyn-nic')}?${NV}`).body as {
    properties: { ipConfigurations: { properties: { privateIPAddress: string } }[] };
  };
  assert.equal(nic.properties.ipConfigurations[0].properties.privateIPAddress, '10.0.0.5');
});

test('resource group delete: Deleting while it runs, then everything in it is gone', () => {
  const { client, core, sub, rg } = setup();
  seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v' });
  const del = client.send('DELETE', `${rg}?${RV}`);
  assert.equal(del.status, 202);
  assert.match(del.headers.Location, /\/subscriptions\/[0-9a-f-]+\/operationresults\/[0-9a-f-]+\?api-version=2025-04-01$/);
  assert.equal((client.send('GET', `${rg}?${RV}`).body as { properties: { provisioningState: string } }).properties.provisioningState, 'Deleting');
  assert.equal(
    errorOf(client.send('PUT', `${rg}/providers/Microsoft.Network/publicIPAddresses/late?${NV}`, { location: 'westeurope' })).code,
    'ResourceGroupBeingDeleted',
  );
  assert.equal(client.send('GET', del.headers.Location.slice('https://127.0.0.1:1'.length)).status, 200);
  assert.equal(client.send('HEAD', `${rg}?${RV}`).status, 404);
  assert.deepEqual(
    core.state.all().map((r) => r.id),
    [],
  );
});

test('paths and ids are case-insensitive; lists page with an absolute nextLink', () => {
  const { client, core, sub } = setup();
  for (let i = 0; i < 5; i++) {
    seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: `v${i}`, publicIp: false });
  }
  core.pageSize = 2;
  const first = client.send('GET', `/SUBSCRIPTIONS/${sub.toUpperCase()}/RESOURCEGROUPS/RG/providers/microsoft.compute/VIRTUALMACHINES?${CV}`)
    .body as { value: unknown[]; nextLink: string };
  assert.equal(first.value.length, 2);
  assert.match(first.nextLink, /^https:\/\/127\.0\.0\.1:1\/SUBSCRIPTIONS\/.*\?api-version=2026-03-01&%24skiptoken=2$/);
  const names: string[] = [];
  let link: string | undefined = `/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines?${CV}`;
  while (link) {
    const page = client.send('GET', link.replace('https://127.0.0.1:1', '')).body as { value: { name: string }[]; nextLink?: string };
    names.push(...page.value.map((v) => v.name));
    link = page.nextLink;
  }
  assert.deepEqual(names, ['v0', 'v1', 'v2', 'v3', 'v4']);
});

test('tags at a scope: merge, replace and delete', () => {
  const { client, core, sub, vm } = setup();
  seedVm(core, { subscriptionId: sub, resourceGroup: 'rg', name: 'v', tags: { a: '1' } });
  const tags = `${vm('v')}/providers/Microsoft.Resources/tags/default?${RV}`;
  client.send('PATCH', tags, { operation: 'Merge', properties: { tags: { b: '2' } } });
  assert.deepEqual((client.send('GET', `${vm('v')}?${CV}`).body as { tags: object }).tags, { a: '1', b: '2' });
  client.send('PATCH', tags, { operation: 'Delete', properties: { tags: { a: '' } } });
  assert.deepEqual((client.send('GET', tags).body as { properties: { tags: object } }).properties.tags, { b: '2' });
  client.send('PUT', tags, { properties: { tags: { c: '3' } } });
  assert.deepEqual((client.send('GET', tags).body as { properties: { tags: object } }).properties.tags, { c: '3' });
});
