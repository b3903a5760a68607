/**
 * How the Network resource provider handles its resources, shared by every Microsoft.Network type:
 * PUT answers 201/200 with provisioningState Updating and an Azure-AsyncOperation URL; DELETE
 * answers 202 (204 when there is nothing to delete) unless something still uses the resource;
 * PATCH changes tags only; lists page. Child resources: networkChildren.ts.
 */
import { resourceId } from './armState';
import type { EmulatorCore, HandlerContext, ResourceTypeHandler } from './emulatorCore';
import { checkLocation } from './locations';
import { handleChild, type ChildSpec } from './networkChildren';
import { ArmError, armErrors, json, newGuid, type EmulatorResponse } from './protocol';
import { API_VERSIONS, type ProviderRoute } from './routes';
import type { JsonObject } from './specLibrary';

export interface NetworkTypeSpec {
  type: string;
  opPrefix: string;
  /** properties of the stored resource, from a schema-valid PUT body; may also set top-level fields on `envelope`. */
  build(ctx: HandlerContext, id: string, body: JsonObject, existing: JsonObject | undefined, envelope: JsonObject): JsonObject;
  /** Adds what is derived from other resources to a copy about to be returned. */
  view?(core: EmulatorCore, copy: JsonObject): void;
  inUse?(core: EmulatorCore, stored: JsonObject): ArmError | undefined;
  /** Extra top-level fields kept from the body (e.g. zones). */
  topLevel?: string[];
  child?: ChildSpec;
}

export const etag = () => `W/"${newGuid()}"`;

/** Sets provisioningState on a resource and everything nested that carries one. */
export function setProvisioningState(node: unknown, state: string): void {
  if (Array.isArray(node)) {
    node.forEach((n) => setProvisioningState(n, state));
  } else if (node && typeof node === 'object') {
    const p = (node as JsonObject).properties;
    if (p && typeof p === 'object' && !Array.isArray(p)) {
      if ('provisioningState' in p) {
        p.provisioningState = state;
      }
      Object.values(p).forEach((v) => setProvisioningState(v, state));
    }
  }
}

/** Starts a Network-style operation on `owner` (the resource, or the parent of a child). */
export function networkOperation(ctx: HandlerContext, route: ProviderRoute, owner: JsonObject, deleting: boolean, onSucceeded: () => void) {
  return ctx.core.operations.start({
    style: 'network',
    subscriptionId: route.sub,
    location: String(owner.location),
    apiVersion: ctx.apiVersion,
    asyncHeader: true,
    locationHeader: deleting,
    doneStatus: 204,
    onSucceeded,
    onFailed: () => setProvisioningState(owner, 'Failed'),
  });
}

export function networkHandler(spec: NetworkTypeSpec): ResourceTypeHandler {
  const fullType = `Microsoft.Network/${spec.type}`;
  const view = (core: EmulatorCore, stored: JsonObject) => {
    const copy = structuredClone(stored);
    spec.view?.(core, copy);
    return copy;
  };

  const put = (ctx: HandlerContext, route: ProviderRoute, id: string, name: string, existing: JsonObject | undefined): EmulatorResponse => {
    const { core } = ctx;
    const body = core.parseBody(ctx.req);
    core.validateRequest(`${spec.opPrefix}_CreateOrUpdate`, body);
    const location = checkLocation(body, existing, fullType, name, route.rg!);
    const stored: JsonObject = {
      name: existing ? String(existing.name) : name,
      id: existing ? String(existing.id) : id,
      etag: etag(),
      type: fullType,
      location,
    };
    for (const k of ['tags', ...(spec.topLevel ?? [])]) {
      if (body[k] !== undefined) {
        stored[k] = body[k];
      }
    }
    stored.properties = spec.build(ctx, String(stored.id), body, existing, stored);
    setProvisioningState(stored, 'Updating');
    core.state.put(stored);
    const op = networkOperation(ctx, route, stored, false, () => setProvisioningState(stored, 'Succeeded'));
    return json(existing ? 200 : 201, view(core, stored), op.headers);
  };

  const handle = (ctx: HandlerContext, route: ProviderRoute): EmulatorResponse => {
    const { core, req } = ctx;
    const [name, childName] = route.names;
    if (route.names.length === 0 && route.types.length === 1) {
      if (req.method !== 'GET') {
        throw armErrors.methodNotAllowed(req.method);
      }
      return core.page(
        ctx,
        core.state.list(fullType, route.sub, route.rg).map((r) => view(core, r)),
      );
    }
    if (route.rg === undefined) {
      throw armErrors.pathNotFound(req.path);
    }
    const id = resourceId(route.sub, route.rg, 'Microsoft.Network', spec.type, name);
    const existing = core.state.get(id);
    if (route.types.length > 1) {
      if (!spec.child || route.types[1].toLowerCase() !== spec.child.type.toLowerCase() || route.types.length > 2) {
        throw new ArmError(
          400,
          'InvalidResourceType',
          `The resource type '${route.types.join('/')}' could not be found in the namespace 'Microsoft.Network'.`,
        );
      }
      if (!existing) {
        throw armErrors.resourceNotFound(fullType, name, route.rg);
      }
      return handleChild(ctx, route, spec.child, existing, childName, () => view(core, existing));
    }
    switch (req.method) {
      case 'GET':
        if (!existing) {
          throw armErrors.resourceNotFound(fullType, name, route.rg);
        }
        return json(200, view(core, existing));
      case 'PUT':
        return put(ctx, route, id, name, existing);
      case 'PATCH': {
        if (!existing) {
          throw armErrors.resourceNotFound(fullType, name, route.rg);
        }
        const body = core.parseBody(req);
        core.validateRequest(`${spec.opPrefix}_UpdateTags`, body);
        existing.tags = body.tags ?? {};
        existing.etag = etag();
        return json(200, view(core, existing));
      }
      case 'DELETE': {
        if (!existing) {
          return { status: 204, headers: {} };
        }
        const blocked = spec.inUse?.(core, existing);
        if (blocked) {
          throw blocked;
        }
        setProvisioningState(existing, 'Deleting');
        const op = networkOperation(ctx, route, existing, true, () => core.state.delete(String(existing.id)));
        return { status: 202, headers: op.headers };
      }
      default:
        throw armErrors.methodNotAllowed(req.method);
    }
  };
  return { namespace: 'Microsoft.Network', type: spec.type, apiVersions: API_VERSIONS.network, handle, view };
}
