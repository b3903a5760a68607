import type { DockerHostSpec, TlsFiles } from '../docker/hostSpec';

/** Client TLS material of a host this extension provisioned (kept in SecretStorage). */
export interface ClientTlsPem {
  ca: string;
  cert: string;
  key: string;
}
import { tagValue, TAG_SWARM } from './hostTags';
import type { AzureVm } from './vmModel';

/** How the user said to reach the daemon of a VM they marked as a Docker host. */
export type HostMark =
  | { access: 'ssh'; user: string; port?: number; identityFile?: string }
  /** No `tls` files: the client material is in SecretStorage, made here when Docker was installed with TLS. */
  | { access: 'tls'; port: number; tls?: TlsFiles };

/** Whether the VM's client TLS material is the one this machine made and keeps in SecretStorage. */
export function tlsFromSecrets(vm: AzureVm, mark: HostMark | undefined): boolean {
  return mark ? mark.access === 'tls' && !mark.tls : vm.provisioned?.daemon === 'tls';
}

export function isDockerHost(vm: AzureVm, mark: HostMark | undefined): boolean {
  return !!vm.provisioned || !!mark || !!vm.legacyDockerExtension;
}

/**
 * A VM the retired DockerExtension set up has a TLS daemon on 2376 whose certificates only the
 * user holds: it is listed as a host, and reached once they point at them (a TLS mark).
 */
export function awaitsCertificates(vm: AzureVm, mark: HostMark | undefined): boolean {
  return !!vm.legacyDockerExtension && !vm.provisioned && !mark;
}

/**
 * The connection the Docker layer uses for an Azure VM: its DNS name (else public IP) over SSH as
 * the admin user, or mutual TLS on the daemon port (2376 with no material yet for a VM that
 * `awaitsCertificates`). Undefined when the VM has no public address.
 * `provisionedKey` is the key file provisioning left for the VM on this machine, if any: an SSH
 * host with no mark takes it (the mark, which names the key, stays in the profile that provisioned it).
 */
export function dockerSpecForVm(
  vm: AzureVm,
  mark: HostMark | undefined,
  provisionedTls?: ClientTlsPem,
  provisionedKey?: string,
): DockerHostSpec | undefined {
  // The static IP first: it is what the host's certificate names for sure, and needs no DNS.
  const address = vm.publicIp ?? vm.fqdn;
  if (!address) {
    return undefined;
  }
  const base = {
    id: azureHostId(vm.id),
    name: vm.name,
    source: 'azure' as const,
    description: `${vm.vmSize} · ${vm.location}`,
    ...(tagValue(vm.tags, TAG_SWARM) ? { swarmOnAzure: tagValue(vm.tags, TAG_SWARM) } : {}),
  };
  if (mark?.access === 'tls' || (!mark && (vm.provisioned?.daemon === 'tls' || awaitsCertificates(vm, mark)))) {
    const port = mark?.access === 'tls' ? mark.port : 2376;
    return mark?.access === 'tls' && mark.tls
      ? { ...base, address: `tcp://${address}:${port}`, tls: mark.tls }
      : { ...base, address: `tcp://${address}:${port}`, tlsPem: provisionedTls };
  }
  const user = mark?.access === 'ssh' ? mark.user : (vm.provisioned?.adminUser ?? vm.adminUsername ?? 'azureuser');
  const port = mark?.access === 'ssh' && mark.port && mark.port !== 22 ? `:${mark.port}` : '';
  return { ...base, address: `ssh://${user}@${address}${port}`, identityFile: mark?.access === 'ssh' ? mark.identityFile : provisionedKey };
}

/** The Docker host id of an Azure VM: ARM ids compare case-insensitively. */
export function azureHostId(vmId: string): string {
  return `azure:${vmId.toLowerCase()}`;
}
