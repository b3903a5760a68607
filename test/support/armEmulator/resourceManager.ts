/**
 * What ARM itself answers (no resource provider behind it): tenants, subscriptions, locations,
 * resource groups, tags at a scope, and the status of long-running operations.
 */
import { parseResourceId, resourceGroupId, type Subscription } from './armState';
import { normalizeLocation, REGIONS } from './locations';
import type { HandlerContext } from './emulatorCore';
import { ArmError, armErrors, json, type EmulatorResponse } from './protocol';
import type { Route } from './routes';
import { isObject, type JsonObject } from './specLibrary';

/** A slice of the real catalogue: name, vCPUs, memory in MB (VirtualMachineSizes_List). */
const VM_SIZES: [string, number, number][] = [
  ['Standard_B1s', 1, 1024],
  ['Standard_B1ms', 1, 2048],
  ['Standard_B2s', 2, 4096],
  ['Standard_B2ms', 2, 8192],
  ['Standard_B4ms', 4, 16384],
  ['Standard_D2s_v5', 2, 8192],
  ['Standard_D4s_v5', 4, 16384],
  ['Standard_D8s_v5', 8, 32768],
  ['Standard_E2s_v5', 2, 16384],
  ['Standard_F2s_v2', 2, 4096],
];

export function handleArmRoute(ctx: HandlerContext, route: Route): EmulatorResponse {
  const { core, req } = ctx;
  const method = req.method;
  switch (route.kind) {
    case 'tenants':
      onlyGet(method);
      return core.page(
        ctx,
        [...core.state.tenants.values()].map((t) => ({
          id: `/tenants/${t.tenantId}`,
          tenantId: t.tenantId,
          tenantCategory: 'Home',
          country: 'United States',
          countryCode: 'US',
          displayName: t.displayName,
          domains: [t.defaultDomain],
          defaultDomain: t.defaultDomain,
          tenantType: 'AAD',
        })),
      );
    case 'subscriptions':
      onlyGet(method);
      return core.page(
        ctx,
        [...core.state.subscriptions.values()].filter((s) => s.tenantId.toLowerCase() === ctx.caller.tenantId.toLowerCase()).map(subscriptionView),
      );
    case 'subscription':
      onlyGet(method);
      return json(200, subscriptionView(core.state.subscription(route.sub)!));
    case 'locations':
      onlyGet(method);
      return json(200, {
        value: Object.entries(REGIONS).map(([name, displayName]) => ({
          id: `/subscriptions/${route.sub}/locations/${name}`,
          name,
          type: 'Region',
          displayName,
          regionalDisplayName: `(Region) ${displayName}`,
          metadata: { regionType: 'Physical', regionCategory: 'Recommended' },
        })),
      });
    case 'vmSizes':
      onlyGet(method);
      if (!(route.location.toLowerCase() in REGIONS)) {
        throw new ArmError(400, 'NoRegisteredProviderFound', `No registered resource provider found for location '${route.location}'.`);
      }
      return json(200, {
        value: VM_SIZES.map(([name, numberOfCores, memoryInMB]) => ({
          name,
          numberOfCores,
          memoryInMB,
          osDiskSizeInMB: 1047552,
          resourceDiskSizeInMB: 0,
          maxDataDiskCount: 4,
        })),
      });
    case 'operation':
      onlyGet(method);
      return route.which === 'status' ? core.operations.status(route.opId, route.sub) : core.operations.result(route.opId, route.sub);
    case 'resourceGroups':
      onlyGet(method);
      return core.page(ctx, core.state.resourceGroups(route.sub));
    case 'resourceGroup':
      return resourceGroup(ctx, route.sub, route.rg);
    case 'resourceGroupResources': {
      onlyGet(method);
      if (!core.state.resourceGroup(route.sub, route.rg)) {
        throw armErrors.resourceGroupNotFound(route.rg);
      }
      // Top-level resources only (a subnet or security rule is listed with its parent), in the generic shape.
      const prefix = `${resourceGroupId(route.sub, route.rg)}/providers/`.toLowerCase();
      const inGroup = core.state
        .all()
        .filter((r) => String(r.id).toLowerCase().startsWith(prefix) && parseResourceId(String(r.id))?.types.length === 1);
      return core.page(
        ctx,
        inGroup.map((r) => {
          const generic: JsonObject = { id: r.id, name: r.name, type: r.type, location: r.location };
          for (const k of ['tags', 'sku', 'kind', 'managedBy', 'zones']) {
            if (r[k] !== undefined) {
              generic[k] = r[k];
            }
          }
          return generic;
        }),
      );
    }
    case 'tags':
      return tagsAtScope(ctx, route.scope);
    case 'provider':
      throw armErrors.pathNotFound(req.path);
  }
}

function onlyGet(method: string): void {
  if (method !== 'GET') {
    throw armErrors.methodNotAllowed(method);
  }
}

function subscriptionView(s: Subscription): JsonObject {
  const view: JsonObject = {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
  if (s.tags) {
    view.tags = s.tags;
  }
  return view;
}

function resourceGroup(ctx: HandlerContext, sub: string, name: string): EmulatorResponse {
  const { core, req } = ctx;
  const existing = core.state.resourceGroup(sub, name);
  const notFound = () => armErrors.resourceGroupNotFound(name);
  switch (req.method) {
    case 'HEAD':
      return { status: existing ? 204 : 404, headers: {} };
    case 'GET':
      if (!existing) {
        throw notFound();
      }
      return json(200, existing);
    case 'PUT':
    case 'PATCH': {
      const body = core.parseBody(req);
      if (req.method === 'PUT') {
        core.validateRequest('ResourceGroups_CreateOrUpdate', body);
      } else if (!existing) {
        throw notFound();
      }
      if (existing && isObject(existing.properties) && existing.properties.provisioningState === 'Deleting') {
        throw armErrors.resourceGroupBeingDeleted(name);
      }
      const location = body.location === undefined && existing ? String(existing.location) : normalizeLocation(String(body.location));
      if (!location) {
        throw new ArmError(
          400,
          'LocationNotAvailableForResourceGroup',
          `The provided location '${String(body.location)}' is not available for resource group. List of available regions is '${Object.keys(REGIONS).join(',')}'.`,
        );
      }
      if (existing && existing.location !== location) {
        throw new ArmError(
          409,
          'InvalidResourceGroupLocation',
          `Invalid resource group location '${location}'. The Resource group already exists in location '${String(existing.location)}'.`,
        );
      }
      const rg: JsonObject = {
        id: resourceGroupId(sub, existing ? String(existing.name) : name),
        name: existing ? String(existing.name) : name,
        type: 'Microsoft.Resources/resourceGroups',
        location,
        properties: { provisioningState: 'Succeeded' },
      };
      const tags = body.tags ?? existing?.tags;
      if (tags !== undefined) {
        rg.tags = tags;
      }
      const managedBy = body.managedBy ?? existing?.managedBy;
      if (managedBy !== undefined) {
        rg.managedBy = managedBy;
      }
      core.state.put(rg);
      return json(existing ? 200 : 201, rg);
    }
    case 'DELETE': {
      if (!existing) {
        throw notFound();
      }
      (existing.properties as JsonObject).provisioningState = 'Deleting';
      const op = core.operations.start({
        style: 'resources',
        subscriptionId: sub,
        location: String(existing.location),
        apiVersion: ctx.apiVersion,
        asyncHeader: false,
        locationHeader: true,
        doneStatus: 200,
        onSucceeded: () => {
          // The VMs in it go too: whatever runs inside them must stop.
          const vms = core.state.list('Microsoft.Compute/virtualMachines', sub, String(existing.name));
          core.state.delete(String(existing.id));
          vms.forEach((vm) => core.guests?.vmDeleted?.(String(vm.id)));
        },
        onFailed: () => ((existing.properties as JsonObject).provisioningState = 'Succeeded'),
      });
      return { status: 202, headers: op.headers };
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

function tagsAtScope(ctx: HandlerContext, scope: string): EmulatorResponse {
  const { core, req } = ctx;
  const subOnly = /^\/subscriptions\/[^/]+$/i.test(scope);
  const target: { tags?: unknown } | undefined = subOnly ? core.state.subscription(scope.split('/')[2]) : core.state.get(scope);
  if (!target) {
    throw new ArmError(404, 'ResourceNotFound', `The Resource '${scope}' was not found.`);
  }
  const current = isObject(target.tags) ? (target.tags as Record<string, string>) : {};
  let next: Record<string, string> = current;
  if (req.method === 'PUT' || req.method === 'PATCH') {
    const body = core.parseBody(req);
    core.validateRequest(req.method === 'PUT' ? 'Tags_CreateOrUpdateAtScope' : 'Tags_UpdateAtScope', body);
    const given = (isObject(body.properties) && isObject(body.properties.tags) ? body.properties.tags : {}) as Record<string, string>;
    const operation = String(body.operation ?? 'Replace').toLowerCase();
    if (req.method === 'PUT' || operation === 'replace') {
      next = { ...given };
    } else if (operation === 'merge') {
      next = { ...current, ...given };
    } else {
      next = Object.fromEntries(Object.entries(current).filter(([k, v]) => !(k in given) || (given[k] !== '' && given[k] !== v)));
    }
  } else if (req.method === 'DELETE') {
    next = {};
  } else if (req.method !== 'GET') {
    throw armErrors.methodNotAllowed(req.method);
  }
  target.tags = next;
  return json(200, {
    id: `${scope}/providers/Microsoft.Resources/tags/default`,
    name: 'default',
    type: 'Microsoft.Resources/tags',
    properties: { tags: next },
  });
}
