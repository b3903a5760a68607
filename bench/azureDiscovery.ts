import { startArmEmulator, trustEmulatorCa } from '../test/support/armEmulator';
import { createArmClients } from '../src/core/azure/armClients';
import { resolveCloud } from '../src/core/azure/cloud';
import { createIdentityCredential } from '../src/core/azure/identityCredentials';
import { listSubscriptionVms } from '../src/core/azure/discovery';
import { parseArmId } from '../src/core/azure/armIds';

export interface DiscoveryResult {
  subscriptions: number;
  vmsPerSubscription: number;
  oursCalls: number;
  oursMs: number;
  naiveCalls: number;
  naiveMs: number;
}

/** Runs `tasks` with at most `limit` in flight, as a careful per-VM client would. */
async function limited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

/**
 * Discovery over several subscriptions of hundreds of VMs through the ARM emulator: the product's
 * constant-call listing against the obvious per-VM approach (list VMs, then fetch each VM's
 * instance view, NIC and public IP), counting ARM calls and time.
 */
export async function measureDiscovery(subscriptions = 3, vmsPerSubscription = 300): Promise<DiscoveryResult> {
  const arm = await startArmEmulator();
  trustEmulatorCa(arm.caCertPath);
  try {
    const subs = [arm.subscriptions[0].subscriptionId];
    while (subs.length < subscriptions) {
      subs.push(arm.addSubscription({ displayName: `Bench ${subs.length + 1}` }));
    }
    for (const sub of subs) {
      for (let i = 0; i < vmsPerSubscription; i++) {
        arm.addVm({
          subscriptionId: sub,
          resourceGroup: `rg-${i % 10}`,
          name: `vm-${i}`,
          tags: { 'dockerOnAzure:host': 'true' },
          powerState: i % 3 ? 'running' : 'deallocated',
        });
      }
    }
    const cloud = resolveCloud({ resourceManagerEndpoint: arm.url, authorityHost: arm.url });
    const credential = createIdentityCredential('servicePrincipal', cloud, {
      AZURE_TENANT_ID: arm.tenantId,
      AZURE_CLIENT_ID: arm.clientId,
      AZURE_CLIENT_SECRET: arm.clientSecret,
    });
    const clients = subs.map((s) => createArmClients(credential, s, cloud));
    // Sign in once before timing either approach.
    await credential.getToken(cloud.managementScope);
    const armCalls = () => arm.requests.filter((r) => r.kind === 'arm').length;

    arm.resetRequests();
    let t = performance.now();
    const ours = await Promise.all(clients.map((c) => listSubscriptionVms(c)));
    const oursMs = performance.now() - t;
    const oursCalls = armCalls();
    if (ours.some((l) => l.vms.length !== vmsPerSubscription)) {
      throw new Error('the product listing missed VMs');
    }

    arm.resetRequests();
    t = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        const vms = [];
        for await (const vm of c.compute.virtualMachines.listAll()) {
          vms.push(vm);
        }
        await limited(
          10,
          vms.map((vm) => async () => {
            const { resourceGroup, name } = parseArmId(vm.id!);
            await c.compute.virtualMachines.instanceView(resourceGroup, name);
            const nicId = parseArmId(vm.networkProfile!.networkInterfaces![0].id!);
            const nic = await c.network.networkInterfaces.get(nicId.resourceGroup, nicId.name);
            const pipRef = nic.ipConfigurations?.[0]?.publicIPAddress?.id;
            if (pipRef) {
              const pip = parseArmId(pipRef);
              await c.network.publicIPAddresses.get(pip.resourceGroup, pip.name);
            }
          }),
        );
      }),
    );
    const naiveMs = performance.now() - t;
    return { subscriptions, vmsPerSubscription, oursCalls, oursMs, naiveCalls: armCalls(), naiveMs };
  } finally {
    await arm.stop();
  }
}
