/**
 * What Compute returns for a VM's extensions: their model, their instance view, and what the VM's
 * own views say of them (`resources`, `instanceView.extensions`). Apart from vmExtensions.ts so the
 * VM views can show extensions without the VM and extension handlers importing each other.
 */
import type { ExtensionRun } from './emulatorCore';
import { props } from './references';
import type { JsonObject } from './specLibrary';

export interface StoredExtension {
  model: JsonObject;
  run?: ExtensionRun;
  /** The full handler version running, for the instance view. */
  handlerVersion: string;
  currentOperation?: string;
}

const TAIL = 4096;
export const tail = (s: string) => (s.length > TAIL ? s.slice(-TAIL) : s);

function status(code: string, level: string, displayStatus: string, message: string): JsonObject {
  return { code, level, displayStatus, message, time: new Date().toISOString() };
}

export function extensionInstanceView(ext: StoredExtension): JsonObject {
  const p = props(ext.model);
  const out = ext.run?.output() ?? { stdout: '', stderr: '' };
  const result = ext.run?.result();
  const state = String(p.provisioningState);
  const both = `\n[stdout]\n${tail(out.stdout)}\n[stderr]\n${tail(out.stderr)}`;
  let main: JsonObject;
  let sub: string;
  if (state === 'Creating' || state === 'Updating') {
    main = status('ProvisioningState/transitioning', 'Info', 'Transitioning', 'Enable in progress');
    sub = 'transitioning';
  } else if (result && result.exitCode !== 0) {
    main = status(`ProvisioningState/failed/${result.exitCode}`, 'Error', 'Provisioning failed', `Enable failed: ${result.error}${both}`);
    sub = 'failed';
  } else {
    main = status('ProvisioningState/succeeded', 'Info', 'Provisioning succeeded', `Enable succeeded: ${both}`);
    sub = 'succeeded';
  }
  return {
    name: String(ext.model.name),
    type: `${String(p.publisher)}.${String(p.type)}`,
    typeHandlerVersion: ext.handlerVersion,
    statuses: [main],
    substatuses: [
      status(`ComponentStatus/StdOut/${sub}`, 'Info', `Provisioning ${sub}`, tail(out.stdout)),
      status(`ComponentStatus/StdErr/${sub}`, 'Info', `Provisioning ${sub}`, tail(out.stderr)),
    ],
  };
}

export function extensionView(ext: StoredExtension, expand: string | undefined): JsonObject {
  const copy = structuredClone(ext.model);
  if ((expand ?? '').toLowerCase().split(',').includes('instanceview')) {
    props(copy).instanceView = extensionInstanceView(ext);
  }
  return copy;
}

/**
 * The VM model's read-only `resources`: the whole extension models on a GET, ids alone in a list,
 * as Compute answers (a list's `resources` carry only `id`, azure-sdk-for-net#13378).
 */
export function vmResources(extensions: Record<string, StoredExtension>, listed: boolean): JsonObject[] {
  return Object.values(extensions).map((e) => (listed ? { id: String(e.model.id) } : extensionView(e, undefined)));
}

/** The guest agent's report of its extensions in the VM's instance view. */
export function agentExtensionViews(extensions: Record<string, StoredExtension>): { handlers: JsonObject[]; extensions: JsonObject[] } {
  const all = Object.values(extensions);
  return {
    handlers: all.map((e) => ({
      type: `${String(props(e.model).publisher)}.${String(props(e.model).type)}`,
      typeHandlerVersion: e.handlerVersion,
      status: { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready', time: new Date().toISOString() },
    })),
    extensions: all.map(extensionInstanceView),
  };
}
