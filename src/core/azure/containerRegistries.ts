import type { ServiceClient } from '@azure/core-client';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { describeAzureError } from './azureErrors';

const API_VERSION = '2023-07-01';

export interface ContainerRegistry {
  id: string;
  name: string;
  /** e.g. myregistry.azurecr.io: the registry part of image references, and where its token service is. */
  loginServer: string;
  resourceGroup: string;
  adminUserEnabled: boolean;
}

interface ArmRegistry {
  id?: string;
  name?: string;
  properties?: { loginServer?: string; adminUserEnabled?: boolean };
}

async function send<T>(client: ServiceClient, url: string, method: 'GET' | 'POST', signal?: AbortSignal): Promise<T> {
  const response = await client.sendRequest(createPipelineRequest({ url, method, abortSignal: signal }));
  let body: unknown;
  try {
    body = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status >= 400) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    // Shaped like the SDK's RestError, so describeAzureError reads it the same way.
    throw Object.assign(new Error(error?.message ?? `HTTP ${response.status}`), { statusCode: response.status, code: error?.code });
  }
  return body as T;
}

/**
 * The container registries of a subscription (Microsoft.ContainerRegistry/registries), through an
 * ARM client's own pipeline (its credential, retries and endpoint), following nextLink pages. There
 * is no ACR management SDK in the bundle for two calls.
 */
export async function listContainerRegistries(
  client: ServiceClient,
  endpoint: string,
  subscriptionId: string,
  signal?: AbortSignal,
): Promise<ContainerRegistry[]> {
  const registries: ContainerRegistry[] = [];
  let next: string | undefined =
    `${endpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.ContainerRegistry/registries?api-version=${API_VERSION}`;
  try {
    while (next) {
      const page: { value?: ArmRegistry[]; nextLink?: string } = await send(client, next, 'GET', signal);
      for (const r of page.value ?? []) {
        if (r.id && r.name && r.properties?.loginServer) {
          registries.push({
            id: r.id,
            name: r.name,
            loginServer: r.properties.loginServer.toLowerCase(),
            resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '',
            adminUserEnabled: r.properties.adminUserEnabled === true,
          });
        }
      }
      next = page.nextLink;
    }
  } catch (err) {
    throw describeAzureError(err, 'list the container registries');
  }
  return registries;
}

/** The registry's admin user and first password (only when the admin user is enabled on it). */
export async function listRegistryAdminCredentials(
  client: ServiceClient,
  endpoint: string,
  registryId: string,
  /** What the caller needed them for, as errors word it ("Sign in again to …"). */
  purpose: string,
  signal?: AbortSignal,
): Promise<{ username: string; password: string }> {
  let answer: { username?: string; passwords?: Array<{ value?: string }> };
  try {
    answer = await send(client, `${endpoint}${registryId}/listCredentials?api-version=${API_VERSION}`, 'POST', signal);
  } catch (err) {
    throw describeAzureError(err, purpose);
  }
  const password = answer?.passwords?.find((p) => p.value)?.value;
  if (!answer?.username || !password) {
    throw new Error('The registry answered without admin credentials.');
  }
  return { username: answer.username, password };
}
