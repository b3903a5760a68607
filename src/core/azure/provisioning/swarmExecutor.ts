import { buildCloudConfig, encodeCustomData, type SshHostKey } from './cloudInit';
import { ProvisioningRun, settleAll, type ProvisionDeps } from './executor';
import { vmBody } from './plan';
import type { SwarmNodePlan, SwarmPlan, SwarmRole } from './swarmPlan';

export interface SwarmProvisionDeps extends Omit<ProvisionDeps, 'sshHostKey' | 'makeServerTls'> {
  /** Each node's daemon certificates, made once its public IP is known. */
  makeServerTls: NonNullable<ProvisionDeps['makeServerTls']>;
  /** The host key each node's sshd is given, so the extension knows it before it connects. */
  sshHostKeyFor?: (hostName: string) => SshHostKey;
}

export interface ProvisionedNode {
  hostName: string;
  role: SwarmRole;
  vmId: string;
  publicIp: string;
  /** The NIC's address in the shared subnet: where the other nodes reach this one. */
  privateIp: string;
}

function addressOf(ip: unknown, hostName: string): string {
  const address = (ip as { ipAddress?: string }).ipAddress;
  if (!address) {
    throw new Error(`The public IP address of ${hostName} was created without an address.`);
  }
  return address;
}

interface CreatedNic {
  ipConfigurations?: { privateIPAddress?: string }[];
}

/**
 * Creates the swarm's VMs, then hands them to `formSwarm` (wait for the daemons, init, join). The
 * shared pieces and every public IP are created together, then each node's NIC and VM, nodes side
 * by side. A failure anywhere, `formSwarm` included, rolls back exactly what this run created, as
 * single-host provisioning does; a VM that is there cannot be half a swarm the user did not ask for.
 */
export async function executeSwarmProvisioning<T>(
  plan: SwarmPlan,
  deps: SwarmProvisionDeps,
  formSwarm: (nodes: ProvisionedNode[]) => Promise<T>,
): Promise<T> {
  const req = plan.request;
  const run = new ProvisioningRun({ ...req, name: req.swarmName, nameKind: 'swarm name' }, deps);
  try {
    await run.requireFreeNames([plan.vnet, plan.nsg, ...plan.nodes.flatMap((n) => [n.publicIp, n.nic, n.vm, n.osDisk])]);
    if (plan.group) {
      await run.createGroup(plan.group);
    }
    const created = await run.createTogether([plan.vnet, plan.nsg, ...plan.nodes.map((n) => n.publicIp)]);
    const addresses = created.slice(2).map((ip, i) => addressOf(ip, plan.nodes[i].host.hostName));
    const nodes = await settleAll(plan.nodes.map((node, i) => createNode(run, deps, node, addresses[i])));
    return await formSwarm(nodes);
  } catch (err) {
    throw await run.fail(err, `create swarm ${req.swarmName}`);
  }
}

async function createNode(run: ProvisioningRun, deps: SwarmProvisionDeps, node: SwarmNodePlan, publicIp: string): Promise<ProvisionedNode> {
  const { host } = node;
  deps.onEvent({ kind: 'message', text: `${host.hostName}: creating the daemon certificates…` });
  const tls = await deps.makeServerTls({ ipAddresses: [publicIp], dnsNames: [] });
  const customData = encodeCustomData(
    buildCloudConfig({ adminUser: host.adminUser, access: 'tls', tls, sshHostKey: deps.sshHostKeyFor?.(host.hostName) }),
  );
  const nic = (await run.create(node.nic)) as CreatedNic;
  const privateIp = nic.ipConfigurations?.[0]?.privateIPAddress;
  if (!privateIp) {
    throw new Error(`The network interface of ${host.hostName} was created without a private address.`);
  }
  await run.create(node.vm, vmBody(host, node.nic.id, customData));
  return { hostName: host.hostName, role: node.role, vmId: node.vm.id, publicIp, privateIp };
}

/**
 * One more node for a swarm on Azure, in the swarm's group, subnet and NSG, which it only refers
 * to: its public IP, NIC and VM, then `join`. A failure anywhere, the join included, removes those
 * three (the disk goes with the VM) and nothing else.
 */
export async function executeSwarmNodeProvisioning<T>(
  node: SwarmNodePlan,
  deps: SwarmProvisionDeps,
  join: (node: ProvisionedNode) => Promise<T>,
): Promise<T> {
  const { host } = node;
  const run = new ProvisioningRun({ ...host, createResourceGroup: false, name: host.hostName, nameKind: 'node name' }, deps);
  try {
    await run.requireFreeNames([node.publicIp, node.nic, node.vm, node.osDisk]);
    const [ip] = await run.createTogether([node.publicIp]);
    return await join(await createNode(run, deps, node, addressOf(ip, host.hostName)));
  } catch (err) {
    throw await run.fail(err, `add ${host.hostName}`);
  }
}
