/** Microsoft.Network/publicIPAddresses: addresses, DNS labels (unique per region, see dnsLabels.ts), Basic/Standard defaults. */
import { checkDnsLabel, dnsLabelInUse, fqdnOf } from './dnsLabels';
import { networkHandler } from './networkLifecycle';
import { ArmError, newGuid } from './protocol';
import { ipConfigurationOfPublicIp, nicOfIpConfiguration, props, vmUsingNic } from './references';
import { isObject, type JsonObject } from './specLibrary';
import type { ArmState } from './armState';

/** A unique, stable public address for the emulator's lifetime (20.100.0.10 onwards). */
function allocateAddress(state: ArmState): string {
  const counter = state.hiddenState<{ next?: number }>('/emulator/publicIpAddresses');
  const n = counter.next ?? 10;
  counter.next = n + 1;
  // Loopback, not a real Azure range: a test that connects to a VM by mistake must not send
  // traffic off this machine (and gets a prompt "connection refused").
  return `127.${100 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

export const publicIpAddressesHandler = networkHandler({
  type: 'publicIPAddresses',
  opPrefix: 'PublicIPAddresses',
  topLevel: ['zones', 'extendedLocation'],
  build(ctx, id, body, existing, envelope) {
    const { state } = ctx.core;
    const given = props(structuredClone(body));
    const sku: JsonObject = isObject(body.sku) ? { tier: 'Regional', ...body.sku } : { name: 'Basic', tier: 'Regional' };
    envelope.sku = sku;
    const standard = String(sku.name).toLowerCase().startsWith('standard');
    const allocation = String(given.publicIPAllocationMethod ?? (standard ? 'Static' : 'Dynamic'));
    const location = String(envelope.location);
    const properties: JsonObject = {
      provisioningState: 'Updating',
      resourceGuid: existing ? String(props(existing).resourceGuid) : newGuid(),
      publicIPAddressVersion: 'IPv4',
      idleTimeoutInMinutes: 4,
      ipTags: [],
      ...given,
      publicIPAllocationMethod: allocation,
    };
    if (standard) {
      properties.ddosSettings = { protectionMode: 'VirtualNetworkInherited' };
    }
    const dns = isObject(given.dnsSettings) ? given.dnsSettings : undefined;
    if (dns && typeof dns.domainNameLabel === 'string') {
      const label = dns.domainNameLabel;
      checkDnsLabel(label);
      const fqdn = fqdnOf(label, location);
      if (dnsLabelInUse(state, location, label, id)) {
        throw new ArmError(400, 'DnsRecordInUse', `DNS record ${fqdn} is already used by another public IP.`);
      }
      properties.dnsSettings = { ...dns, fqdn };
    }
    const hidden = state.hiddenState<{ address?: string }>(id);
    hidden.address ??= typeof given.ipAddress === 'string' ? given.ipAddress : (ctx.core.guests?.publicIpAddress?.(id) ?? allocateAddress(state));
    delete properties.ipAddress;
    if (allocation.toLowerCase() === 'static') {
      properties.ipAddress = hidden.address;
    }
    return properties;
  },
  view(core, copy) {
    const ipConfiguration = ipConfigurationOfPublicIp(core.state, String(copy.id));
    const p = props(copy);
    if (!ipConfiguration) {
      return;
    }
    p.ipConfiguration = { id: ipConfiguration };
    // A dynamic address exists only while the VM behind it is allocated.
    const nic = nicOfIpConfiguration(core.state, ipConfiguration);
    const vm = nic && vmUsingNic(core.state, String(nic.id));
    const power = vm ? core.state.hiddenState<{ power?: string }>(String(vm.id)).power : undefined;
    if (String(p.publicIPAllocationMethod).toLowerCase() === 'dynamic' && vm && power !== 'deallocated' && power !== 'deallocating') {
      p.ipAddress = core.state.hiddenState<{ address?: string }>(String(copy.id)).address ?? '';
    }
  },
  inUse(core, stored) {
    const user = ipConfigurationOfPublicIp(core.state, String(stored.id));
    return user
      ? new ArmError(
          400,
          'PublicIPAddressCannotBeDeleted',
          `Public IP address ${String(stored.id)} can not be deleted since it is still allocated to resource ${user}. In order to delete the public IP, disassociate/detach the Public IP address from the resource. To learn how to do this, see aka.ms/deletepublicip.`,
        )
      : undefined;
  },
});
