/**
 * Tags the extension puts on what it provisions, so discovery finds the hosts and delete knows
 * what came with them. They travel with the resources, whoever looks at the subscription.
 */
export const TAG_HOST = 'dockerOnAzure:host';
/** How the daemon is reached: `ssh` or `tls`. */
export const TAG_DAEMON = 'dockerOnAzure:daemon';
export const TAG_ADMIN_USER = 'dockerOnAzure:adminUser';
/** On a resource group the extension created for the host: the host's name. */
export const TAG_CREATED_GROUP = 'dockerOnAzure:createdFor';
/** On every resource created with a host: the host's name, so delete takes exactly those. */
export const TAG_PART_OF = 'dockerOnAzure:partOf';

/** On each VM Create Swarm on Azure made: the swarm's name, so its row offers nodes made alike. */
export const TAG_SWARM = 'dockerOnAzure:swarm';

export type DaemonAccess = 'ssh' | 'tls';

export function isProvisionedHost(tags: Record<string, string> | undefined): boolean {
  return !!tags && Object.keys(tags).some((k) => k.toLowerCase() === TAG_HOST.toLowerCase());
}

export function tagValue(tags: Record<string, string> | undefined, name: string): string | undefined {
  const key = Object.keys(tags ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? tags![key] : undefined;
}
