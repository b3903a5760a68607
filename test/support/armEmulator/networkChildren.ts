/**
 * Network child resources (subnets of a VNet, security rules of an NSG): stored inside their
 * parent, as ARM returns them there, and also addressable on their own with the same
 * PUT/GET/DELETE/list protocol as top-level Network resources.
 */
import type { EmulatorCore, HandlerContext } from './emulatorCore';
import { etag, networkOperation, setProvisioningState } from './networkLifecycle';
import { ArmError, armErrors, json, type EmulatorResponse } from './protocol';
import { arr, props } from './references';
import type { ProviderRoute } from './routes';
import type { JsonObject } from './specLibrary';

export interface ChildSpec {
  type: string;
  opPrefix: string;
  /** Where the parent keeps them, under properties. */
  property: string;
  build(ctx: HandlerContext, parent: JsonObject, id: string, name: string, body: JsonObject): JsonObject;
  inUse?(core: EmulatorCore, child: JsonObject): ArmError | undefined;
}

const byName = (items: JsonObject[], name: string) => items.find((c) => String(c.name).toLowerCase() === name.toLowerCase());

export function handleChild(
  ctx: HandlerContext,
  route: ProviderRoute,
  child: ChildSpec,
  parent: JsonObject,
  name: string | undefined,
  parentView: () => JsonObject,
): EmulatorResponse {
  const { core, req } = ctx;
  const children = () => arr(props(parent)[child.property]);
  const views = () => arr(props(parentView())[child.property]);
  if (name === undefined) {
    if (req.method !== 'GET') {
      throw armErrors.methodNotAllowed(req.method);
    }
    return core.page(ctx, views());
  }
  const existing = byName(children(), name);
  switch (req.method) {
    case 'GET':
      if (!existing) {
        throw new ArmError(404, 'NotFound', `Resource ${String(parent.id)}/${child.type}/${name} not found.`);
      }
      return json(200, byName(views(), name));
    case 'PUT': {
      const body = core.parseBody(req);
      core.validateRequest(`${child.opPrefix}_CreateOrUpdate`, body);
      const childName = existing ? String(existing.name) : name;
      const built = child.build(ctx, parent, `${String(parent.id)}/${child.type}/${childName}`, childName, body);
      setProvisioningState(built, 'Updating');
      props(parent)[child.property] = existing ? children().map((c) => (c === existing ? built : c)) : [...children(), built];
      parent.etag = etag();
      const op = networkOperation(ctx, route, parent, false, () => setProvisioningState(built, 'Succeeded'));
      return json(existing ? 200 : 201, byName(views(), name), op.headers);
    }
    case 'DELETE': {
      if (!existing) {
        return { status: 204, headers: {} };
      }
      const blocked = child.inUse?.(core, existing);
      if (blocked) {
        throw blocked;
      }
      setProvisioningState(existing, 'Deleting');
      const op = networkOperation(ctx, route, parent, true, () => {
        props(parent)[child.property] = children().filter((c) => c !== existing);
        parent.etag = etag();
      });
      return { status: 202, headers: op.headers };
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}
