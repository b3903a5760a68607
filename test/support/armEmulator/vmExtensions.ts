/**
 * Microsoft.Compute/virtualMachines/{vm}/extensions: create/update (201/200 + Azure-AsyncOperation,
 * finishing only when the handler in the VM has finished), get and list (with $expand=instanceView),
 * delete (202). What the handler does in the VM is the guest's business (GuestHooks.runExtension);
 * without guests, a handler this emulator knows succeeds with no output.
 *
 * Real Azure, as far as tests meet it: extensions can be changed only on a running VM (409
 * OperationNotAllowed); a Linux VM takes one extension per handler (400 BadRequest); protectedSettings are write-only; a failing Custom Script ends the operation
 * Failed with VMExtensionProvisioningError naming the exit status and the tails (4 KB) of its stdout
 * and stderr, which the instance view also shows, as its status message and as StdOut/StdErr substatuses.
 */
import type { EmulatorCore, HandlerContext } from './emulatorCore';
import { extensionView as view, tail, type StoredExtension } from './extensionViews';
import { ArmError, armErrors, json, queryParam, type EmulatorResponse, type ErrorDetail } from './protocol';
import { props } from './references';
import type { ProviderRoute } from './routes';
import { isObject, type JsonObject } from './specLibrary';
import { computeOperation } from './vmActions';
import { vmState } from './vmViews';

const EXTENSION_TYPE = 'Microsoft.Compute/virtualMachines/extensions';

/** Handlers this emulator has, by `publisher.type`, with the full version an x.y request gets. */
const KNOWN_HANDLERS: Record<string, { versions: Record<string, string> }> = {
  'microsoft.azure.extensions.customscript': { versions: { '2.0': '2.1.10', '2.1': '2.1.10' } },
};

function extensionsOf(ctx: HandlerContext, vm: JsonObject): Record<string, StoredExtension> {
  return (vmState(ctx.core, vm).extensions ??= {});
}

const notRunning = () => new ArmError(409, 'OperationNotAllowed', 'Cannot modify extensions in the VM when the VM is not running.');

function notFound(vmName: string, name: string): ArmError {
  return new ArmError(404, 'NotFound', `The entity was not found in this Azure location. Extension '${name}' of VM '${vmName}'.`);
}

function checkVmRunning(ctx: HandlerContext, vm: JsonObject): void {
  if ((vmState(ctx.core, vm).power ?? 'running') !== 'running' || props(vm).provisioningState === 'Deleting') {
    throw notRunning();
  }
}

function putExtension(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject, name: string, body: JsonObject): EmulatorResponse {
  const { core } = ctx;
  core.validateRequest('VirtualMachineExtensions_CreateOrUpdate', body);
  checkVmRunning(ctx, vm);
  const all = extensionsOf(ctx, vm);
  const existing = all[name.toLowerCase()];
  if (existing?.run && !existing.run.result()) {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Operation 'PUT' is not allowed on extension '${name}' since another operation is in progress on it.`,
    );
  }
  const p = isObject(body.properties) ? body.properties : {};
  const location = String(body.location ?? '');
  if (location.toLowerCase() !== String(vm.location).toLowerCase()) {
    throw new ArmError(400, 'InvalidParameter', `The extension's location '${location}' must be the VM's, '${String(vm.location)}'.`, 'location');
  }
  for (const k of ['publisher', 'type', 'typeHandlerVersion']) {
    if (typeof p[k] !== 'string' || p[k] === '') {
      throw armErrors.missingParameter(`properties.${k}`);
    }
  }
  const publisher = String(p.publisher);
  const type = String(p.type);
  const version = String(p.typeHandlerVersion);
  const handler = `${publisher}.${type}`;
  const twin = Object.values(all).find(
    (e) => e !== existing && `${String(props(e.model).publisher)}.${String(props(e.model).type)}`.toLowerCase() === handler.toLowerCase(),
  );
  if (twin) {
    throw new ArmError(
      400,
      'BadRequest',
      `Multiple VMExtensions per handler not supported for OS type 'Linux'. VMExtension '${String(twin.model.name)}' with handler '${handler}' added to the VM.`,
    );
  }
  const known = KNOWN_HANDLERS[handler.toLowerCase()];
  const handlerVersion = known?.versions[version] ?? version;
  const id = `${String(vm.id)}/extensions/${existing ? String(existing.model.name) : name}`;
  const model: JsonObject = {
    name: existing ? String(existing.model.name) : name,
    id,
    type: EXTENSION_TYPE,
    location: String(vm.location),
    properties: {
      publisher,
      type,
      typeHandlerVersion: version,
      autoUpgradeMinorVersion: p.autoUpgradeMinorVersion === true,
      ...(p.settings !== undefined ? { settings: p.settings } : {}),
      provisioningState: existing ? 'Updating' : 'Creating',
    },
  };
  if (body.tags !== undefined) {
    model.tags = body.tags;
  }
  const ext: StoredExtension = { model, handlerVersion };
  all[name.toLowerCase()] = ext;
  let missing: ErrorDetail | undefined;
  if (!known || !known.versions[version]) {
    missing = {
      code: 'ArtifactNotFound',
      message: `Extension with publisher '${publisher}', type '${type}', and type handler version '${version}' could not be found in the extension repository.`,
    };
  } else {
    ext.run = core.guests?.runExtension?.(String(vm.id), {
      name: String(model.name),
      publisher,
      type,
      typeHandlerVersion: version,
      settings: p.settings,
      protectedSettings: p.protectedSettings,
    });
  }
  const failure = (): ErrorDetail | undefined => {
    const r = ext.run?.result();
    if (missing || !r || r.exitCode === 0) {
      return missing;
    }
    const out = ext.run!.output();
    return {
      code: 'VMExtensionProvisioningError',
      message:
        `VM has reported a failure when processing extension '${String(model.name)}' (publisher '${publisher}' and type '${type}'). ` +
        `Error message: 'Enable failed: ${r.error}\n[stdout]\n${tail(out.stdout)}\n[stderr]\n${tail(out.stderr)}'. ` +
        'More information on troubleshooting is available at https://aka.ms/VMExtensionCSELinuxTroubleshoot.',
    };
  };
  const op = computeOperation(
    ctx,
    route,
    vm,
    false,
    200,
    () => (props(model).provisioningState = 'Succeeded'),
    () => (props(model).provisioningState = 'Failed'),
  );
  ext.currentOperation = op.id;
  core.operations.settleWith(op.id, () => (missing || !ext.run || ext.run.result() ? { done: true, error: failure() } : { done: false }));
  return json(existing ? 200 : 201, view(ext, undefined), op.headers);
}

function deleteExtension(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject, name: string): EmulatorResponse {
  const all = extensionsOf(ctx, vm);
  const ext = all[name.toLowerCase()];
  if (!ext) {
    return { status: 204, headers: {} };
  }
  checkVmRunning(ctx, vm);
  // Removing the handler stops what it runs; what the script already did stays on the VM.
  ext.run?.cancel();
  ctx.core.operations.preempt(ext.currentOperation);
  props(ext.model).provisioningState = 'Deleting';
  const op = computeOperation(
    ctx,
    route,
    vm,
    true,
    204,
    () => {
      if (all[name.toLowerCase()] === ext) {
        delete all[name.toLowerCase()];
      }
    },
    () => (props(ext.model).provisioningState = 'Failed'),
  );
  ext.currentOperation = op.id;
  return { status: 202, headers: op.headers };
}

/** `route.types` is [virtualMachines, extensions]; `route.names` is [vm] or [vm, extension]. */
export function handleExtensions(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject | undefined): EmulatorResponse {
  const { req } = ctx;
  const vmName = route.names[0];
  if (!vm) {
    throw new ArmError(
      404,
      'ParentResourceNotFound',
      `Can not perform requested operation on nested resource. Parent resource '${vmName}' not found.`,
    );
  }
  const expand = queryParam(req.query, '$expand');
  if (route.names.length === 1) {
    if (req.method !== 'GET') {
      throw armErrors.methodNotAllowed(req.method);
    }
    return json(200, { value: Object.values(extensionsOf(ctx, vm)).map((e) => view(e, expand)) });
  }
  const name = route.names[1];
  switch (req.method) {
    case 'GET': {
      const ext = extensionsOf(ctx, vm)[name.toLowerCase()];
      if (!ext) {
        throw notFound(String(vm.name), name);
      }
      return json(200, view(ext, expand));
    }
    case 'PUT':
      return putExtension(ctx, route, vm, name, ctx.core.parseBody(req));
    case 'DELETE':
      return deleteExtension(ctx, route, vm, name);
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

/** An extension already on the VM, as one Azure no longer offers (the retired DockerExtension) stays on VMs that have it. */
export interface SeedExtension {
  name: string;
  publisher: string;
  type: string;
  typeHandlerVersion: string;
  settings?: JsonObject;
}

export function seedExtension(core: EmulatorCore, vm: JsonObject, e: SeedExtension): void {
  const all = (vmState(core, vm).extensions ??= {});
  all[e.name.toLowerCase()] = {
    handlerVersion: e.typeHandlerVersion,
    model: {
      name: e.name,
      id: `${String(vm.id)}/extensions/${e.name}`,
      type: EXTENSION_TYPE,
      location: String(vm.location),
      properties: {
        publisher: e.publisher,
        type: e.type,
        typeHandlerVersion: e.typeHandlerVersion,
        autoUpgradeMinorVersion: true,
        ...(e.settings ? { settings: e.settings } : {}),
        provisioningState: 'Succeeded',
      },
    },
  };
}
