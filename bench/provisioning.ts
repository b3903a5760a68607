import { startArmEmulator, trustEmulatorCa } from '../test/support/armEmulator';
import { ArmClients, createArmClients } from '../src/core/azure/armClients';
import { resolveCloud } from '../src/core/azure/cloud';
import { createIdentityCredential } from '../src/core/azure/identityCredentials';
import { executeProvisioning } from '../src/core/azure/provisioning/executor';
import { buildCloudConfig, encodeCustomData } from '../src/core/azure/provisioning/cloudInit';
import { planProvisioning, ProvisionRequest, toSdkModel, vmBody } from '../src/core/azure/provisioning/plan';

export interface ProvisioningResult {
  networkMs: number;
  computeMs: number;
  parallelMs: number;
  sequentialMs: number;
  parallelCalls: number;
  sequentialCalls: number;
}

/** The obvious alternative: every resource created after the previous one finished. */
async function provisionSequentially(c: ArmClients, req: ProvisionRequest): Promise<void> {
  const plan = planProvisioning(req);
  const body = (key: string) => toSdkModel<never>(plan.resources.find((r) => r.key === key)!.body);
  const n = req.hostName;
  await c.resources.resourceGroups.createOrUpdate(req.resourceGroup, { location: req.location });
  await c.network.virtualNetworks.beginCreateOrUpdateAndWait(req.resourceGroup, `${n}-vnet`, body('vnet'));
  await c.network.networkSecurityGroups.beginCreateOrUpdateAndWait(req.resourceGroup, `${n}-nsg`, body('nsg'));
  await c.network.publicIPAddresses.beginCreateOrUpdateAndWait(req.resourceGroup, `${n}-ip`, body('publicIp'));
  await c.network.networkInterfaces.beginCreateOrUpdateAndWait(req.resourceGroup, `${n}-nic`, body('nic'));
  const customData = encodeCustomData(buildCloudConfig({ adminUser: req.adminUser, access: 'ssh' }));
  await c.compute.virtualMachines.createOrUpdate(
    req.resourceGroup,
    n,
    toSdkModel(vmBody(req, plan.resources.find((r) => r.key === 'nic')!.id, customData)),
  );
}

/**
 * Time to a created host with the emulator's operations taking realistic relative times (VM
 * creation far slower than the network pieces), polled at a 1 s Retry-After: the product's
 * parallel plan against creating the same resources one after another.
 */
export async function measureProvisioning(networkMs = 2_000, computeMs = 8_000): Promise<ProvisioningResult> {
  const arm = await startArmEmulator();
  trustEmulatorCa(arm.caCertPath);
  try {
    arm.faults.operationDurations({ network: networkMs, compute: computeMs, resources: networkMs });
    arm.faults.setRetryAfter(1);
    const sub = arm.subscriptions[0].subscriptionId;
    const cloud = resolveCloud({ resourceManagerEndpoint: arm.url, authorityHost: arm.url });
    const credential = createIdentityCredential('servicePrincipal', cloud, {
      AZURE_TENANT_ID: arm.tenantId,
      AZURE_CLIENT_ID: arm.clientId,
      AZURE_CLIENT_SECRET: arm.clientSecret,
    });
    await credential.getToken(cloud.managementScope);
    const clients = createArmClients(credential, sub, cloud);
    const request = (hostName: string): ProvisionRequest => ({
      subscriptionId: sub,
      location: 'westeurope',
      resourceGroup: `${hostName}-rg`,
      createResourceGroup: true,
      hostName,
      dnsLabel: hostName,
      vmSize: 'Standard_B2s',
      image: 'ubuntu-24.04',
      adminUser: 'azureuser',
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD bench',
      access: 'ssh',
      sourceRange: '203.0.113.7',
    });
    const armCalls = () => arm.requests.filter((r) => r.kind === 'arm').length;
    arm.resetRequests();
    let t = performance.now();
    await executeProvisioning(planProvisioning(request('parallel-host')), { clients, onEvent: () => undefined });
    const parallelMs = performance.now() - t;
    const parallelCalls = armCalls();
    arm.resetRequests();
    t = performance.now();
    await provisionSequentially(clients, request('sequential-host'));
    const sequentialMs = performance.now() - t;
    return { networkMs, computeMs, parallelMs, sequentialMs, parallelCalls, sequentialCalls: armCalls() };
  } finally {
    await arm.stop();
  }
}
