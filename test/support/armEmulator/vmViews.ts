/** What Compute returns for a VM: its model (with etag), its instance view, and the two together. */
import type { EmulatorCore } from './emulatorCore';
import { agentExtensionViews, vmResources, type StoredExtension } from './extensionViews';
import type { ErrorDetail } from './protocol';
import { props } from './references';
import { isObject, type JsonObject } from './specLibrary';
import type { VmHidden } from './vmModel';

export type VmState = VmHidden & { failure?: ErrorDetail; extensions?: Record<string, StoredExtension> };

export const vmState = (core: EmulatorCore, vm: JsonObject) => core.state.hiddenState<VmState>(String(vm.id));

const status = (code: string, displayStatus: string, time?: string, level = 'Info', message?: string) => ({
  code,
  level,
  displayStatus,
  ...(message ? { message } : {}),
  ...(time ? { time } : {}),
});

export function instanceView(core: EmulatorCore, vm: JsonObject): JsonObject {
  const h = vmState(core, vm);
  const p = props(vm);
  const power = h.power ?? 'running';
  const now = new Date().toISOString();
  const ps = String(p.provisioningState);
  const provisioning =
    ps === 'Failed' && h.failure
      ? status(`ProvisioningState/failed/${h.failure.code}`, 'Provisioning failed', now, 'Error', h.failure.message)
      : status(`ProvisioningState/${ps.toLowerCase()}`, ps === 'Succeeded' ? 'Provisioning succeeded' : ps, now);
  const osDisk = isObject(p.storageProfile) && isObject(p.storageProfile.osDisk) ? p.storageProfile.osDisk : {};
  const view: JsonObject = {
    disks: [{ name: String(osDisk.name ?? ''), statuses: [status('ProvisioningState/succeeded', 'Provisioning succeeded', String(p.timeCreated))] }],
    hyperVGeneration: 'V2',
    statuses: [provisioning, status(`PowerState/${power}`, `VM ${power}`)],
  };
  // A deallocated VM has no guest to report on.
  if (power !== 'deallocated') {
    const os = isObject(p.osProfile) ? p.osProfile : {};
    Object.assign(view, { computerName: os.computerName ?? vm.name, osName: 'ubuntu', osVersion: '24.04' });
    const agent = agentExtensionViews(h.extensions ?? {});
    view.vmAgent =
      power === 'running'
        ? {
            vmAgentVersion: '2.13.1.1',
            statuses: [status('ProvisioningState/succeeded', 'Ready', now, 'Info', 'Guest Agent is running')],
            extensionHandlers: agent.handlers,
          }
        : {
            vmAgentVersion: 'Unknown',
            statuses: [status('ProvisioningState/Unavailable', 'Not Ready', now, 'Warning', 'VM status blob is found but not yet populated.')],
          };
    // The agent of a stopped VM reports nothing, so its extensions are known by the model alone.
    if (power === 'running' && agent.extensions.length) {
      view.extensions = agent.extensions;
    }
  }
  return view;
}

/** The VM's GET body (`listed`: as an item of a list); `expand` as in $expand (instanceView, userData). */
export function vmView(core: EmulatorCore, vm: JsonObject, expand: string | undefined, listed = false): JsonObject {
  const copy = structuredClone(vm);
  const h = vmState(core, vm);
  copy.etag = `"${h.etag ?? 1}"`;
  if (h.extensions && Object.keys(h.extensions).length) {
    copy.resources = vmResources(h.extensions, listed);
  }
  const wanted = (expand ?? '').toLowerCase().split(',');
  if (wanted.includes('instanceview')) {
    props(copy).instanceView = instanceView(core, vm);
  }
  if (wanted.includes('userdata') && h.userData !== undefined) {
    props(copy).userData = h.userData;
  }
  return copy;
}
