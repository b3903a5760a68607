/**
 * The ARM emulator's faults and refusals as the real Azure SDKs meet them over HTTPS: throttling
 * and 5xx (survived by the SDK's retry policy), failed long-running operations, expired tokens,
 * api-version errors and request validation.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { ArmEmulator } from '../support/armEmulator';
import { FAST, armRequestsOf, powerStateOf, restError, startEmulatorWithSdk } from '../support/armEmulator/sdkTestHarness';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';

let emu: ArmEmulator;
let sub: string;
let az: EmulatorClients;

before(async () => {
  ({ emu, sub, az } = await startEmulatorWithSdk());
});

after(async () => {
  await emu?.stop();
});

test('request bodies are checked against the spec: a missing required field is named', async () => {
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-invalid', name: 'seed', publicIp: false });
  const e = await restError(
    az.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
      'rg-invalid',
      'nsg2',
      { location: 'westeurope', securityRules: [{ name: 'r', protocol: 'Tcp', access: 'Allow', direction: 'Inbound' }] },
      FAST,
    ),
  );
  assert.equal(e.statusCode, 400);
  assert.equal(e.code, 'InvalidParameter');
  assert.match(e.message, /securityRules\[0\]\.properties\.priority/);
});

test('429 is retried by the SDK after Retry-After; a call that keeps being throttled gives up after 3 retries', async () => {
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-retry', name: 'r1', publicIp: false });
  await az.compute.virtualMachines.get('rg-retry', 'r1');
  emu.resetRequests();
  emu.faults.throttle(1, 1);
  const vm = await az.compute.virtualMachines.get('rg-retry', 'r1');
  assert.equal(vm.name, 'r1');
  const [first, retry, ...rest] = armRequestsOf(emu);
  assert.deepEqual([first.status, retry.status, rest.length], [429, 200, 0]);
  assert.equal(retry.clientRequestId, first.clientRequestId, 'the retry is the same SDK call');
  assert.ok(retry.at - first.at >= 900, `waited ${retry.at - first.at} ms for Retry-After: 1`);

  emu.resetRequests();
  emu.faults.throttle(10, 0);
  const e = await restError(az.compute.virtualMachines.get('rg-retry', 'r1'));
  assert.equal(e.statusCode, 429);
  assert.equal(e.code, 'TooManyRequests');
  assert.equal(armRequestsOf(emu).length, 4);
  emu.faults.throttle(0);
});

test('5xx answers are retried with backoff', async () => {
  const quick = emulatorClients(emu, sub, { retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 100 } });
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-5xx', name: 'five', publicIp: false });
  emu.resetRequests();
  emu.faults.serverError(2, 503);
  const vm = await quick.compute.virtualMachines.get('rg-5xx', 'five');
  assert.equal(vm.name, 'five');
  assert.deepEqual(
    armRequestsOf(emu).map((r) => r.status),
    [503, 503, 200],
  );
  emu.resetRequests();
  emu.faults.serverError(1, 500);
  const nics = [];
  for await (const n of quick.network.networkInterfaces.list('rg-5xx')) {
    nics.push(n.name);
  }
  assert.deepEqual(nics, ['five-nic']);
  assert.deepEqual(
    armRequestsOf(emu).map((r) => r.status),
    [500, 200],
  );
});

test('a failed long-running operation surfaces its error code and message through the SDK', async () => {
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-fail', name: 'f1', powerState: 'deallocated', publicIp: false });
  emu.faults.failNextOperation('AllocationFailed', 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.');
  const e = await az.compute.virtualMachines.beginStartAndWait('rg-fail', 'f1', FAST).then(
    () => assert.fail('start should fail'),
    (err: Error & { code?: string }) => err,
  );
  // core-lro throws a plain Error: the code is only in the message, not in a `code` property.
  assert.equal(
    e.message,
    'The long-running operation has failed. AllocationFailed. Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
  );
  assert.equal(e.code, undefined);
  assert.equal(await powerStateOf(az, 'rg-fail', 'f1'), 'PowerState/deallocated');
  const vm = await az.compute.virtualMachines.get('rg-fail', 'f1', { expand: 'instanceView' });
  assert.equal(vm.provisioningState, 'Failed');
  assert.ok(vm.instanceView?.statuses?.some((s) => s.code === 'ProvisioningState/failed/AllocationFailed'));
});

test('expired tokens get 401 ExpiredAuthenticationToken; a fresh sign-in works again', async () => {
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-token', name: 't1', publicIp: false });
  await az.compute.virtualMachines.get('rg-token', 't1');
  emu.faults.expireTokens();
  const e = await restError(az.compute.virtualMachines.get('rg-token', 't1'));
  assert.equal(e.statusCode, 401);
  assert.equal(e.code, 'ExpiredAuthenticationToken');
  assert.match(
    String(e.response?.headers.get('www-authenticate')),
    /^Bearer authorization_uri="https:\/\/127\.0\.0\.1:\d+\/[^"]+", error="invalid_token"/,
  );
  const fresh = emulatorClients(emu, sub);
  assert.equal((await fresh.compute.virtualMachines.get('rg-token', 't1')).name, 't1');
  az = fresh;
});

function rawGet(path: string, token?: string): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${emu.url}${path}`,
      { ca: fs.readFileSync(emu.caCertPath), headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data ? JSON.parse(data) : undefined }));
      },
    );
    req.on('error', reject);
  });
}

test('api-version: missing and unsupported versions are refused naming the supported ones', async () => {
  const { token } = await az.credential.getToken('https://management.azure.com/.default');
  const path = `/subscriptions/${sub}/resourceGroups/rg-token/providers/Microsoft.Compute/virtualMachines/t1`;
  const missing = await rawGet(path, token);
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 'MissingApiVersionParameter');
  assert.match(String(missing.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
  const old = await rawGet(`${path}?api-version=2019-07-01`, token);
  assert.equal(old.status, 400);
  assert.equal(old.body.error.code, 'InvalidApiVersionParameter');
  assert.match(old.body.error.message, /'2026-03-01,2026-04-01'/);
  // ARM paths are case-insensitive.
  const shouting = await rawGet(`${path.toUpperCase().replace(/T1$/, 't1')}?api-version=2026-04-01`, token);
  assert.equal(shouting.status, 200);
  assert.equal(shouting.body.name, 't1');
  const anonymous = await rawGet(`${path}?api-version=2026-03-01`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, 'AuthenticationFailed');
  // The same through an SDK that lets the caller pick the api-version.
  const oldSdk = new ResourceManagementClient(az.credential, sub, { endpoint: emu.url, apiVersion: '2019-10-01' });
  const e = await restError(oldSdk.resourceGroups.get('rg-token'));
  assert.equal(e.statusCode, 400);
  assert.equal(e.code, 'InvalidApiVersionParameter');
  assert.match(e.message, /The supported versions are '2025-04-01'/);
});

test('DNS labels are unique per region across all of Azure: other customers hold some, CheckDnsNameAvailability tells, a PUT of a taken one is DnsRecordInUse', async () => {
  const available = async (location: string, label: string) => (await az.network.checkDnsNameAvailability(location, label)).available;
  // Names anyone tries first are held by other customers, the wizard's default among them.
  assert.equal(await available('westeurope', 'docker-host-1'), false);
  assert.equal(await available('westeurope', 'docker-host-1-ab12'), true);
  const pip = (name: string, label: string) =>
    az.network.publicIPAddresses.beginCreateOrUpdateAndWait(
      'rg-dns',
      name,
      { location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: label } },
      FAST,
    );
  emu.addVm({ subscriptionId: sub, resourceGroup: 'rg-dns', name: 'seed', publicIp: false });
  const taken = await restError(pip('mine', 'docker-host-1'));
  assert.deepEqual(
    [taken.statusCode, taken.code, taken.message],
    [400, 'DnsRecordInUse', 'DNS record docker-host-1.westeurope.cloudapp.azure.com is already used by another public IP.'],
  );
  assert.equal(
    emu.resource(`/subscriptions/${sub}/resourceGroups/rg-dns/providers/Microsoft.Network/publicIPAddresses/mine`),
    undefined,
    'nothing was created',
  );
  // A label is per region: the same one elsewhere is free.
  assert.equal(await available('swedencentral', 'docker-host-1'), true);
  // One's own public IP holds its label too, until it is deleted.
  await pip('mine', 'docker-host-1-ab12');
  assert.equal(await available('westeurope', 'docker-host-1-ab12'), false);
  assert.equal((await restError(pip('second', 'docker-host-1-ab12'))).code, 'DnsRecordInUse');
  await az.network.publicIPAddresses.beginDeleteAndWait('rg-dns', 'mine', FAST);
  assert.equal(await available('westeurope', 'docker-host-1-ab12'), true);
  // What the spec says a label must look like is checked, as the PUT checks it.
  const bad = await restError(az.network.checkDnsNameAvailability('westeurope', 'Docker_Host'));
  assert.deepEqual([bad.statusCode, bad.code], [400, 'InvalidDomainNameLabel']);
});
