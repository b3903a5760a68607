/**
 * Public DNS labels (`<label>.<region>.cloudapp.azure.com`): one per region across every Azure
 * customer. Other customers' labels are modelled as held, so the names anyone tries first are
 * taken, as they are on Azure; CheckDnsNameAvailability answers from the same book.
 *
 * The reference folder holds only this operation's example (2024-05-01
 * CheckDnsNameAvailability.json: `{ available }`), so its shape follows that example and the
 * spec's DnsNameAvailabilityResult, as @azure/arm-network reads it.
 */
import type { ArmState } from './armState';
import type { HandlerContext, ResourceTypeHandler } from './emulatorCore';
import { normalizeLocation } from './locations';
import { ArmError, armErrors, json, queryParam, type EmulatorResponse } from './protocol';
import { API_VERSIONS, type ProviderRoute } from './routes';
import { isObject, type JsonObject } from './specLibrary';

const DNS_LABEL = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;

/** Held by other customers in the busiest regions: generic names, and Provision Docker Host's defaults. */
export const FOREIGN_DNS_LABELS: readonly { location: string; label: string }[] = [
  'westeurope',
  'northeurope',
  'eastus',
  'eastus2',
  'westus2',
].flatMap((location) =>
  ['docker-host-1', 'docker-host-2', 'docker-host-3', 'docker-host', 'dockerhost', 'docker', 'myvm', 'vm1', 'test'].map((label) => ({
    location,
    label,
  })),
);

export function fqdnOf(label: string, location: string): string {
  return `${label}.${location}.cloudapp.azure.com`;
}

export function checkDnsLabel(label: string): void {
  if (!DNS_LABEL.test(label)) {
    throw new ArmError(
      400,
      'InvalidDomainNameLabel',
      `The domain name label ${label} is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.`,
    );
  }
}

/** Whether `label` is held in `location`, by another customer or by a public IP other than `exceptId`. */
export function dnsLabelInUse(state: ArmState, location: string, label: string, exceptId?: string): boolean {
  if (state.foreignDnsLabels.has(`${location}/${label}`)) {
    return true;
  }
  const fqdn = fqdnOf(label, location);
  return state
    .all()
    .filter((r) => String(r.type) === 'Microsoft.Network/publicIPAddresses' && String(r.id).toLowerCase() !== exceptId?.toLowerCase())
    .some((r) => {
      const dns = isObject(r.properties) ? (r.properties as JsonObject).dnsSettings : undefined;
      return isObject(dns) && dns.fqdn === fqdn;
    });
}

/** GET /subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/CheckDnsNameAvailability?domainNameLabel= */
function handle(ctx: HandlerContext, route: ProviderRoute): EmulatorResponse {
  const { req } = ctx;
  if (route.rg !== undefined || route.names.length !== 1 || route.types.length !== 2 || route.types[1].toLowerCase() !== 'checkdnsnameavailability') {
    throw armErrors.pathNotFound(req.path);
  }
  if (req.method !== 'GET') {
    throw armErrors.methodNotAllowed(req.method);
  }
  const location = normalizeLocation(route.names[0]);
  if (!location) {
    throw new ArmError(400, 'NoRegisteredProviderFound', `No registered resource provider found for location '${route.names[0]}'.`);
  }
  const label = queryParam(req.query, 'domainNameLabel');
  if (label === undefined || label === '') {
    throw armErrors.missingParameter('domainNameLabel');
  }
  checkDnsLabel(label);
  return json(200, { available: !dnsLabelInUse(ctx.core.state, location, label) });
}

export const dnsNameAvailabilityHandler: ResourceTypeHandler = {
  namespace: 'Microsoft.Network',
  type: 'locations',
  apiVersions: API_VERSIONS.network,
  handle,
};
