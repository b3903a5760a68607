import type { TokenCredential } from '@azure/core-auth';
import type { AzureCloud } from './cloud';

export interface AzureSubscriptionRef {
  subscriptionId: string;
  name: string;
  tenantId: string;
  credential: TokenCredential;
  cloud: AzureCloud;
}

/** A signed-in identity that can list the subscriptions it sees (VS Code's account, or @azure/identity). */
export interface AzureAccount {
  /** Throws AzureSignInError when nobody is signed in or the sign-in expired. */
  listSubscriptions(): Promise<AzureSubscriptionRef[]>;
}
