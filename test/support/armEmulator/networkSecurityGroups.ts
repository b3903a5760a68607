/** Microsoft.Network/networkSecurityGroups with their security rules (inline and as child resources). */
import type { HandlerContext } from './emulatorCore';
import { etag, networkHandler } from './networkLifecycle';
import { ArmError, newGuid } from './protocol';
import { arr, nicsUsingNsg, props, subnetsUsingNsg } from './references';
import type { JsonObject } from './specLibrary';

const DEFAULT_RULES: [string, string, string, string, string, number, string][] = [
  ['AllowVnetInBound', 'Allow inbound traffic from all VMs in VNET', 'VirtualNetwork', 'VirtualNetwork', 'Allow', 65000, 'Inbound'],
  ['AllowAzureLoadBalancerInBound', 'Allow inbound traffic from azure load balancer', 'AzureLoadBalancer', '*', 'Allow', 65001, 'Inbound'],
  ['DenyAllInBound', 'Deny all inbound traffic', '*', '*', 'Deny', 65500, 'Inbound'],
  ['AllowVnetOutBound', 'Allow outbound traffic from all VMs to all VMs in VNET', 'VirtualNetwork', 'VirtualNetwork', 'Allow', 65000, 'Outbound'],
  ['AllowInternetOutBound', 'Allow outbound traffic from all VMs to Internet', '*', 'Internet', 'Allow', 65001, 'Outbound'],
  ['DenyAllOutBound', 'Deny all outbound traffic', '*', '*', 'Deny', 65500, 'Outbound'],
];

function buildRule(nsgId: string, name: string, body: JsonObject): JsonObject {
  const p = props(structuredClone(body));
  const priority = Number(p.priority);
  if (!Number.isInteger(priority) || priority < 100 || priority > 4096) {
    throw new ArmError(
      400,
      'SecurityRuleInvalidPriority',
      `Security rule ${name} has invalid Priority ${String(p.priority)}. Value provided: ${String(p.priority)} Allowed values are from 100 to 4096.`,
    );
  }
  // Augmented rules list explicit addresses only; a tag or '*' goes in the singular field.
  for (const [field, parameter] of [
    ['sourceAddressPrefixes', 'SourceAddressPrefixes'],
    ['destinationAddressPrefixes', 'DestinationAddressPrefixes'],
  ] as const) {
    const tag = (Array.isArray(p[field]) ? p[field] : []).map(String).find((v) => !/^[\d.:/a-f]+$/i.test(v));
    if (tag !== undefined) {
      throw new ArmError(
        400,
        'SecurityRuleParameterContainsUnsupportedValue',
        `Security rule parameter ${parameter} for rule with Id ${nsgId}/securityRules/${name} cannot specify existing VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: ${tag}.`,
      );
    }
  }
  return {
    name,
    id: `${nsgId}/securityRules/${name}`,
    etag: etag(),
    type: 'Microsoft.Network/networkSecurityGroups/securityRules',
    properties: {
      provisioningState: 'Updating',
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
      sourcePortRanges: [],
      destinationPortRanges: [],
      ...p,
    },
  };
}

function checkConflicts(rules: JsonObject[]): void {
  const seen = new Map<string, string>();
  for (const r of rules) {
    const p = props(r);
    const key = `${String(p.direction).toLowerCase()}/${String(p.priority)}`;
    const other = seen.get(key);
    if (other) {
      throw new ArmError(
        400,
        'SecurityRuleConflict',
        `Security rule ${String(r.name)} conflicts with rule ${other}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.`,
      );
    }
    seen.set(key, String(r.name));
  }
}

export const networkSecurityGroupsHandler = networkHandler({
  type: 'networkSecurityGroups',
  opPrefix: 'NetworkSecurityGroups',
  child: {
    type: 'securityRules',
    opPrefix: 'SecurityRules',
    property: 'securityRules',
    build(_ctx: HandlerContext, parent, id, name, body) {
      const rule = buildRule(String(parent.id), name, body);
      rule.id = id;
      checkConflicts([...arr(props(parent).securityRules).filter((r) => String(r.name).toLowerCase() !== name.toLowerCase()), rule]);
      return rule;
    },
  },
  build(_ctx, id, body, existing) {
    const given = props(structuredClone(body));
    const rules = arr(given.securityRules).map((r) => buildRule(id, String(r.name), r));
    checkConflicts(rules);
    return {
      provisioningState: 'Updating',
      resourceGuid: existing ? String(props(existing).resourceGuid) : newGuid(),
      ...given,
      securityRules: rules,
      defaultSecurityRules: DEFAULT_RULES.map(([name, description, source, destination, access, priority, direction]) => ({
        name,
        id: `${id}/defaultSecurityRules/${name}`,
        etag: etag(),
        type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
        properties: {
          provisioningState: 'Updating',
          description,
          protocol: '*',
          sourcePortRange: '*',
          destinationPortRange: '*',
          sourceAddressPrefix: source,
          destinationAddressPrefix: destination,
          access,
          priority,
          direction,
          sourceAddressPrefixes: [],
          destinationAddressPrefixes: [],
          sourcePortRanges: [],
          destinationPortRanges: [],
        },
      })),
    };
  },
  view(core, copy) {
    const nics = nicsUsingNsg(core.state, String(copy.id));
    const subnets = subnetsUsingNsg(core.state, String(copy.id));
    if (nics.length > 0) {
      props(copy).networkInterfaces = nics.map((id) => ({ id }));
    }
    if (subnets.length > 0) {
      props(copy).subnets = subnets.map((id) => ({ id }));
    }
  },
  inUse(core, stored) {
    const users = [...nicsUsingNsg(core.state, String(stored.id)), ...subnetsUsingNsg(core.state, String(stored.id))];
    return users.length === 0
      ? undefined
      : new ArmError(
          400,
          'InUseNetworkSecurityGroupCannotBeDeleted',
          `Network security group ${String(stored.id)} cannot be deleted because it is in use by the following resources: ${users.join(', ')}. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.`,
        );
  },
});
