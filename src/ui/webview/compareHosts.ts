import type { AzureFacts } from '../../core/compare/hostFigures';
import { errorText } from '../../core/docker/errors';
import type { CompareHost } from '../../core/compare/compareController';
import type { DockerHostSession } from '../../core/docker/hostSession';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import { discoverSwarms } from '../../core/swarm/swarmDiscovery';
import type { VmStartLog } from '../azure/vmStartLog';
import { AzureHostNode } from '../tree/azureNodes';
import type { AzureHostsView } from '../tree/azureHostsView';
import { HostNode } from '../tree/hostNodes';

/** The page's key for the host a tree node stands for (Azure hosts share their Docker spec's id). */
export function compareHostKey(node: unknown): string | undefined {
  if (node instanceof HostNode) {
    return node.hostId;
  }
  if (node instanceof AzureHostNode) {
    return `azure:${node.vm.id.toLowerCase()}`;
  }
  return undefined;
}

function dockerOf(session: DockerHostSession): CompareHost['docker'] {
  return { engine: () => session.connect().docker, snapshot: () => session.current() };
}

async function azureFacts(view: AzureHostsView, node: AzureHostNode, starts: VmStartLog): Promise<AzureFacts> {
  const { vm, subscription } = node;
  const facts: AzureFacts = { vmSize: vm.vmSize, osDiskGb: vm.osDiskSizeGb, startsMs: starts.get(vm.id) };
  const clients = view.currentInventory().clients(subscription);
  try {
    for await (const size of clients.compute.virtualMachineSizes.list(vm.location)) {
      if (size.name?.toLowerCase() === vm.vmSize.toLowerCase()) {
        facts.vCpus = size.numberOfCores;
        facts.memoryMb = size.memoryInMB;
        break;
      }
    }
    facts.sizeReason = facts.vCpus ? undefined : `${vm.location} does not list this size.`;
  } catch (err) {
    facts.sizeReason = `its vCPUs and memory could not be read from Azure (${errorText(err)}).`;
  }
  if (!facts.osDiskGb && vm.osDiskName) {
    // A VM created from a platform image may leave the size to the disk resource.
    facts.osDiskGb = (await clients.compute.disks.get(vm.resourceGroup, vm.osDiskName).catch(() => undefined))?.diskSizeGB;
  }
  return facts;
}

function azureHost(view: AzureHostsView, catalog: HostCatalog, node: AzureHostNode, starts: VmStartLog): CompareHost {
  const { vm } = node;
  const key = compareHostKey(node)!;
  const session = catalog.get(key);
  return {
    option: { key, label: vm.name, description: `Azure VM · ${vm.vmSize} · ${vm.powerState}` },
    docker: session ? dockerOf(session) : undefined,
    noDockerReason: !node.daemonAddress
      ? 'The VM has no public address, so its Docker engine cannot be reached from here.'
      : `The VM is ${vm.powerState}: start it to measure its containers.`,
    azure: () => azureFacts(view, node, starts),
  };
}

/**
 * Every host of the catalog: other hosts first, then the Azure Docker host VMs the view has listed
 * (stopped ones too, whose Azure facts can still be compared).
 */
export async function compareHosts(catalog: HostCatalog, azure: AzureHostsView, starts: VmStartLog): Promise<CompareHost[]> {
  const others = (await catalog.loadAll())
    .filter((s) => s.spec.source !== 'azure')
    .map((s): CompareHost => ({
      option: { key: s.spec.id, label: s.spec.name, description: s.spec.address },
      docker: dockerOf(s),
    }));
  return [...others, ...azure.listedHosts().map((n) => azureHost(azure, catalog, n, starts))];
}

/** How many swarms the catalog's hosts (Azure ones included) belong to. */
export async function compareSwarmCount(catalog: HostCatalog): Promise<number> {
  return (await discoverSwarms(await catalog.loadAll())).length;
}
