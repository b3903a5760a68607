import type { TokenCredential } from '@azure/core-auth';
import type { AzureAccount, AzureSubscriptionRef } from './azureAccount';
import { describeAzureError } from './azureErrors';
import type { AzureCloud } from './cloud';
import type { IdentityMode, ServicePrincipalEnv } from './identityCredentials';
import { azureVendor } from './lazyAzure';

/**
 * The non-interactive account (service principal from the environment, or the Azure CLI's
 * sign-in): every tenant it can see, and every subscription in those tenants.
 */
export class IdentityAccount implements AzureAccount {
  private readonly credentials = new Map<string, TokenCredential>();

  constructor(
    private readonly mode: IdentityMode,
    private readonly cloud: AzureCloud,
    private readonly env: ServicePrincipalEnv,
  ) {}

  private credential(tenantId?: string): TokenCredential {
    const key = tenantId ?? '';
    let credential = this.credentials.get(key);
    if (!credential) {
      credential = azureVendor().createIdentityCredential(this.mode, this.cloud, this.env, tenantId);
      this.credentials.set(key, credential);
    }
    return credential;
  }

  async listSubscriptions(): Promise<AzureSubscriptionRef[]> {
    const { createSubscriptionClient } = azureVendor();
    const subscriptions: AzureSubscriptionRef[] = [];
    try {
      const home = createSubscriptionClient(this.credential(), this.cloud);
      const tenantIds: string[] = [];
      for await (const tenant of home.tenants.list()) {
        if (tenant.tenantId) {
          tenantIds.push(tenant.tenantId);
        }
      }
      await Promise.all(
        tenantIds.map(async (tenantId) => {
          const client = createSubscriptionClient(this.credential(tenantId), this.cloud);
          for await (const s of client.subscriptions.list()) {
            if (s.subscriptionId && (s.tenantId ?? tenantId) === tenantId) {
              subscriptions.push({
                subscriptionId: s.subscriptionId,
                name: s.displayName ?? s.subscriptionId,
                tenantId,
                credential: this.credential(tenantId),
                cloud: this.cloud,
              });
            }
          }
        }),
      );
    } catch (err) {
      throw describeAzureError(err, 'list your subscriptions');
    }
    return subscriptions.sort((a, b) => a.name.localeCompare(b.name));
  }
}
