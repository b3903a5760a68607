/**
 * Turns an ARM request path into what it addresses (matching case-insensitively, as ARM does)
 * and checks its api-version against the versions the specs define for it.
 */
import { ArmError, armErrors, queryParam } from './protocol';

/** api-versions per provider and type: the spec folders' versions, plus what the installed SDKs send. */
export const API_VERSIONS = {
  // ComputeRP.json 2026-04-01 and its 2026-03-01 examples; @azure/arm-compute 24.x sends 2026-03-01, 25.x 2026-04-01.
  virtualMachines: ['2026-03-01', '2026-04-01'],
  // Disks belong to the separate DiskRP spec (not in the reference folder); @azure/arm-compute 24.x sends 2025-01-02.
  disks: ['2025-01-02'],
  // Network specs 2025-01-01 (+ 2025-03-01 examples, network.json 2025-05-01); @azure/arm-network 36.x sends 2025-05-01.
  network: ['2025-01-01', '2025-03-01', '2025-05-01'],
  resources: ['2025-04-01'],
  subscriptions: ['2022-12-01'],
  // No Microsoft.ContainerRegistry spec in the reference folder: the version the product sends, shaped after the public REST docs.
  containerRegistry: ['2023-07-01'],
} as const;

export type ProviderRoute = {
  kind: 'provider';
  sub: string;
  rg?: string;
  namespace: string;
  /** Alternating type/name pairs after /providers/{namespace}; a trailing type is a collection or action. */
  types: string[];
  names: string[];
};

export type Route =
  | { kind: 'tenants' }
  | { kind: 'subscriptions' }
  | { kind: 'subscription'; sub: string }
  | { kind: 'locations'; sub: string }
  | { kind: 'vmSizes'; sub: string; location: string }
  | { kind: 'resourceGroups'; sub: string }
  | { kind: 'resourceGroup'; sub: string; rg: string }
  | { kind: 'resourceGroupResources'; sub: string; rg: string }
  | { kind: 'operation'; sub: string; namespace: string; opId: string; which: 'status' | 'result' }
  | { kind: 'tags'; scope: string; sub: string }
  | ProviderRoute;

export function subscriptionOf(route: Route): string | undefined {
  return 'sub' in route ? route.sub : undefined;
}

export function parseRoute(path: string, query: Record<string, string>): Route {
  const segs = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const l = segs.map((s) => s.toLowerCase());
  const notFound = () => armErrors.pathNotFound(path);
  if (l[0] === 'tenants' && segs.length === 1) {
    return { kind: 'tenants' };
  }
  if (l[0] !== 'subscriptions') {
    throw notFound();
  }
  if (segs.length === 1) {
    return { kind: 'subscriptions' };
  }
  const sub = segs[1];
  const tagsAt = l.findIndex((s, i) => s === 'providers' && l[i + 1] === 'microsoft.resources' && l[i + 2] === 'tags' && l[i + 3] === 'default');
  if (tagsAt > 0 && segs.length === tagsAt + 4) {
    return { kind: 'tags', sub, scope: '/' + segs.slice(0, tagsAt).join('/') };
  }
  if (segs.length === 2) {
    return { kind: 'subscription', sub };
  }
  if (l[2] === 'locations' && segs.length === 3) {
    return { kind: 'locations', sub };
  }
  if (l[2] === 'operationresults' && segs.length === 4) {
    return { kind: 'operation', sub, namespace: 'Microsoft.Resources', opId: segs[3], which: 'result' };
  }
  if (l[2] === 'resourcegroups') {
    if (segs.length === 3) {
      return { kind: 'resourceGroups', sub };
    }
    if (segs.length === 4) {
      return { kind: 'resourceGroup', sub, rg: segs[3] };
    }
    if (l[4] === 'resources' && segs.length === 5) {
      return { kind: 'resourceGroupResources', sub, rg: segs[3] };
    }
    if (l[4] === 'providers' && segs.length >= 7) {
      return providerRoute(sub, segs[3], segs.slice(5));
    }
    throw notFound();
  }
  if (l[2] === 'providers' && l[3] === 'microsoft.compute' && l[4] === 'locations' && l[6] === 'vmsizes' && segs.length === 7) {
    return { kind: 'vmSizes', sub, location: segs[5] };
  }
  if (l[2] === 'providers' && segs.length >= 5) {
    const [namespace, , , kind, opId] = segs.slice(3);
    if (l[4] === 'locations' && segs.length === 8 && ['operations', 'operationresults'].includes(kind.toLowerCase())) {
      const monitor = queryParam(query, 'monitor') === 'true';
      const which = kind.toLowerCase() === 'operationresults' || monitor ? 'result' : 'status';
      return { kind: 'operation', sub, namespace, opId, which };
    }
    return providerRoute(sub, undefined, segs.slice(3));
  }
  throw notFound();
}

function providerRoute(sub: string, rg: string | undefined, rest: string[]): ProviderRoute {
  const [namespace, ...tail] = rest;
  return { kind: 'provider', sub, rg, namespace, types: tail.filter((_, i) => i % 2 === 0), names: tail.filter((_, i) => i % 2 === 1) };
}

/** The api-version a request names, once it is known to be one ARM accepts for that route. */
export function checkApiVersion(query: Record<string, string>, supported: readonly string[]): string {
  const v = queryParam(query, 'api-version');
  if (v === undefined || v === '') {
    throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (!supported.includes(v)) {
    throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid. The supported versions are '${supported.join(',')}'.`);
  }
  return v;
}

/** api-versions of what ARM answers itself (no resource provider behind the route). */
export function routeVersions(route: Route): readonly string[] {
  switch (route.kind) {
    case 'tenants':
    case 'subscriptions':
    case 'subscription':
    case 'locations':
      return API_VERSIONS.subscriptions;
    case 'vmSizes':
      return API_VERSIONS.virtualMachines;
    case 'operation':
      if (route.namespace.toLowerCase() === 'microsoft.compute') {
        return [...API_VERSIONS.virtualMachines, ...API_VERSIONS.disks];
      }
      return route.namespace.toLowerCase() === 'microsoft.network' ? API_VERSIONS.network : API_VERSIONS.resources;
    default:
      return API_VERSIONS.resources;
  }
}
