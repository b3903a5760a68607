import type { TokenCredential } from '@azure/core-auth';
import { AzureCliCredential, ClientSecretCredential } from '@azure/identity';
import type { AzureCloud } from './cloud';

/** How a non-interactive session signs in (CI, code-server, headless machines). */
export type IdentityMode = 'servicePrincipal' | 'azureCli';

export interface ServicePrincipalEnv {
  AZURE_TENANT_ID?: string;
  AZURE_CLIENT_ID?: string;
  AZURE_CLIENT_SECRET?: string;
}

/**
 * A credential from @azure/identity. The service principal comes from the standard environment
 * variables (the same ones `EnvironmentCredential` and the Azure CLI use), never from settings.
 */
export function createIdentityCredential(mode: IdentityMode, cloud: AzureCloud, env: ServicePrincipalEnv, tenantId?: string): TokenCredential {
  const common = {
    authorityHost: cloud.authorityHost,
    // Instance discovery asks the public cloud about the authority; custom clouds must skip it.
    disableInstanceDiscovery: cloud.isCustom,
    additionallyAllowedTenants: ['*'],
  };
  if (mode === 'azureCli') {
    return new AzureCliCredential({ tenantId, additionallyAllowedTenants: ['*'] });
  }
  const missing = (['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] as const).filter((k) => !env[k]);
  if (missing.length) {
    throw new Error(`Service principal sign-in needs ${missing.join(', ')} in the environment VS Code was started from.`);
  }
  return new ClientSecretCredential(tenantId ?? env.AZURE_TENANT_ID!, env.AZURE_CLIENT_ID!, env.AZURE_CLIENT_SECRET!, common);
}
