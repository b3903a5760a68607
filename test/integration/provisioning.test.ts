import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import type { ArmClients } from '../../src/core/azure/armClients';
import { productArmClients, serverTlsFrom } from '../support/productArmClients';
import { executeProvisioning, ProvisionError, ProvisionEvent } from '../../src/core/azure/provisioning/executor';
import { planProvisioning, ProvisionRequest } from '../../src/core/azure/provisioning/plan';
import { createCertificateAuthority, createClientCertificate } from '../../src/core/azure/provisioning/certificates';
import { waitForDaemon } from '../../src/core/docker/waitForDaemon';
import { DockerHostSession } from '../../src/core/docker/hostSession';

let arm: ArmEmulator;
let clients: ArmClients;
let sub: string;
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD test';

function request(over: Partial<ProvisionRequest>): ProvisionRequest {
  return {
    subscriptionId: sub,
    location: 'westeurope',
    resourceGroup: 'prov-rg',
    createResourceGroup: true,
    hostName: 'prov-host',
    vmSize: 'Standard_B2s',
    image: 'ubuntu-24.04',
    adminUser: 'azureuser',
    sshPublicKey: SSH_KEY,
    access: 'ssh',
    sourceRange: '203.0.113.7',
    ...over,
    dnsLabel: over.dnsLabel ?? over.hostName ?? 'prov-host',
  };
}

function ofGroup(rg: string): string[] {
  return arm.inventory().filter((id) => id.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}`));
}

/** Ids whose stored JSON differs between two emulator snapshots, marked + (new), - (gone) or ~ (changed). */
function changedIds(before: string, after: string): string[] {
  const byId = (snapshot: string) =>
    new Map((JSON.parse(snapshot) as { resource: { id: string } }[]).map((entry) => [entry.resource.id, JSON.stringify(entry)]));
  const [was, is] = [byId(before), byId(after)];
  return [
    ...[...is.keys()].filter((id) => !was.has(id)).map((id) => `+ ${id}`),
    ...[...was.keys()].filter((id) => !is.has(id)).map((id) => `- ${id}`),
    ...[...is.keys()].filter((id) => was.has(id) && was.get(id) !== is.get(id)).map((id) => `~ ${id}`),
  ];
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  sub = arm.subscriptions[0].subscriptionId;
  clients = productArmClients(arm, sub);
});

after(() => arm.stop());

test('an SSH host is created in dependency order with the network pieces in parallel; every body passes the spec check', async () => {
  const events: ProvisionEvent[] = [];
  arm.resetRequests();
  arm.faults.slowOperations(3);
  const result = await executeProvisioning(planProvisioning(request({})), { clients, onEvent: (e) => events.push(e) }).finally(() =>
    arm.faults.slowOperations(1),
  );
  const order = events.filter((e) => e.kind === 'resource' && e.state === 'creating').map((e) => (e as { resource: { key: string } }).resource.key);
  assert.deepEqual(order.slice(0, 1), ['resourceGroup']);
  assert.deepEqual(order.slice(1, 4).sort(), ['nsg', 'publicIp', 'vnet']);
  assert.deepEqual(order.slice(4), ['nic', 'vm']);
  // The three network PUTs were in flight together: each operation needed three status polls (set
  // above), so one after another would put at least six polls between the first PUT and the last.
  const isNetworkPut = (r: { method: string; path: string }) =>
    r.method === 'PUT' && /virtualNetworks|networkSecurityGroups|publicIPAddresses/.test(r.path);
  const putIndexes = arm.requests.map((r, i) => (isNetworkPut(r) ? i : -1)).filter((i) => i >= 0);
  assert.equal(putIndexes.length, 3);
  const between = arm.requests.slice(putIndexes[0], putIndexes[2]).filter((r) => r.method === 'GET').length;
  assert.ok(between < 6, `${between} polls between the first and last network PUT`);
  // A GET answering 404 is the look before each create: the name is free.
  const refused = arm.requests.filter((r) => r.status >= 400 && !(r.method === 'GET' && r.status === 404));
  assert.deepEqual(
    refused.map((r) => `${r.method} ${r.path} ${r.status}`),
    [],
    'no request was refused',
  );
  const looked = arm.requests.filter((r) => r.method === 'GET' && r.status === 404).map((r) => r.path.split('/').pop());
  assert.deepEqual(looked, ['prov-rg'], 'in a new group, only the group needs looking for');
  assert.match(result.publicIp, /^\d+\.\d+\.\d+\.\d+$/);

  const vm = arm.resource(result.vmId) as {
    tags: Record<string, string>;
    properties: { osProfile: { customData?: string; linuxConfiguration: { disablePasswordAuthentication: boolean } } };
  };
  assert.equal(vm.tags['dockerOnAzure:host'], 'true');
  assert.equal(vm.tags['dockerOnAzure:daemon'], 'ssh');
  assert.equal(vm.properties.osProfile.linuxConfiguration.disablePasswordAuthentication, true);
  const nsg = arm.resource(`/subscriptions/${sub}/resourceGroups/prov-rg/providers/Microsoft.Network/networkSecurityGroups/prov-host-nsg`) as {
    properties: { securityRules: { properties: { sourceAddressPrefix: string; destinationPortRange: string } }[] };
  };
  assert.deepEqual(
    nsg.properties.securityRules.map((r) => [r.properties.destinationPortRange, r.properties.sourceAddressPrefix]),
    [['22', '203.0.113.7']],
    'SSH only, from the chosen address only',
  );
  const vmPut = arm.requests.find((r) => r.method === 'PUT' && /virtualMachines\/prov-host$/.test(r.path))!;
  const customData = (vmPut.body as { properties: { osProfile: { customData: string } } }).properties.osProfile.customData;
  const cloudConfig = Buffer.from(customData, 'base64').toString();
  assert.match(cloudConfig, /^#cloud-config\n/);
  assert.deepEqual(parse(cloudConfig).packages, ['docker.io']);
  const group = arm.resource(`/subscriptions/${sub}/resourceGroups/prov-rg`) as { tags: Record<string, string> };
  assert.equal(group.tags['dockerOnAzure:createdFor'], 'prov-host');
});

test('a failed VM operation removes everything this run created, and nothing that was there before', async () => {
  arm.addVm({ subscriptionId: sub, resourceGroup: 'shared-rg', name: 'bystander' });
  const before = arm.inventory();
  const events: ProvisionEvent[] = [];
  const onEvent = (e: ProvisionEvent) => {
    events.push(e);
    if (e.kind === 'resource' && e.resource.key === 'nic' && e.state === 'created') {
      arm.faults.failNextOperation('OSProvisioningTimedOut', 'OS Provisioning for VM did not finish in the allotted time.');
    }
  };
  const err = await executeProvisioning(planProvisioning(request({ resourceGroup: 'shared-rg', createResourceGroup: false, hostName: 'doomed' })), {
    clients,
    onEvent,
  }).then(
    () => assert.fail('provisioning should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProvisionError);
  assert.match(err.message, /OSProvisioningTimedOut/);
  assert.equal(err.cancelled, false);
  assert.deepEqual(err.rollback.remaining, []);
  assert.deepEqual(arm.inventory(), before, 'exactly the resources that existed before remain');
  assert.ok(events.some((e) => e.kind === 'resource' && e.resource.key === 'vm' && e.state === 'deleted'));
});

test('a run never changes what existed before it: names that exist are refused, failures at every stage leave the store byte-identical', async () => {
  // What a user already owns: a tagged group, an NSG with the name a host "twin" would use, and a VM.
  await clients.resources.resourceGroups.createOrUpdate('owned-rg', { location: 'westeurope', tags: { owner: 'ops-team', costCenter: '42' } });
  await clients.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    'owned-rg',
    'twin-nsg',
    {
      location: 'westeurope',
      tags: { owner: 'ops-team' },
      securityRules: [
        {
          name: 'HTTPS',
          protocol: 'Tcp',
          access: 'Allow',
          direction: 'Inbound',
          priority: 300,
          sourceAddressPrefix: '*',
          sourcePortRange: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: '443',
        },
      ],
    },
    { updateIntervalInMs: 10 },
  );
  arm.addVm({ subscriptionId: sub, resourceGroup: 'owned-rg', name: 'bystander' });
  const existing = new Set(arm.inventory().map((id) => id.toLowerCase()));
  const runs: { why: string; req: Partial<ProvisionRequest>; inject?: () => void; onEvent?: (e: ProvisionEvent) => void; error: RegExp }[] = [
    {
      why: 'a "new" group that exists in another region',
      req: { resourceGroup: 'owned-rg', createResourceGroup: true, location: 'northeurope', hostName: 'twin' },
      error: /owned-rg already exists/,
    },
    {
      why: 'a "new" group that exists in the same region',
      req: { resourceGroup: 'owned-rg', createResourceGroup: true, hostName: 'fresh' },
      error: /owned-rg already exists/,
    },
    {
      why: 'an existing group, and a host whose NSG name is taken there',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'twin' },
      error: /network security group twin-nsg already exists in resource group owned-rg/,
    },
    {
      why: 'an existing group, and a host whose VM name is taken there',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'bystander' },
      error: /virtual machine bystander already exist in resource group owned-rg/,
    },
    {
      why: 'the new group refused by policy',
      req: { resourceGroup: 'fresh-rg', hostName: 'fresh' },
      inject: () =>
        arm.faults.refuseNext(
          'PUT',
          /\/resourceGroups\/fresh-rg$/i,
          403,
          'RequestDisallowedByPolicy',
          "Resource 'fresh-rg' was disallowed by policy.",
        ),
      error: /not allowed to create fresh: Resource 'fresh-rg' was disallowed by policy/,
    },
    {
      why: 'a network piece refused (public IP quota)',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'fresh' },
      inject: () =>
        arm.faults.refuseNext(
          'PUT',
          /publicIPAddresses\/fresh-ip$/i,
          400,
          'PublicIPCountLimitReached',
          'Cannot create more than 10 public IP addresses for this subscription in this region.',
        ),
      error: /PublicIPCountLimitReached/,
    },
    {
      why: 'a network piece failing after it was accepted',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'fresh' },
      inject: () => arm.faults.failNextOperation('InternalServerError', 'An error occurred.'),
      error: /InternalServerError/,
    },
    {
      why: 'the VM PUT refused (core quota)',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'fresh' },
      inject: () =>
        arm.faults.refuseNext(
          'PUT',
          /virtualMachines\/fresh$/i,
          409,
          'OperationNotAllowed',
          'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.',
        ),
      error: /OperationNotAllowed/,
    },
    {
      why: 'the VM failing to provision',
      req: { resourceGroup: 'owned-rg', createResourceGroup: false, hostName: 'fresh' },
      onEvent: (e) => {
        if (e.kind === 'resource' && e.resource.key === 'nic' && e.state === 'created') {
          arm.faults.failNextOperation('OSProvisioningTimedOut', 'OS Provisioning for VM did not finish in the allotted time.');
        }
      },
      error: /OSProvisioningTimedOut/,
    },
    {
      why: 'the VM failing to provision in a new group',
      req: { resourceGroup: 'fresh-rg', hostName: 'fresh' },
      onEvent: (e) => {
        if (e.kind === 'resource' && e.resource.key === 'nic' && e.state === 'created') {
          arm.faults.failNextOperation(
            'AllocationFailed',
            'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
          );
        }
      },
      error: /AllocationFailed/,
    },
  ];
  for (const run of runs) {
    const before = arm.snapshot();
    arm.resetRequests();
    run.inject?.();
    const err = await executeProvisioning(planProvisioning(request(run.req)), { clients, onEvent: (e) => run.onEvent?.(e) }).then(
      () => assert.fail(`${run.why}: provisioning should fail`),
      (e: unknown) => e,
    );
    const after = arm.snapshot();
    assert.deepEqual(changedIds(before, after), [], `${run.why}: nothing was added, changed or removed`);
    assert.ok(after === before, `${run.why}: the store is byte-identical`);
    const touched = arm.requests.filter((r) => ['PUT', 'PATCH', 'DELETE'].includes(r.method) && existing.has(r.path.toLowerCase()));
    assert.deepEqual(
      touched.map((r) => `${r.method} ${r.path}`),
      [],
      `${run.why}: nothing that existed was written to or deleted`,
    );
    assert.ok(err instanceof ProvisionError, `${run.why}: ${String(err)}`);
    assert.match(err.message, run.error, run.why);
    assert.deepEqual(err.rollback.remaining, [], `${run.why}: nothing it made remains`);
  }
});

test('cancelling during the network stage removes the new resource group and all in it', async () => {
  const controller = new AbortController();
  arm.faults.slowOperations(4);
  const onEvent = (e: ProvisionEvent) => {
    if (e.kind === 'resource' && e.resource.key === 'publicIp' && e.state === 'creating') {
      setTimeout(() => controller.abort(), 50);
    }
  };
  const err = await executeProvisioning(planProvisioning(request({ resourceGroup: 'cancel-rg', hostName: 'cancelled-host' })), {
    clients,
    onEvent,
    signal: controller.signal,
  }).then(
    () => assert.fail('provisioning should stop'),
    (e: unknown) => e,
  );
  arm.faults.slowOperations(1);
  assert.ok(err instanceof ProvisionError);
  assert.equal(err.cancelled, true);
  assert.deepEqual(err.rollback.remaining, []);
  assert.deepEqual(ofGroup('cancel-rg'), [], 'the group this run created is gone with everything in it');
  assert.equal(
    arm.requests.filter((r) => r.method === 'PUT' && /virtualMachines/.test(r.path) && /cancelled-host/.test(r.path)).length,
    0,
    'the VM was never requested',
  );
});

test('throttling during creation is survived without a rollback', async () => {
  arm.resetRequests();
  arm.faults.throttle(3, 1);
  const result = await executeProvisioning(planProvisioning(request({ resourceGroup: 'throttled-rg', hostName: 'throttled-host' })), {
    clients,
    onEvent: () => undefined,
  });
  assert.ok(arm.resource(result.vmId));
  assert.equal(arm.requests.filter((r) => r.status === 429).length, 3);
  assert.equal(arm.requests.filter((r) => r.method === 'DELETE').length, 0, 'nothing was rolled back');
});

test('a TLS host boots as a real Docker daemon that answers only with the certificates the product made', async () => {
  const booting = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, bootDelayMs: 1000 });
  try {
    const bootSub = booting.subscriptions[0].subscriptionId;
    const ca = await createCertificateAuthority('test CA');
    const client = await createClientCertificate(ca, 'test client');
    let certNames: { ipAddresses: string[]; dnsNames: string[] } | undefined;
    const result = await executeProvisioning(
      planProvisioning(request({ subscriptionId: bootSub, resourceGroup: 'tls-rg', hostName: 'tls-host', access: 'tls' })),
      {
        clients: productArmClients(booting, bootSub),
        onEvent: () => undefined,
        makeServerTls: serverTlsFrom(ca, (names) => (certNames = names)),
      },
    );
    assert.deepEqual(certNames?.ipAddresses, [result.publicIp], 'the server certificate names the public IP');
    assert.ok(certNames?.dnsNames[0]?.startsWith('tls-host.'), 'and the DNS name');
    const nsg = booting.resource(
      `/subscriptions/${bootSub}/resourceGroups/tls-rg/providers/Microsoft.Network/networkSecurityGroups/tls-host-nsg`,
    ) as {
      properties: { securityRules: { properties: { destinationPortRange: string } }[] };
    };
    assert.deepEqual(
      nsg.properties.securityRules.map((r) => r.properties.destinationPortRange),
      ['22', '2376'],
    );
    const spec = {
      id: 'azure:new',
      name: 'tls-host',
      source: 'azure' as const,
      address: `tcp://${result.publicIp}:2376`,
      tlsPem: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
    };
    const env = { homeDir: '/nonexistent', knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 };
    await waitForDaemon(spec, env, { timeoutMs: 60_000, intervalMs: 500 });
    const session = new DockerHostSession(spec, env);
    try {
      const snapshot = await session.load();
      assert.deepEqual(snapshot.containers, [], 'a new host has no containers yet');
    } finally {
      session.dispose();
    }
    const other = await createCertificateAuthority('someone else');
    const stranger = await createClientCertificate(other, 'stranger');
    const refused = new DockerHostSession({ ...spec, tlsPem: { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem } }, env);
    await assert.rejects(refused.load(), /refused the client certificate|closed unexpectedly|TLS/);
    refused.dispose();
  } finally {
    await booting.stop();
  }
});
