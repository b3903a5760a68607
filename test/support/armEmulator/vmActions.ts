/**
 * VM power actions and delete. Each passes through its transitional power state (starting,
 * stopping, deallocating) until its operation completes; a newer action preempts an older one
 * (which ends Canceled, OperationPreempted), as Compute does. Delete honours deleteOption on the
 * OS disk, data disks and NICs.
 */
import type { HandlerContext } from './emulatorCore';
import { ArmError, type EmulatorResponse, type ErrorDetail } from './protocol';
import { arr, props, refId, vmNicReferences } from './references';
import type { ProviderRoute } from './routes';
import { isObject, type JsonObject } from './specLibrary';
import type { PowerState } from './vmModel';
import { vmState } from './vmViews';

export const POWER_ACTIONS: Record<string, { transitional: PowerState; final: PowerState }> = {
  start: { transitional: 'starting', final: 'running' },
  poweroff: { transitional: 'stopping', final: 'stopped' },
  deallocate: { transitional: 'deallocating', final: 'deallocated' },
  restart: { transitional: 'starting', final: 'running' },
};

export function computeOperation(
  ctx: HandlerContext,
  route: ProviderRoute,
  vm: JsonObject,
  withLocation: boolean,
  doneStatus: 200 | 204,
  onSucceeded: () => void,
  onFailed: (e: ErrorDetail) => void,
) {
  return ctx.core.operations.start({
    style: 'compute',
    subscriptionId: route.sub,
    location: String(vm.location),
    apiVersion: ctx.apiVersion,
    asyncHeader: true,
    locationHeader: withLocation,
    doneStatus,
    onSucceeded,
    onFailed,
  });
}

export function notAllowed(op: string, name: string, why: string): ArmError {
  return new ArmError(409, 'OperationNotAllowed', `Operation '${op}' is not allowed on VM '${name}' since ${why}.`);
}

export function powerAction(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject, action: string): EmulatorResponse {
  const { core } = ctx;
  const h = vmState(core, vm);
  const p = props(vm);
  const name = String(vm.name);
  if (p.provisioningState === 'Deleting') {
    throw notAllowed(action, name, 'the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete)');
  }
  if (p.provisioningState === 'Creating') {
    throw notAllowed(action, name, 'the VM is still being created');
  }
  core.operations.preempt(h.currentOperation);
  const before = h.power ?? 'running';
  if (action === 'restart' && (before === 'deallocated' || before === 'deallocating')) {
    throw notAllowed('restart', name, 'the VM is deallocated or marked to be deallocated');
  }
  const t = POWER_ACTIONS[action];
  // Powering off a deallocated VM leaves it deallocated; an action on a VM already in its end state has nothing to pass through.
  const final = action === 'poweroff' && before === 'deallocated' ? 'deallocated' : t.final;
  h.power = final === before && action !== 'restart' ? before : t.transitional;
  p.provisioningState = 'Updating';
  delete h.failure;
  const op = computeOperation(
    ctx,
    route,
    vm,
    true,
    200,
    () => {
      h.power = final;
      p.provisioningState = 'Succeeded';
      core.guests?.vmPowerChanged?.(String(vm.id), action, true);
    },
    (e) => {
      h.power = before;
      if (e.code !== 'OperationPreempted') {
        p.provisioningState = 'Failed';
        h.failure = e;
      }
      core.guests?.vmPowerChanged?.(String(vm.id), action, false);
    },
  );
  h.currentOperation = op.id;
  return { status: 202, headers: op.headers };
}

export function deleteVm(ctx: HandlerContext, route: ProviderRoute, vm: JsonObject): EmulatorResponse {
  const { state } = ctx.core;
  const h = vmState(ctx.core, vm);
  ctx.core.operations.preempt(h.currentOperation);
  const p = props(vm);
  p.provisioningState = 'Deleting';
  const release = (diskRef: JsonObject) => {
    const diskId = isObject(diskRef.managedDisk) ? refId(diskRef.managedDisk) : undefined;
    const disk = diskId ? state.get(diskId) : undefined;
    if (disk && String(diskRef.deleteOption).toLowerCase() === 'delete') {
      state.delete(String(disk.id));
    } else if (disk) {
      delete disk.managedBy;
      props(disk).diskState = 'Unattached';
    }
  };
  const op = computeOperation(
    ctx,
    route,
    vm,
    true,
    204,
    () => {
      state.delete(String(vm.id));
      ctx.core.guests?.vmDeleted?.(String(vm.id));
      const storage = isObject(p.storageProfile) ? p.storageProfile : {};
      [storage.osDisk, ...arr(storage.dataDisks)].filter(isObject).forEach(release);
      for (const nic of vmNicReferences(vm)) {
        if (String(props(nic).deleteOption).toLowerCase() === 'delete' && typeof nic.id === 'string') {
          state.delete(nic.id);
        }
      }
    },
    (e) => {
      p.provisioningState = 'Failed';
      h.failure = e;
    },
  );
  h.currentOperation = op.id;
  return { status: 202, headers: op.headers };
}
