/**
 * Microsoft.Compute/virtualMachines: create/update (201/200 + Azure-AsyncOperation), PATCH, get
 * with $expand, instance view, lists (statusOnly=true), power actions and delete (vmActions.ts),
 * and their extensions (vmExtensions.ts).
 */
import { resourceId } from './armState';
import type { HandlerContext, ResourceTypeHandler } from './emulatorCore';
import { checkLocation } from './locations';
import { ArmError, armErrors, json, queryParam, type EmulatorResponse } from './protocol';
import { props, TYPES } from './references';
import { API_VERSIONS, type ProviderRoute } from './routes';
import { isObject, type JsonObject } from './specLibrary';
import { computeOperation, deleteVm, notAllowed, POWER_ACTIONS, powerAction } from './vmActions';
import { handleExtensions } from './vmExtensions';
import { buildVm } from './vmModel';
import { instanceView, vmState, vmView } from './vmViews';

function putVm(ctx: HandlerContext, route: ProviderRoute, name: string, existing: JsonObject | undefined, body: JsonObject): EmulatorResponse {
  const { core } = ctx;
  const id = existing ? String(existing.id) : resourceId(route.sub, route.rg!, 'Microsoft.Compute', 'virtualMachines', name);
  const location = checkLocation(body, existing, TYPES.vm, name, route.rg!);
  core.validateRequest('VirtualMachines_CreateOrUpdate', body);
  if (existing && props(existing).provisioningState === 'Deleting') {
    throw notAllowed('createOrUpdate', name, 'the VM is marked for deletion');
  }
  const stored: JsonObject = { name: existing ? String(existing.name) : name, id, type: TYPES.vm, location };
  const h = core.state.hiddenState<ReturnType<typeof vmState>>(id);
  const properties = buildVm(ctx, id, String(stored.name), location, body, existing, h);
  for (const k of ['tags', 'zones', 'identity', 'plan', 'placement', 'extendedLocation']) {
    if (body[k] !== undefined) {
      stored[k] = body[k];
    }
  }
  properties.provisioningState = existing ? 'Updating' : 'Creating';
  stored.properties = properties;
  h.power ??= 'starting';
  h.etag = (h.etag ?? 0) + 1;
  delete h.failure;
  core.state.put(stored);
  const settle = () => (h.power = h.power === 'starting' ? 'running' : h.power);
  const op = computeOperation(
    ctx,
    route,
    stored,
    false,
    200,
    () => {
      properties.provisioningState = 'Succeeded';
      settle();
      if (!existing) {
        core.guests?.vmCreated?.(id);
      }
    },
    (e) => {
      properties.provisioningState = 'Failed';
      h.failure = e;
      settle();
    },
  );
  return json(existing ? 200 : 201, vmView(core, stored, undefined), op.headers);
}

// PATCH is a PUT of the merged model, so it gets the same checks.
function patchVm(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject): EmulatorResponse {
  const body = ctx.core.parseBody(ctx.req);
  ctx.core.validateRequest('VirtualMachines_Update', body);
  const merged = structuredClone(vm);
  if (body.tags !== undefined) {
    merged.tags = body.tags;
  }
  Object.assign(props(merged), isObject(body.properties) ? body.properties : {});
  return putVm(ctx, route, String(vm.name), vm, merged);
}

function handle(ctx: HandlerContext, route: ProviderRoute): EmulatorResponse {
  const { core, req } = ctx;
  const expand = queryParam(req.query, '$expand');
  if (route.names.length === 0 && route.types.length === 1) {
    if (req.method !== 'GET') {
      throw armErrors.methodNotAllowed(req.method);
    }
    const withStatus = queryParam(req.query, 'statusOnly') === 'true' ? 'instanceView' : expand;
    return core.page(
      ctx,
      core.state.list(TYPES.vm, route.sub, route.rg).map((vm) => vmView(core, vm, withStatus, true)),
    );
  }
  if (route.rg === undefined || route.names.length === 0 || route.types.length > 2) {
    throw armErrors.pathNotFound(req.path);
  }
  const name = route.names[0];
  const vm = core.state.get(resourceId(route.sub, route.rg, 'Microsoft.Compute', 'virtualMachines', name));
  if (route.types[1]?.toLowerCase() === 'extensions' && route.names.length <= 2) {
    return handleExtensions(ctx, route, vm);
  }
  if (route.names.length !== 1) {
    throw armErrors.pathNotFound(req.path);
  }
  if (route.types.length === 2) {
    const sub = route.types[1].toLowerCase();
    if (!vm) {
      throw armErrors.resourceNotFound(TYPES.vm, name, route.rg);
    }
    if (sub === 'instanceview' && req.method === 'GET') {
      return json(200, instanceView(core, vm));
    }
    if (sub in POWER_ACTIONS && req.method === 'POST') {
      return powerAction(ctx, route, vm, sub);
    }
    throw new ArmError(
      400,
      'InvalidResourceType',
      `The resource type 'virtualMachines/${route.types[1]}' could not be found in the namespace 'Microsoft.Compute' for api version '${ctx.apiVersion}'.`,
    );
  }
  switch (req.method) {
    case 'GET':
      if (!vm) {
        throw armErrors.resourceNotFound(TYPES.vm, name, route.rg);
      }
      return json(200, vmView(core, vm, expand));
    case 'PUT':
      return putVm(ctx, route, name, vm, core.parseBody(req));
    case 'PATCH':
      if (!vm) {
        throw armErrors.resourceNotFound(TYPES.vm, name, route.rg);
      }
      return patchVm(ctx, route, vm);
    case 'DELETE':
      return vm ? deleteVm(ctx, route, vm) : { status: 204, headers: {} };
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

export const virtualMachinesHandler: ResourceTypeHandler = {
  namespace: 'Microsoft.Compute',
  type: 'virtualMachines',
  apiVersions: API_VERSIONS.virtualMachines,
  handle,
  view: (core, vm) => vmView(core, vm, undefined),
};
