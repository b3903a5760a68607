/**
 * The real Azure SDK clients pointed at an emulator, configured exactly as the product configures
 * them for a custom cloud: `endpoint` on each client, `authorityHost` with instance discovery off
 * on the credential. Nothing here is emulator-specific beyond the URL.
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { ClientSecretCredential } from '@azure/identity';
import type { ArmEmulator } from './index';

export interface EmulatorClients {
  credential: ClientSecretCredential;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  resources: ResourceManagementClient;
  subscriptions: SubscriptionClient;
}

export interface ClientOverrides {
  tenantId?: string;
  clientSecret?: string;
  /** Passed to every client (e.g. { retryDelayInMs: 20 } to keep retry tests fast). */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

export function emulatorCredential(emu: ArmEmulator, o: ClientOverrides = {}): ClientSecretCredential {
  return new ClientSecretCredential(o.tenantId ?? emu.tenantId, emu.clientId, o.clientSecret ?? emu.clientSecret, {
    authorityHost: emu.url,
    disableInstanceDiscovery: true,
  });
}

export function emulatorClients(emu: ArmEmulator, subscriptionId: string, o: ClientOverrides = {}): EmulatorClients {
  const credential = emulatorCredential(emu, o);
  const common = { endpoint: emu.url, ...(o.retryOptions ? { retryOptions: o.retryOptions } : {}) };
  return {
    credential,
    compute: new ComputeManagementClient(credential, subscriptionId, common),
    network: new NetworkManagementClient(credential, subscriptionId, common),
    resources: new ResourceManagementClient(credential, subscriptionId, common),
    subscriptions: new SubscriptionClient(credential, common),
  };
}
