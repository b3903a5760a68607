/**
 * The ARM emulator driven by the real Azure SDKs over HTTPS, the way the product will use them:
 * service-principal sign-in, subscriptions across tenants, paging, long-running operations through
 * the SDK pollers, provisioning, request recording, trusting the CA and a clean stop.
 * Faults and refusals: armEmulatorFaults.test.ts.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { RestError } from '@azure/core-rest-pipeline';
import { startArmEmulator, type ArmEmulator } from '../support/armEmulator';
import { FAST, armRequestsOf, powerStateOf, restError, startEmulatorWithSdk } from '../support/armEmulator/sdkTestHarness';
import { emulatorClients, emulatorCredential, type EmulatorClients } from '../support/armEmulator/sdkClients';

let emu: ArmEmulator;
let sub: string;
let az: EmulatorClients;

before(async () => {
  ({ emu, sub, az } = await startEmulatorWithSdk());
});

after(async () => {
  await emu?.stop();
});

test('a service principal signs in with its secret; a wrong secret gets AADSTS7000215', async () => {
  const token = await emulatorCredential(emu).getToken('https://management.azure.com/.default');
  assert.ok(token.token.split('.').length === 3);
  assert.ok(token.expiresOnTimestamp > Date.now() + 50 * 60 * 1000);
  await assert.rejects(
    emulatorCredential(emu, { clientSecret: 'not-the-secret' }).getToken('https://management.azure.com/.default'),
    /AADSTS7000215: Invalid client secret/,
  );
  const tokenRequests = emu.requests.filter((r) => r.kind === 'identity' && r.method === 'POST');
  assert.ok(tokenRequests.some((r) => r.status === 401));
  assert.ok(tokenRequests.every((r) => (r.body as Record<string, string>).client_secret === '***'));
});

test('subscriptions are listed per tenant; the principal sees both tenants', async () => {
  const fabrikam = emu.addTenant({ displayName: 'Fabrikam' });
  const fabrikamSub = emu.addSubscription({ displayName: 'Fabrikam Production', tenantId: fabrikam });
  const tenants = [];
  for await (const t of az.subscriptions.tenants.list()) {
    tenants.push(t.tenantId);
  }
  assert.deepEqual(tenants.sort(), [emu.tenantId, fabrikam].sort());
  const seen: Record<string, string[]> = {};
  for (const tenantId of [emu.tenantId, fabrikam]) {
    const client = emulatorClients(emu, sub, { tenantId }).subscriptions;
    for await (const s of client.subscriptions.list()) {
      (seen[tenantId] ??= []).push(`${s.displayName} ${s.tenantId}`);
    }
  }
  assert.deepEqual(seen[fabrikam], [`Fabrikam Production ${fabrikam}`]);
  assert.ok(seen[emu.tenantId].every((s) => s.endsWith(emu.tenantId)));
  // A token from the home tenant does not open the other tenant's subscription.
  const wrong = await restError(az.subscriptions.subscriptions.get(fabrikamSub));
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.code, 'InvalidAuthenticationTokenTenant');
});

test('listAll with statusOnly pages through 250 VMs, following nextLink', async () => {
  const bulk = emu.addSubscription({ displayName: 'Bulk' });
  for (let i = 0; i < 250; i++) {
    emu.addVm({
      subscriptionId: bulk,
      resourceGroup: `rg-${i % 5}`,
      name: `vm${i}`,
      powerState: i % 3 === 0 ? 'deallocated' : 'running',
      publicIp: false,
    });
  }
  emu.resetRequests();
  const compute = emulatorClients(emu, bulk).compute;
  const states = new Map<string, string>();
  for await (const vm of compute.virtualMachines.listAll({ statusOnly: 'true' })) {
    states.set(vm.name!, vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code ?? '');
  }
  assert.equal(states.size, 250);
  assert.equal(states.get('vm0'), 'PowerState/deallocated');
  assert.equal(states.get('vm1'), 'PowerState/running');
  const pages = armRequestsOf(emu).filter((r) => r.path.endsWith('/providers/Microsoft.Compute/virtualMachines'));
  assert.deepEqual(
    pages.map((r) => [r.query.statusOnly, r.query.$skiptoken, r.status]),
    [
      ['true', undefined, 200],
      ['true', '100', 200],
      ['true', '200', 200],
    ],
  );
});

test('SDK pollers start, deallocate and delete a VM; power state passes through its transitions', async () => {
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-power', name: 'host', publicIp: true, dnsLabel: 'power-host' });
  await az.compute.virtualMachines.beginDeallocateAndWait('rg-power', 'host', FAST);
  assert.equal(await powerStateOf(az, 'rg-power', 'host'), 'PowerState/deallocated');

  emu.faults.slowOperations(3);
  const starting = az.compute.virtualMachines.start('rg-power', 'host', FAST);
  await starting.submitted();
  assert.equal(await powerStateOf(az, 'rg-power', 'host'), 'PowerState/starting');
  await starting;
  assert.equal(await powerStateOf(az, 'rg-power', 'host'), 'PowerState/running');
  emu.faults.slowOperations(1);
  const polls = armRequestsOf(emu).filter((r) => r.path.includes('/locations/westeurope/operations/'));
  assert.ok(polls.length >= 3, `the poller polled until the operation ended (${polls.length} polls)`);

  await az.compute.virtualMachines.beginPowerOffAndWait('rg-power', 'host', FAST);
  assert.equal(await powerStateOf(az, 'rg-power', 'host'), 'PowerState/stopped');
  await az.compute.virtualMachines.beginDeleteAndWait('rg-power', 'host', FAST);
  await assert.rejects(az.compute.virtualMachines.get('rg-power', 'host'), (e: RestError) => e.statusCode === 404 && e.code === 'ResourceNotFound');
  // deleteOption 'Delete' (as seeded) took the NIC and OS disk along; the public IP, NSG and VNet stay.
  assert.deepEqual(
    emu
      .inventory()
      .filter((id) => id.includes('/resourceGroups/rg-power/'))
      .map((id) => id.split('/').slice(-2).join('/')),
    ['networkSecurityGroups/host-nsg', 'publicIPAddresses/host-ip', 'virtualNetworks/host-vnet'],
  );
});

test('provisioning through the SDKs: RG, VNet, NSG, public IP, NIC, VM; deleting the RG removes all of it', async () => {
  const rg = 'rg-provision';
  const location = 'westeurope';
  await az.resources.resourceGroups.createOrUpdate(rg, { location, tags: { 'created-by': 'test' } });
  const vnet = await az.network.virtualNetworks.beginCreateOrUpdateAndWait(
    rg,
    'vnet',
    { location, addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }] },
    FAST,
  );
  assert.equal(vnet.provisioningState, 'Succeeded');
  const nsg = await az.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    rg,
    'nsg',
    {
      location,
      securityRules: [
        {
          name: 'docker-tls',
          protocol: 'Tcp',
          access: 'Allow',
          direction: 'Inbound',
          priority: 1000,
          sourceAddressPrefix: '*',
          sourcePortRange: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: '2376',
        },
      ],
    },
    FAST,
  );
  assert.equal(nsg.defaultSecurityRules?.length, 6);
  const pip = await az.network.publicIPAddresses.beginCreateOrUpdateAndWait(
    rg,
    'pip',
    { location, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: 'docker-provision-test' } },
    FAST,
  );
  assert.equal(pip.dnsSettings?.fqdn, 'docker-provision-test.westeurope.cloudapp.azure.com');
  assert.match(pip.ipAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  const nic = await az.network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    'nic',
    {
      location,
      networkSecurityGroup: { id: nsg.id },
      ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0].id }, publicIPAddress: { id: pip.id } }],
    },
    FAST,
  );
  assert.equal(nic.ipConfigurations?.[0].privateIPAddress, '10.0.0.4');
  const customData = Buffer.from('#cloud-config\npackages: [docker.io]\n').toString('base64');
  const vm = await az.compute.virtualMachines.beginCreateOrUpdateAndWait(
    rg,
    'docker1',
    {
      location,
      hardwareProfile: { vmSize: 'Standard_B2s' },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        osDisk: { createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'Premium_LRS' } },
      },
      osProfile: {
        computerName: 'docker1',
        adminUsername: 'azureuser',
        customData,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk9 test' }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: 'Delete' }] },
    },
    FAST,
  );
  assert.equal(vm.provisioningState, 'Succeeded');
  assert.equal(vm.osProfile?.customData, undefined, 'customData is write-only');
  const put = armRequestsOf(emu).find((r) => r.method === 'PUT' && r.path.endsWith('/virtualMachines/docker1'))!;
  assert.equal(put.status, 201);
  assert.equal((put.body as { properties: { osProfile: { customData: string } } }).properties.osProfile.customData, customData);
  const attached = await az.network.networkInterfaces.get(rg, 'nic');
  assert.equal(attached.virtualMachine?.id?.toLowerCase(), vm.id?.toLowerCase());
  // A public IP in use cannot be deleted, with Network's own error.
  const inUse = await restError(az.network.publicIPAddresses.beginDeleteAndWait(rg, 'pip', FAST));
  assert.equal(inUse.code, 'PublicIPAddressCannotBeDeleted');

  await az.resources.resourceGroups.beginDeleteAndWait(rg, FAST);
  assert.deepEqual(
    emu.inventory().filter((id) => id.toLowerCase().includes(`/resourcegroups/${rg}`)),
    [],
  );
  assert.equal(await az.resources.resourceGroups.checkExistence(rg).then((r) => r.body), false);
});

test('every request is recorded with its api-version, body and status', async () => {
  emu.resetRequests();
  await az.resources.resourceGroups.createOrUpdate('rg-recorded', { location: 'northeurope' });
  await az.resources.resourceGroups.get('rg-recorded');
  await assert.rejects(az.resources.resourceGroups.get('rg-absent'));
  assert.deepEqual(
    armRequestsOf(emu).map((r) => [r.method, r.path.split('/').pop(), r.apiVersion, r.status]),
    [
      ['PUT', 'rg-recorded', '2025-04-01', 201],
      ['GET', 'rg-recorded', '2025-04-01', 200],
      ['GET', 'rg-absent', '2025-04-01', 404],
    ],
  );
  assert.deepEqual(armRequestsOf(emu)[0].body, { location: 'northeurope' });
});

test('a process started with NODE_EXTRA_CA_CERTS trusts the emulator with no code of its own; without it sign-in fails', async () => {
  const child = `
    const { ClientSecretCredential } = require('@azure/identity');
    const { SubscriptionClient } = require('@azure/arm-resources-subscriptions');
    const e = process.env;
    const credential = new ClientSecretCredential(e.TENANT, e.CLIENT, e.SECRET, { authorityHost: e.URL, disableInstanceDiscovery: true });
    (async () => {
      const names = [];
      for await (const s of new SubscriptionClient(credential, { endpoint: e.URL }).subscriptions.list()) names.push(s.displayName);
      console.log(JSON.stringify(names));
    })().catch((err) => { console.log('FAILED ' + (err.errorCode || err.code || err.message)); });
  `;
  const run = (extra: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, URL: emu.url, TENANT: emu.tenantId, CLIENT: emu.clientId, SECRET: emu.clientSecret };
      delete env.NODE_EXTRA_CA_CERTS;
      Object.assign(env, extra);
      execFile(process.execPath, ['-e', child], { cwd: process.cwd(), env, timeout: 30_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      );
    });
  const trusted = JSON.parse(await run({ NODE_EXTRA_CA_CERTS: emu.caCertPath })) as string[];
  assert.ok(trusted.includes(emu.subscriptions[0].displayName));
  // What an untrusted CA looks like from the SDK: MSAL cannot fetch the authority's metadata.
  assert.match(await run({}), /^FAILED endpoints_resolution_error/);
});

test('stop() closes the port and removes the files it made', async () => {
  const other = await startArmEmulator();
  const port = Number(new URL(other.url).port);
  const dir = other.caCertPath.replace(/\/[^/]+$/, '');
  assert.ok(fs.existsSync(other.caCertPath));
  await other.stop();
  assert.equal(fs.existsSync(dir), false);
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  assert.ok(refused, 'nothing listens on the port any more');
});
