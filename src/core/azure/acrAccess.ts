import type { ServiceClient } from '@azure/core-client';
import { vendor } from '../docker/lazyVendor';
import { ACR_TOKEN_USERNAME, registryAuth, type RegistryAuth } from '../docker/registryAuth';
import type { AzureSubscriptionRef } from './azureAccount';
import { describeAzureError } from './azureErrors';
import type { ContainerRegistry } from './containerRegistries';
import { azureVendor } from './lazyAzure';

export interface FoundRegistry {
  registry: ContainerRegistry;
  subscription: AzureSubscriptionRef;
}

/** Every container registry of the given subscriptions; a subscription that fails is reported, not fatal. */
export async function findContainerRegistries(
  subscriptions: AzureSubscriptionRef[],
  armClient: (sub: AzureSubscriptionRef) => ServiceClient,
  signal?: AbortSignal,
): Promise<{ found: FoundRegistry[]; failures: string[] }> {
  const failures: string[] = [];
  const lists = await Promise.all(
    subscriptions.map(async (subscription) => {
      try {
        const registries = await azureVendor().listContainerRegistries(
          armClient(subscription),
          subscription.cloud.resourceManagerEndpoint,
          subscription.subscriptionId,
          signal,
        );
        return registries.map((registry) => ({ registry, subscription }));
      } catch (err) {
        failures.push(`${subscription.name}: ${(err as Error).message}`);
        return [];
      }
    }),
  );
  return { found: lists.flat().sort((a, b) => a.registry.loginServer.localeCompare(b.registry.loginServer)), failures };
}

export interface AcrPushAuth {
  auth: RegistryAuth;
  /** Set when the token exchange failed and the registry's admin user was used instead: why. */
  fellBackToAdmin?: string;
}

/**
 * Credentials for pushing to an ACR, obtained through the Azure sign-in rather than typed: the
 * sign-in's Resource Manager token is exchanged for an ACR refresh token. Only if that fails and the
 * registry has its admin user enabled are the admin credentials read instead, and the caller is told.
 */
export async function acrPushAuth(found: FoundRegistry, armClient: ServiceClient, signal?: AbortSignal): Promise<AcrPushAuth> {
  const { registry, subscription } = found;
  let aadToken: string;
  try {
    const token = await subscription.credential.getToken(subscription.cloud.managementScope, { abortSignal: signal });
    if (!token) {
      throw new Error('no token');
    }
    aadToken = token.token;
  } catch (err) {
    throw describeAzureError(err, `sign in to ${registry.loginServer}`);
  }
  try {
    const refreshToken = await vendor().exchangeAcrToken(registry.loginServer, aadToken, { tenantId: subscription.tenantId, signal });
    return { auth: registryAuth(registry.loginServer, ACR_TOKEN_USERNAME, refreshToken) };
  } catch (exchangeError) {
    const why = (exchangeError as Error).message.replace(/\.?$/, '.');
    if (!registry.adminUserEnabled) {
      throw new Error(`${why} The registry's admin user is disabled, so there is no other way in through Azure.`);
    }
    // Named after the push: the user never asked for admin credentials, and an expired sign-in lands here.
    const admin = await azureVendor().listRegistryAdminCredentials(
      armClient,
      subscription.cloud.resourceManagerEndpoint,
      registry.id,
      `push to ${registry.loginServer}`,
      signal,
    );
    return { auth: registryAuth(registry.loginServer, admin.username, admin.password), fellBackToAdmin: (exchangeError as Error).message };
  }
}
