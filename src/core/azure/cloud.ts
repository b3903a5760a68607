/** Where Resource Manager and sign-in live for one cloud (public, sovereign, Azure Stack Hub, ...). */
export interface AzureCloud {
  name: string;
  resourceManagerEndpoint: string;
  /** The Entra ID (AAD) authority host used by @azure/identity credentials. */
  authorityHost: string;
  /** The scope a Resource Manager token is requested for. */
  managementScope: string;
  portalUrl: string;
  /** Custom endpoints (Azure Stack Hub, a test emulator) do not support instance discovery. */
  isCustom: boolean;
}

export const AZURE_PUBLIC_CLOUD: AzureCloud = {
  name: 'AzureCloud',
  resourceManagerEndpoint: 'https://management.azure.com',
  authorityHost: 'https://login.microsoftonline.com',
  managementScope: 'https://management.azure.com/.default',
  portalUrl: 'https://portal.azure.com',
  isCustom: false,
};

export interface CustomCloudSettings {
  resourceManagerEndpoint?: string;
  authorityHost?: string;
  /** The token audience; Azure Stack Hub's differs from its endpoint. Defaults to the endpoint. */
  audience?: string;
  portalUrl?: string;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The public cloud, or the custom endpoints the user configured (all optional but the endpoint). */
export function resolveCloud(custom: CustomCloudSettings): AzureCloud {
  const endpoint = custom.resourceManagerEndpoint?.trim();
  if (!endpoint) {
    return AZURE_PUBLIC_CLOUD;
  }
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new Error(`The Resource Manager endpoint "${endpoint}" is not a URL.`);
  }
  if (parsed.protocol !== 'https:') {
    throw new Error(`The Resource Manager endpoint must use https (tokens are never sent over plain http): ${endpoint}`);
  }
  const rm = trimSlash(endpoint);
  const audience = trimSlash(custom.audience?.trim() || rm);
  return {
    name: 'Custom',
    resourceManagerEndpoint: rm,
    authorityHost: trimSlash(custom.authorityHost?.trim() || AZURE_PUBLIC_CLOUD.authorityHost),
    managementScope: `${audience}/.default`,
    portalUrl: trimSlash(custom.portalUrl?.trim() || AZURE_PUBLIC_CLOUD.portalUrl),
    isCustom: true,
  };
}

/** The portal page of any ARM resource, in the right directory. */
export function portalResourceUrl(cloud: AzureCloud, tenantId: string, resourceId: string): string {
  return `${cloud.portalUrl}/#@${tenantId}/resource${resourceId}`;
}
