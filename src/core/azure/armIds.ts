/** Pieces of an ARM resource id: /subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}. */
export interface ArmId {
  subscriptionId: string;
  resourceGroup: string;
  provider: string;
  type: string;
  name: string;
}

export function parseArmId(id: string): ArmId {
  const parts = id.split('/').filter(Boolean);
  const at = (key: string) => {
    const i = parts.findIndex((p) => p.toLowerCase() === key.toLowerCase());
    return i >= 0 ? parts[i + 1] : undefined;
  };
  const subscriptionId = at('subscriptions');
  const resourceGroup = at('resourceGroups');
  const providerIndex = parts.findIndex((p) => p.toLowerCase() === 'providers');
  if (!subscriptionId || !resourceGroup || providerIndex < 0 || parts.length < providerIndex + 4) {
    throw new Error(`Not an ARM resource id: ${id}`);
  }
  return {
    subscriptionId,
    resourceGroup,
    provider: parts[providerIndex + 1],
    type: parts[providerIndex + 2],
    name: parts[parts.length - 1],
  };
}

/** ARM ids compare case-insensitively. */
export function sameArmId(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}
