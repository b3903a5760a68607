/** Builds a core with every resource provider registered and a first tenant, subscription and service principal. */
import { randomBytes } from 'node:crypto';
import { containerRegistriesHandler } from './containerRegistries';
import { disksHandler } from './disks';
import { dnsNameAvailabilityHandler, FOREIGN_DNS_LABELS } from './dnsLabels';
import { EmulatorCore } from './emulatorCore';
import { networkInterfacesHandler } from './networkInterfaces';
import { networkSecurityGroupsHandler } from './networkSecurityGroups';
import { newGuid } from './protocol';
import { publicIpAddressesHandler } from './publicIpAddresses';
import { handleArmRoute } from './resourceManager';
import { SpecLibrary } from './specLibrary';
import { virtualMachinesHandler } from './virtualMachines';
import { virtualNetworksHandler } from './virtualNetworks';

export function addTenant(core: EmulatorCore, t: { tenantId?: string; displayName?: string } = {}): string {
  const tenantId = t.tenantId ?? newGuid();
  const n = core.state.tenants.size + 1;
  const displayName = t.displayName ?? `Emulated Tenant ${n}`;
  const slug = displayName.toLowerCase().replace(/[^a-z0-9]/g, '') || `tenant${n}`;
  core.state.tenants.set(tenantId.toLowerCase(), { tenantId, displayName, defaultDomain: `${slug}.onmicrosoft.com` });
  return tenantId;
}

export function addSubscription(core: EmulatorCore, s: { subscriptionId?: string; displayName: string; tenantId?: string }): string {
  const tenantId = s.tenantId ?? core.defaultTenantId;
  if (!core.state.tenant(tenantId)) {
    throw new Error(`addSubscription: tenant ${tenantId} does not exist (addTenant first)`);
  }
  const subscriptionId = s.subscriptionId ?? newGuid();
  core.state.subscriptions.set(subscriptionId.toLowerCase(), {
    subscriptionId,
    displayName: s.displayName,
    tenantId: core.state.tenant(tenantId)!.tenantId,
  });
  return subscriptionId;
}

export interface CoreSetup {
  core: EmulatorCore;
  clientId: string;
  clientSecret: string;
}

/** A ready core; the service principal is registered in every tenant (a multi-tenant app). */
export function createEmulatorCore(baseUrl: () => string, specs = new SpecLibrary()): CoreSetup {
  const core = new EmulatorCore(baseUrl, specs, handleArmRoute);
  core.register(
    virtualMachinesHandler,
    disksHandler,
    virtualNetworksHandler,
    networkSecurityGroupsHandler,
    publicIpAddressesHandler,
    networkInterfacesHandler,
    containerRegistriesHandler,
    dnsNameAvailabilityHandler,
  );
  for (const { location, label } of FOREIGN_DNS_LABELS) {
    core.state.foreignDnsLabels.add(`${location}/${label}`);
  }
  core.defaultTenantId = addTenant(core, { displayName: 'Contoso' });
  addSubscription(core, { displayName: 'Contoso Development' });
  const clientId = newGuid();
  const clientSecret = `Emu8Q~${randomBytes(27).toString('base64url')}`;
  core.identity.principals.set(clientId.toLowerCase(), { clientId, clientSecret, objectId: newGuid() });
  return { core, clientId, clientSecret };
}
