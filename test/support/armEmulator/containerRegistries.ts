/**
 * Microsoft.ContainerRegistry/registries: list (per subscription or resource group), get, and the
 * admin user's listCredentials. The reference folder has no ContainerRegistry spec, so the shapes
 * follow the public ACR REST API (2023-07-01) instead of being validated against one. Registries are
 * seeded (addContainerRegistry), not created through PUT; their token service is acrTokens.ts.
 */
import { randomBytes } from 'node:crypto';
import { resourceGroupId, resourceId } from './armState';
import type { EmulatorCore, HandlerContext, ResourceTypeHandler } from './emulatorCore';
import { ArmError, armErrors, json, type EmulatorResponse } from './protocol';
import { API_VERSIONS, type ProviderRoute } from './routes';
import type { JsonObject } from './specLibrary';

export const REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries';

export interface SeedContainerRegistry {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** host[:port] the registry answers on; its /v2/ challenge must name the emulator's realm. */
  loginServer: string;
  adminUserEnabled: boolean;
  /** The admin user's first password (default: a random one); the second is always random. */
  adminPassword?: string;
  /**
   * The registry's azureADAuthenticationAsArmPolicy (default true). Disabled, /oauth2/exchange
   * refuses Resource Manager tokens: how a real registry refuses a sign-in that ARM still accepts.
   */
  armTokensAccepted?: boolean;
  location?: string;
}

export interface RegistryHidden extends Record<string, unknown> {
  passwords: string[];
  armTokensAccepted: boolean;
}

export function addContainerRegistry(core: EmulatorCore, r: SeedContainerRegistry): string {
  const location = r.location ?? 'westeurope';
  if (!core.state.subscription(r.subscriptionId)) {
    throw new Error(`addContainerRegistry: subscription ${r.subscriptionId} does not exist`);
  }
  if (!core.state.resourceGroup(r.subscriptionId, r.resourceGroup)) {
    core.seed('PUT', resourceGroupId(r.subscriptionId, r.resourceGroup), { location }, API_VERSIONS.resources[0]);
  }
  const id = resourceId(r.subscriptionId, r.resourceGroup, 'Microsoft.ContainerRegistry', 'registries', r.name);
  const armTokensAccepted = r.armTokensAccepted ?? true;
  core.state.put({
    id,
    name: r.name,
    type: REGISTRY_TYPE,
    location,
    tags: {},
    sku: { name: 'Standard', tier: 'Standard' },
    properties: {
      loginServer: r.loginServer,
      creationDate: new Date().toISOString(),
      provisioningState: 'Succeeded',
      adminUserEnabled: r.adminUserEnabled,
      policies: {
        quarantinePolicy: { status: 'disabled' },
        trustPolicy: { type: 'Notary', status: 'disabled' },
        retentionPolicy: { days: 7, status: 'disabled' },
        exportPolicy: { status: 'enabled' },
        azureADAuthenticationAsArmPolicy: { status: armTokensAccepted ? 'enabled' : 'disabled' },
      },
      encryption: { status: 'disabled' },
      dataEndpointEnabled: false,
      dataEndpointHostNames: [],
      privateEndpointConnections: [],
      publicNetworkAccess: 'Enabled',
      networkRuleBypassOptions: 'AzureServices',
      zoneRedundancy: 'Disabled',
      anonymousPullEnabled: false,
    },
  });
  const hidden = core.state.hiddenState<RegistryHidden>(id);
  hidden.passwords = [r.adminPassword ?? randomBytes(24).toString('base64url'), randomBytes(24).toString('base64url')];
  hidden.armTokensAccepted = armTokensAccepted;
  return id;
}

/** The registry whose login server is `service` (the name its /v2/ challenge and token requests carry). */
export function registryByLoginServer(core: EmulatorCore, service: string): JsonObject | undefined {
  const wanted = service.toLowerCase();
  return core.state.all().find((r) => r.type === REGISTRY_TYPE && String((r.properties as JsonObject).loginServer).toLowerCase() === wanted);
}

function handle(ctx: HandlerContext, route: ProviderRoute): EmulatorResponse {
  const { core, req } = ctx;
  if (route.types.length === 1 && route.names.length === 0) {
    if (req.method !== 'GET') {
      throw armErrors.methodNotAllowed(req.method);
    }
    return core.page(ctx, core.state.list(REGISTRY_TYPE, route.sub, route.rg));
  }
  if (route.rg === undefined || route.names.length !== 1 || route.types.length > 2) {
    throw armErrors.pathNotFound(req.path);
  }
  const name = route.names[0];
  const registry = core.state.get(resourceId(route.sub, route.rg, 'Microsoft.ContainerRegistry', 'registries', name));
  if (!registry) {
    throw armErrors.resourceNotFound(REGISTRY_TYPE, name, route.rg);
  }
  const action = route.types[1]?.toLowerCase();
  if (action === undefined && req.method === 'GET') {
    return json(200, registry);
  }
  if (action === 'listcredentials' && req.method === 'POST') {
    if ((registry.properties as JsonObject).adminUserEnabled !== true) {
      throw new ArmError(
        400,
        'UnAuthorizedForCredentialOperations',
        `Cannot perform credential operations for ${String(registry.id)} as admin user is disabled. Kindly enable admin user as per docs: https://aka.ms/acr/admin-user`,
      );
    }
    const { passwords } = core.state.hiddenState<RegistryHidden>(String(registry.id));
    return json(200, {
      username: String(registry.name),
      passwords: passwords.map((value, i) => ({ name: i === 0 ? 'password' : `password${i + 1}`, value })),
    });
  }
  throw action === undefined ? armErrors.methodNotAllowed(req.method) : armErrors.pathNotFound(req.path);
}

export const containerRegistriesHandler: ResourceTypeHandler = {
  namespace: 'Microsoft.ContainerRegistry',
  type: 'registries',
  apiVersions: API_VERSIONS.containerRegistry,
  handle,
};
