import { parseArmId, sameArmId } from './armIds';
import { DaemonAccess, isProvisionedHost, tagValue, TAG_ADMIN_USER, TAG_DAEMON } from './hostTags';

/** The parts of ARM's VM, NIC and public IP shapes discovery reads (the SDK types are supersets). */
export interface ArmVm {
  id?: string;
  name?: string;
  location: string;
  tags?: Record<string, string>;
  hardwareProfile?: { vmSize?: string };
  storageProfile?: { osDisk?: { name?: string; osType?: string; managedDisk?: { id?: string }; diskSizeGB?: number } };
  osProfile?: { adminUsername?: string; computerName?: string };
  networkProfile?: { networkInterfaces?: { id?: string; primary?: boolean }[] };
  instanceView?: { statuses?: { code?: string; displayStatus?: string; time?: Date | string }[]; extensions?: { name?: string; type?: string }[] };
  provisioningState?: string;
  /** The VM's extensions: whole models on a GET, ids alone in a list. */
  resources?: { id?: string; publisher?: string; typePropertiesType?: string }[];
}

export interface ArmNic {
  id?: string;
  networkSecurityGroup?: { id?: string };
  ipConfigurations?: { privateIPAddress?: string; publicIPAddress?: { id?: string }; primary?: boolean }[];
  virtualMachine?: { id?: string };
}

export interface ArmPublicIp {
  id?: string;
  ipAddress?: string;
  dnsSettings?: { fqdn?: string };
}

export type PowerState = 'running' | 'starting' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated' | 'restarting' | 'unknown';

export interface AzureVm {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  vmSize: string;
  powerState: PowerState;
  /** When ARM last changed the power state, if it said. */
  powerStateSince?: string;
  publicIp?: string;
  fqdn?: string;
  privateIp?: string;
  tags: Record<string, string>;
  adminUsername?: string;
  /** `Linux` or `Windows`, as Azure read it from the image. */
  osType?: string;
  osDiskId?: string;
  osDiskName?: string;
  osDiskSizeGb?: number;
  nicIds: string[];
  publicIpIds: string[];
  nsgIds: string[];
  /** Provisioned by this extension (tagged), with how its daemon is reached. */
  provisioned?: { daemon: DaemonAccess; adminUser?: string };
  /** Carries the retired Docker VM extension, which set up a mutual-TLS daemon on 2376. */
  legacyDockerExtension?: boolean;
}

const LEGACY_PUBLISHER = 'microsoft.azure.extensions';
const LEGACY_TYPE = 'dockerextension';

/**
 * Whether the retired DockerExtension is on the VM. A running VM's agent names it by type in the
 * status listing; a list gives extensions by id alone and a stopped VM's agent reports nothing, so
 * there it is known by its resource name, DockerExtension, the name Azure's own documented template
 * for the extension gave it.
 */
export function hasLegacyDockerExtension(vm: Pick<ArmVm, 'instanceView' | 'resources'>): boolean {
  const byType = (vm.instanceView?.extensions ?? []).some((e) => e.type?.toLowerCase() === `${LEGACY_PUBLISHER}.${LEGACY_TYPE}`);
  const byModel = (vm.resources ?? []).some((r) =>
    r.publisher || r.typePropertiesType ? isLegacyDockerExtension(r) : r.id?.toLowerCase().endsWith(`/extensions/${LEGACY_TYPE}`),
  );
  return byType || byModel;
}

/** An extension model (as the extensions list gives it, whole) of the retired DockerExtension. */
export function isLegacyDockerExtension(e: { publisher?: string; typePropertiesType?: string }): boolean {
  return e.publisher?.toLowerCase() === LEGACY_PUBLISHER && e.typePropertiesType?.toLowerCase() === LEGACY_TYPE;
}

const POWER_STATES = new Set<PowerState>(['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated', 'restarting']);

/** `PowerState/running` → running; a VM being created or deleted reads from its provisioning state. */
export function powerStateOf(vm: Pick<ArmVm, 'instanceView' | 'provisioningState'>): { state: PowerState; since?: string } {
  const status = vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'));
  const state = status?.code?.slice('PowerState/'.length).toLowerCase() as PowerState | undefined;
  if (state && POWER_STATES.has(state)) {
    return { state, since: status?.time ? new Date(status.time).toISOString() : undefined };
  }
  if (vm.provisioningState === 'Creating') {
    return { state: 'starting' };
  }
  return { state: 'unknown' };
}

/**
 * Joins VMs with the NICs and public IPs listed for the whole subscription, so resolving every
 * address costs no call per VM.
 */
export function toAzureVms(vms: readonly ArmVm[], nics: readonly ArmNic[], publicIps: readonly ArmPublicIp[]): AzureVm[] {
  const nicById = new Map(nics.filter((n) => n.id).map((n) => [n.id!.toLowerCase(), n]));
  const ipById = new Map(publicIps.filter((p) => p.id).map((p) => [p.id!.toLowerCase(), p]));
  return vms
    .filter((vm) => vm.id && vm.name)
    .map((vm): AzureVm => {
      const { subscriptionId, resourceGroup } = parseArmId(vm.id!);
      const refs = vm.networkProfile?.networkInterfaces ?? [];
      const ordered = [...refs].sort((a, b) => Number(!!b.primary) - Number(!!a.primary));
      const vmNics = ordered.map((r) => (r.id ? nicById.get(r.id.toLowerCase()) : undefined)).filter((n): n is ArmNic => !!n);
      const publicIpIds = vmNics.flatMap((n) => (n.ipConfigurations ?? []).map((c) => c.publicIPAddress?.id).filter((id): id is string => !!id));
      const primaryIp = publicIpIds.map((id) => ipById.get(id.toLowerCase())).find((p) => p);
      const { state, since } = powerStateOf(vm);
      const daemon = tagValue(vm.tags, TAG_DAEMON);
      const osDiskId = vm.storageProfile?.osDisk?.managedDisk?.id;
      return {
        id: vm.id!,
        name: vm.name!,
        subscriptionId,
        resourceGroup,
        location: vm.location,
        vmSize: vm.hardwareProfile?.vmSize ?? 'unknown size',
        powerState: state,
        powerStateSince: since,
        publicIp: primaryIp?.ipAddress,
        fqdn: primaryIp?.dnsSettings?.fqdn,
        privateIp: vmNics[0]?.ipConfigurations?.[0]?.privateIPAddress,
        tags: vm.tags ?? {},
        adminUsername: vm.osProfile?.adminUsername,
        osType: vm.storageProfile?.osDisk?.osType,
        osDiskId,
        osDiskName: vm.storageProfile?.osDisk?.name,
        osDiskSizeGb: vm.storageProfile?.osDisk?.diskSizeGB,
        nicIds: refs.map((r) => r.id).filter((id): id is string => !!id),
        publicIpIds,
        nsgIds: [...new Set(vmNics.map((n) => n.networkSecurityGroup?.id).filter((id): id is string => !!id))],
        provisioned: isProvisionedHost(vm.tags)
          ? { daemon: daemon === 'tls' ? 'tls' : 'ssh', adminUser: tagValue(vm.tags, TAG_ADMIN_USER) ?? vm.osProfile?.adminUsername }
          : undefined,
        legacyDockerExtension: hasLegacyDockerExtension(vm) || undefined,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** NSGs some other NIC still uses must survive deleting this VM. */
export function nsgsOnlyUsedBy(vm: AzureVm, nics: readonly ArmNic[]): string[] {
  return vm.nsgIds.filter((nsg) => !nics.some((n) => sameArmId(n.networkSecurityGroup?.id, nsg) && !vm.nicIds.some((own) => sameArmId(own, n.id))));
}
