/**
 * A swarm's VMs as data: one group, one VNet and one NSG shared by every node, then per node a
 * public IP, a NIC in the shared subnet and a VM made as a provisioned host is (same tags, so each
 * node is a Docker host of its own). The daemon is reached with mutual TLS on 2376, as the
 * extension joins the nodes through its own connection to each daemon.
 */
import { SWARM_GOSSIP_PORT, SWARM_MANAGER_PORT, SWARM_OVERLAY_PORT } from '../../swarm/joinSwarm';
import { TAG_PART_OF } from '../hostTags';
import { validateHostName } from './naming';
import {
  armIds,
  hostResourceNames,
  ImageKey,
  inboundRule,
  NamedResource,
  nicBody,
  PlannedResource,
  plannedGroup,
  ProvisionRequest,
  publicIpBody,
  RESOURCE_KINDS,
  type ResourceKey,
  userInboundRules,
  vmBody,
  vnetBody,
} from './plan';

export type SwarmRole = 'manager' | 'worker';

export interface SwarmProvisionRequest {
  subscriptionId: string;
  location: string;
  resourceGroup: string;
  createResourceGroup: boolean;
  swarmName: string;
  /** 1 or 3: a swarm keeps quorum with a majority of its managers. */
  managers: number;
  workers: number;
  vmSize: string;
  image: ImageKey;
  adminUser: string;
  sshPublicKey: string;
  /** IPv4 address or CIDR allowed inbound to SSH and 2376. */
  sourceRange: string;
}

export interface SwarmNodePlan {
  role: SwarmRole;
  /** The host request this node is made from (its name, size, image, admin and key). */
  host: ProvisionRequest;
  publicIp: PlannedResource;
  nic: PlannedResource;
  vm: PlannedResource;
  osDisk: NamedResource;
}

export interface SwarmPlan {
  request: SwarmProvisionRequest;
  group?: PlannedResource;
  vnet: PlannedResource;
  nsg: PlannedResource;
  /** Managers first: the first one initialises the swarm. */
  nodes: SwarmNodePlan[];
}

export const MAX_SWARM_WORKERS = 20;

/** The longest node suffix (`-w20`) must still leave a valid host name. */
const LONGEST_SUFFIX = `-w${MAX_SWARM_WORKERS}`.length;

export function validateSwarmName(name: string): string | undefined {
  if (name.length + LONGEST_SUFFIX > 63) {
    return `Use at most ${63 - LONGEST_SUFFIX} characters: the nodes are named ${name.slice(0, 8)}…-m1, -w1 and so on.`;
  }
  return validateHostName(name);
}

export function validateWorkerCount(value: string): string | undefined {
  return /^\d+$/.test(value.trim()) && Number(value) <= MAX_SWARM_WORKERS ? undefined : `Enter a whole number from 0 to ${MAX_SWARM_WORKERS}.`;
}

/**
 * The swarm's own ports, open only between the cluster's VMs (source `VirtualNetwork`, never the
 * internet): Azure's default AllowVnetInBound admits them too, but that one is lost to the first
 * "deny all" rule a user adds; these name what the swarm needs.
 */
export function swarmInboundRules(): Record<string, unknown>[] {
  return [
    inboundRule('SwarmManagement', SWARM_MANAGER_PORT, 1100, 'VirtualNetwork'),
    inboundRule('SwarmGossipTcp', SWARM_GOSSIP_PORT, 1110, 'VirtualNetwork'),
    inboundRule('SwarmGossipUdp', SWARM_GOSSIP_PORT, 1120, 'VirtualNetwork', 'Udp'),
    inboundRule('SwarmOverlay', SWARM_OVERLAY_PORT, 1130, 'VirtualNetwork', 'Udp'),
  ];
}

/** The names of a swarm's nodes: `<swarm>-m1`…, then `<swarm>-w1`…. */
export function swarmNodeNames(swarmName: string, managers: number, workers: number): { name: string; role: SwarmRole }[] {
  return [
    ...Array.from({ length: managers }, (_, i) => ({ name: `${swarmName}-m${i + 1}`, role: 'manager' as const })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `${swarmName}-w${i + 1}`, role: 'worker' as const })),
  ];
}

/** The names of the swarm's shared pieces. */
export function swarmSharedNames(swarmName: string): { vnet: string; nsg: string } {
  return { vnet: `${swarmName}-vnet`, nsg: `${swarmName}-nsg` };
}

export function planSwarmProvisioning(req: SwarmProvisionRequest): SwarmPlan {
  if (req.managers !== 1 && req.managers !== 3) {
    throw new Error(`A swarm on Azure has 1 or 3 managers, not ${req.managers}.`);
  }
  if (!Number.isInteger(req.workers) || req.workers < 0 || req.workers > MAX_SWARM_WORKERS) {
    throw new Error(`A swarm on Azure has 0 to ${MAX_SWARM_WORKERS} workers, not ${req.workers}.`);
  }
  const at = armIds(req.subscriptionId, req.resourceGroup);
  const shared = swarmSharedNames(req.swarmName);
  const sharedTags = { [TAG_PART_OF]: req.swarmName };
  const afterGroup = req.createResourceGroup ? (['resourceGroup'] as const) : [];
  const vnet: PlannedResource = {
    key: 'vnet',
    id: at.network('virtualNetworks', shared.vnet),
    name: shared.vnet,
    ...RESOURCE_KINDS.vnet,
    dependsOn: [...afterGroup],
    body: vnetBody(req.location, sharedTags),
  };
  const nsg: PlannedResource = {
    key: 'nsg',
    id: at.network('networkSecurityGroups', shared.nsg),
    name: shared.nsg,
    ...RESOURCE_KINDS.nsg,
    dependsOn: [...afterGroup],
    body: {
      location: req.location,
      tags: sharedTags,
      properties: { securityRules: [...userInboundRules(req.sourceRange, 'tls'), ...swarmInboundRules()] },
    },
  };
  const nodes = swarmNodeNames(req.swarmName, req.managers, req.workers).map(({ name, role }) =>
    planSwarmNode(req, name, role, { vnet: vnet.id, nsg: nsg.id }, [...afterGroup]),
  );
  return {
    request: req,
    group: req.createResourceGroup ? plannedGroup(req.subscriptionId, req.resourceGroup, req.location, req.swarmName) : undefined,
    vnet,
    nsg,
    nodes,
  };
}

/** What a node is made of besides its name: the swarm's own group, region, size, image and admin key. */
export type SwarmNodeBase = Pick<
  SwarmProvisionRequest,
  'subscriptionId' | 'location' | 'resourceGroup' | 'swarmName' | 'vmSize' | 'image' | 'adminUser' | 'sshPublicKey'
>;

/** One node: its public IP, a NIC in the swarm's subnet behind its NSG, and a VM made as a provisioned host is. */
function planSwarmNode(
  req: SwarmNodeBase,
  name: string,
  role: SwarmRole,
  shared: { vnet: string; nsg: string },
  afterGroup: ResourceKey[],
): SwarmNodePlan {
  const at = armIds(req.subscriptionId, req.resourceGroup);
  const names = hostResourceNames(name);
  const partOf = { [TAG_PART_OF]: name };
  const host: ProvisionRequest = {
    subscriptionId: req.subscriptionId,
    location: req.location,
    resourceGroup: req.resourceGroup,
    createResourceGroup: false,
    hostName: name,
    // No public DNS names: labels are unique across Azure, and the nodes are reached by address.
    dnsLabel: '',
    vmSize: req.vmSize,
    image: req.image,
    adminUser: req.adminUser,
    sshPublicKey: req.sshPublicKey,
    access: 'tls',
    // The swarm's one NSG holds the rules; a node makes none of its own.
    sourceRange: '',
    swarm: req.swarmName,
  };
  const publicIpId = at.network('publicIPAddresses', names.publicIp);
  const nicId = at.network('networkInterfaces', names.nic);
  return {
    role,
    host,
    publicIp: {
      key: 'publicIp',
      id: publicIpId,
      name: names.publicIp,
      ...RESOURCE_KINDS.publicIp,
      dependsOn: afterGroup,
      body: publicIpBody(req.location, partOf),
    },
    nic: {
      key: 'nic',
      id: nicId,
      name: names.nic,
      ...RESOURCE_KINDS.nic,
      dependsOn: ['vnet', 'nsg', 'publicIp'],
      body: nicBody(req.location, partOf, { ...shared, publicIp: publicIpId }),
    },
    vm: { key: 'vm', id: at.compute('virtualMachines', name), name, ...RESOURCE_KINDS.vm, dependsOn: ['nic'], body: vmBody(host, nicId, '') },
    osDisk: { id: at.compute('disks', names.osDisk), name: names.osDisk, ...RESOURCE_KINDS.osDisk },
  };
}

/**
 * One more worker for a swarm Create Swarm on Azure made, named `hostName`: in the swarm's group,
 * subnet and NSG, which stay as they are (the NIC only refers to them).
 */
export function planSwarmWorker(base: SwarmNodeBase, hostName: string): SwarmNodePlan {
  const at = armIds(base.subscriptionId, base.resourceGroup);
  const shared = swarmSharedNames(base.swarmName);
  return planSwarmNode(
    base,
    hostName,
    'worker',
    {
      vnet: at.network('virtualNetworks', shared.vnet),
      nsg: at.network('networkSecurityGroups', shared.nsg),
    },
    [],
  );
}
