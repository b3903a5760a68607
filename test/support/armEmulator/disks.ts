/**
 * Microsoft.Compute/disks, made by VM creation: get, lists, delete. diskState follows the VM
 * (Attached, Reserved while it is deallocated, Unattached once detached), and an attached disk
 * cannot be deleted.
 */
import { resourceId } from './armState';
import type { EmulatorCore, HandlerContext, ResourceTypeHandler } from './emulatorCore';
import { ArmError, armErrors, json, newGuid, type EmulatorResponse } from './protocol';
import { arr, computeStyleId, props, refId, TYPES, vmUsingDisk } from './references';
import { API_VERSIONS, type ProviderRoute } from './routes';
import { isObject, type JsonObject } from './specLibrary';

function diskView(core: EmulatorCore, disk: JsonObject): JsonObject {
  const copy = structuredClone(disk);
  const vm = vmUsingDisk(core.state, String(disk.id));
  const power = vm ? core.state.hiddenState<{ power?: string }>(String(vm.id)).power : undefined;
  props(copy).diskState = !vm ? 'Unattached' : power === 'deallocated' ? 'Reserved' : 'Attached';
  return copy;
}

function handle(ctx: HandlerContext, route: ProviderRoute): EmulatorResponse {
  const { core, req } = ctx;
  if (route.names.length === 0 && route.types.length === 1 && req.method === 'GET') {
    return core.page(
      ctx,
      core.state.list(TYPES.disk, route.sub, route.rg).map((d) => diskView(core, d)),
    );
  }
  if (route.rg === undefined || route.names.length !== 1 || route.types.length !== 1) {
    throw armErrors.pathNotFound(req.path);
  }
  const name = route.names[0];
  const disk = core.state.get(resourceId(route.sub, route.rg, 'Microsoft.Compute', 'disks', name));
  switch (req.method) {
    case 'GET':
      if (!disk) {
        throw armErrors.resourceNotFound(TYPES.disk, name, route.rg);
      }
      return json(200, diskView(core, disk));
    case 'DELETE': {
      if (!disk) {
        return { status: 204, headers: {} };
      }
      const vm = vmUsingDisk(core.state, String(disk.id));
      if (vm) {
        throw new ArmError(409, 'OperationNotAllowed', `Disk ${String(disk.name)} is attached to VM ${String(vm.id)}.`);
      }
      const op = core.operations.start({
        style: 'compute',
        subscriptionId: route.sub,
        location: String(disk.location),
        apiVersion: ctx.apiVersion,
        asyncHeader: true,
        locationHeader: true,
        doneStatus: 200,
        onSucceeded: () => core.state.delete(String(disk.id)),
      });
      return { status: 202, headers: op.headers };
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

export const disksHandler: ResourceTypeHandler = {
  namespace: 'Microsoft.Compute',
  type: 'disks',
  apiVersions: API_VERSIONS.disks,
  handle,
  view: diskView,
};

function diskSku(type: string): JsonObject {
  const tier = type.startsWith('Premium') ? 'Premium' : 'Standard';
  return { name: type, tier };
}

/** Creates the OS disk of a new VM from its image; returns the storageProfile the VM shows. */
export function createOsDisk(ctx: HandlerContext, vmId: string, vmName: string, location: string, storage: JsonObject, vmSize: string): JsonObject {
  const osDisk = storage.osDisk as JsonObject;
  const image = { ...(storage.imageReference as JsonObject) };
  const [, , sub, , rg] = vmId.split('/');
  const diskName = String(osDisk.name ?? `${vmName}_OsDisk_1_${newGuid().replace(/-/g, '')}`);
  const diskId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${diskName}`;
  if (ctx.core.state.get(diskId)) {
    throw new ArmError(
      409,
      'ConflictingUserInput',
      `Disk ${diskName} already exists in resource group ${rg.toUpperCase()}. Only CreateOption.Attach is supported.`,
      'osDisk.name',
    );
  }
  const managed = isObject(osDisk.managedDisk) ? osDisk.managedDisk : {};
  const accountType = String(managed.storageAccountType ?? (/^Standard_[A-Za-z]+\d+[a-z]*s/.test(vmSize) ? 'Premium_LRS' : 'StandardSSD_LRS'));
  const version = image.version === undefined || image.version === 'latest' ? '24.04.202604010' : String(image.version);
  if (image.publisher) {
    image.exactVersion = version;
  }
  const osType = /windows/i.test(String(image.publisher ?? '')) ? 'Windows' : 'Linux';
  const sizeGB = Number(osDisk.diskSizeGB ?? 30);
  ctx.core.state.put({
    name: diskName,
    id: diskId,
    type: TYPES.disk,
    location,
    managedBy: computeStyleId(vmId),
    sku: diskSku(accountType),
    properties: {
      osType,
      hyperVGeneration: 'V2',
      creationData: {
        createOption: 'FromImage',
        imageReference: {
          id: `/Subscriptions/${sub}/Providers/Microsoft.Compute/Locations/${location}/Publishers/${String(image.publisher)}/ArtifactTypes/VMImage/Offers/${String(image.offer)}/Skus/${String(image.sku)}/Versions/${version}`,
        },
      },
      diskSizeGB: sizeGB,
      diskSizeBytes: sizeGB * 1024 ** 3,
      encryption: { type: 'EncryptionAtRestWithPlatformKey' },
      networkAccessPolicy: 'AllowAll',
      publicNetworkAccess: 'Enabled',
      timeCreated: new Date().toISOString(),
      provisioningState: 'Succeeded',
      diskState: 'Attached',
      uniqueId: newGuid(),
    },
  });
  return {
    ...storage,
    imageReference: image,
    osDisk: {
      osType,
      name: diskName,
      createOption: 'FromImage',
      caching: 'ReadWrite',
      deleteOption: 'Detach',
      diskSizeGB: sizeGB,
      ...osDisk,
      managedDisk: { storageAccountType: accountType, ...managed, id: computeStyleId(diskId) },
    },
    dataDisks: arr(storage.dataDisks),
    diskControllerType: 'SCSI',
  };
}

/** Attaches an existing, unattached disk as a new VM's OS disk (createOption Attach). */
export function attachOsDisk(ctx: HandlerContext, vmId: string, storage: JsonObject): JsonObject {
  const osDisk = storage.osDisk as JsonObject;
  const diskId = isObject(osDisk.managedDisk) ? refId(osDisk.managedDisk) : undefined;
  const disk = diskId ? ctx.core.state.get(diskId) : undefined;
  if (!disk) {
    throw new ArmError(404, 'NotFound', `Disk ${diskId ?? '(no id)'} was not found.`, 'osDisk.managedDisk.id');
  }
  if (disk.managedBy) {
    throw new ArmError(409, 'OperationNotAllowed', `Disk ${String(disk.name)} is already attached to VM ${String(disk.managedBy)}.`);
  }
  disk.managedBy = computeStyleId(vmId);
  props(disk).diskState = 'Attached';
  const p = props(disk);
  return {
    ...storage,
    osDisk: {
      osType: p.osType,
      name: disk.name,
      caching: 'ReadWrite',
      deleteOption: 'Detach',
      diskSizeGB: p.diskSizeGB,
      ...osDisk,
      managedDisk: { id: computeStyleId(String(disk.id)) },
    },
    dataDisks: arr(storage.dataDisks),
  };
}
