import type { TokenCredential } from '@azure/core-auth';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { AzureCloud } from './cloud';

export interface ArmClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  resources: ResourceManagementClient;
}

/** Resource Manager clients for one subscription, at the configured cloud's endpoint and scope. */
export function createArmClients(credential: TokenCredential, subscriptionId: string, cloud: AzureCloud): ArmClients {
  return {
    compute: new ComputeManagementClient(credential, subscriptionId, {
      endpoint: cloud.resourceManagerEndpoint,
      credentials: { scopes: [cloud.managementScope] },
    }),
    network: new NetworkManagementClient(credential, subscriptionId, {
      endpoint: cloud.resourceManagerEndpoint,
      credentialScopes: [cloud.managementScope],
    }),
    resources: new ResourceManagementClient(credential, subscriptionId, {
      endpoint: cloud.resourceManagerEndpoint,
      credentialScopes: [cloud.managementScope],
    }),
  };
}

export function createSubscriptionClient(credential: TokenCredential, cloud: AzureCloud): SubscriptionClient {
  return new SubscriptionClient(credential, { endpoint: cloud.resourceManagerEndpoint, credentialScopes: [cloud.managementScope] });
}
