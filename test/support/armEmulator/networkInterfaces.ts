/** Microsoft.Network/networkInterfaces: ip configurations with private addresses from their subnet. */
import { createHash } from 'node:crypto';
import { sameId, type ArmState } from './armState';
import { etag, networkHandler } from './networkLifecycle';
import { ArmError, newGuid } from './protocol';
import { arr, computeStyleId, ipConfigurationOfPublicIp, props, refId, vmNicReferences, vmUsingNic } from './references';
import type { JsonObject } from './specLibrary';
import { addressInPrefix, nextFreeAddress } from './virtualNetworks';

function subnetOf(state: ArmState, subnetId: string): JsonObject | undefined {
  const vnet = state.get(subnetId.split('/').slice(0, -2).join('/'));
  return vnet ? arr(props(vnet).subnets).find((s) => sameId(s.id, subnetId)) : undefined;
}

function addressesInUse(state: ArmState, subnetId: string, exceptNic: string): Set<string> {
  const used = new Set<string>();
  for (const nic of state.list('Microsoft.Network/networkInterfaces', subnetId.split('/')[2])) {
    if (!sameId(nic.id, exceptNic)) {
      for (const c of arr(props(nic).ipConfigurations)) {
        if (sameId(refId(props(c).subnet), subnetId)) {
          used.add(String(props(c).privateIPAddress));
        }
      }
    }
  }
  return used;
}

function missingReference(path: string): ArmError {
  return new ArmError(400, 'InvalidRequestFormat', `Cannot parse the request. Value for reference id is missing. Path ${path}.`);
}

function notFound(referenced: string, by: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceReference',
    `Resource ${referenced} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  );
}

export const networkInterfacesHandler = networkHandler({
  type: 'networkInterfaces',
  opPrefix: 'NetworkInterfaces',
  topLevel: ['extendedLocation'],
  build(ctx, id, body, existing) {
    const { state } = ctx.core;
    const given = props(structuredClone(body));
    const before = new Map(arr(existing ? props(existing).ipConfigurations : undefined).map((c) => [String(c.name).toLowerCase(), props(c)]));
    const nsg = refId(given.networkSecurityGroup);
    if (nsg && !state.get(nsg)) {
      throw notFound(nsg, id);
    }
    const configs = arr(given.ipConfigurations).map((c, i) => {
      const p = props(c);
      const configId = `${id}/ipConfigurations/${String(c.name)}`;
      const subnetId = refId(p.subnet);
      if (!subnetId) {
        throw missingReference(`properties.ipConfigurations[${i}].properties.subnet`);
      }
      const subnet = subnetOf(state, subnetId);
      if (!subnet) {
        throw notFound(subnetId, id);
      }
      const pip = refId(p.publicIPAddress);
      if (pip && !state.get(pip)) {
        throw notFound(pip, id);
      }
      const pipUser = pip && ipConfigurationOfPublicIp(state, pip);
      if (pipUser && !sameId(pipUser, configId)) {
        throw new ArmError(
          400,
          'PublicIPAddressInUse',
          `Resource ${pip} is referenced by resource ${pipUser} and cannot be referenced by ${configId}.`,
        );
      }
      const prefix = String(props(subnet).addressPrefix ?? '');
      const used = addressesInUse(state, subnetId, id);
      const method = String(p.privateIPAllocationMethod ?? (p.privateIPAddress ? 'Static' : 'Dynamic'));
      let address =
        method.toLowerCase() === 'static'
          ? String(p.privateIPAddress ?? '')
          : String(before.get(String(c.name).toLowerCase())?.privateIPAddress ?? '');
      if (method.toLowerCase() === 'static') {
        if (!addressInPrefix(address, prefix)) {
          throw new ArmError(
            400,
            'PrivateIPAddressNotInSubnet',
            `IP configuration ${configId} is referencing private IP address ${address} which is not in subnet ${subnetId}.`,
          );
        }
        if (used.has(address)) {
          throw new ArmError(
            400,
            'PrivateIPAddressInUse',
            `IP configuration ${configId} is using the private IP address ${address} which is already allocated to another resource.`,
          );
        }
      } else if (!address || used.has(address)) {
        address = nextFreeAddress(prefix, used) ?? '';
        if (!address) {
          throw new ArmError(
            400,
            'SubnetIsFull',
            `Subnet ${String(subnet.name)} with address prefix ${prefix} does not have enough capacity for 1 IP addresses.`,
          );
        }
      }
      const properties: JsonObject = {
        provisioningState: 'Updating',
        privateIPAddressVersion: 'IPv4',
        ...p,
        privateIPAddress: address,
        privateIPAllocationMethod: method.toLowerCase() === 'static' ? 'Static' : 'Dynamic',
        subnet: { id: subnetId },
        primary: p.primary ?? i === 0,
      };
      if (pip) {
        properties.publicIPAddress = { id: pip };
      }
      return { name: c.name, id: configId, etag: etag(), type: 'Microsoft.Network/networkInterfaces/ipConfigurations', properties };
    });
    const hash = createHash('sha256').update(id.toLowerCase()).digest('hex');
    const properties: JsonObject = {
      provisioningState: 'Updating',
      resourceGuid: existing ? String(props(existing).resourceGuid) : newGuid(),
      dnsSettings: { dnsServers: [], appliedDnsServers: [], internalDomainNameSuffix: `${hash.slice(0, 26)}.ax.internal.cloudapp.net` },
      enableAcceleratedNetworking: false,
      vnetEncryptionSupported: false,
      enableIPForwarding: false,
      disableTcpStateTracking: false,
      hostedWorkloads: [],
      tapConfigurations: [],
      nicType: 'Standard',
      auxiliaryMode: 'None',
      auxiliarySku: 'None',
      ...given,
      ipConfigurations: configs,
    };
    if (nsg) {
      properties.networkSecurityGroup = { id: nsg };
    }
    return properties;
  },
  view(core, copy) {
    const vm = vmUsingNic(core.state, String(copy.id));
    if (!vm) {
      return;
    }
    const p = props(copy);
    p.virtualMachine = { id: computeStyleId(String(vm.id)) };
    const refs = vmNicReferences(vm);
    const ref = refs.find((r) => sameId(r.id, copy.id));
    p.primary = refs.length === 1 || props(ref ?? {}).primary === true;
    const hash = createHash('sha256').update(String(copy.id).toLowerCase()).digest('hex').toUpperCase();
    p.macAddress = `00-0D-3A-${hash.slice(0, 2)}-${hash.slice(2, 4)}-${hash.slice(4, 6)}`;
  },
  inUse(core, stored) {
    const vm = vmUsingNic(core.state, String(stored.id));
    return vm
      ? new ArmError(
          400,
          'NicInUse',
          `Network Interface ${String(stored.id)} is used by existing resource ${String(vm.id)}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
        )
      : undefined;
  },
});
