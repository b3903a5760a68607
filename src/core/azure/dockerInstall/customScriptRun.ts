/**
 * Runs one of this extension's scripts on a VM through Azure's Custom Script extension: the script
 * goes in protectedSettings (encrypted to the VM, never readable back through the API), its progress
 * comes from the extension's instance view, and the extension resource is removed afterwards — what
 * the script did stays, and the VM's one Custom Script slot is free again for the user's own scripts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComputeManagementClient, VirtualMachineExtension, VirtualMachineExtensionInstanceView } from '@azure/arm-compute';
import { OperationCancelled } from '../../docker/errors';

/** The Custom Script extension for Linux, as a run sends it and an exported template declares it. */
export const CUSTOM_SCRIPT = { publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1' } as const;

/** The extension's protectedSettings for a script: encrypted to the VM, never readable back. */
export function scriptProtectedSettings(script: string): { script: string } {
  return { script: Buffer.from(script).toString('base64') };
}

export interface ScriptTarget {
  resourceGroup: string;
  name: string;
  location: string;
}

export type ScriptEvent =
  | { kind: 'step'; text: string }
  /** A line the script printed, as the instance view showed it. */
  | { kind: 'output'; stream: 'stdout' | 'stderr'; line: string };

export interface ScriptRunOptions {
  signal?: AbortSignal;
  onEvent?: (e: ScriptEvent) => void;
  /** How often the instance view is read while the script runs (default 5 s). */
  pollIntervalMs?: number;
}

export interface ScriptRun {
  stdout: string;
  stderr: string;
  /** Why the extension's provisioning failed, if it did. */
  failure?: unknown;
  /** Why the extension is still on the VM, as a sentence to append; empty once it is gone. */
  notRemoved: string;
  /** The run was cancelled: the extension is gone (unless `notRemoved` says otherwise). */
  cancelled: boolean;
}

/** A VM takes one Custom Script extension: the one of the user's own, if the VM has it (not one of these names). */
export async function otherCustomScript(
  compute: ComputeManagementClient,
  target: ScriptTarget,
  ours: readonly string[],
): Promise<VirtualMachineExtension | undefined> {
  const existing = (await compute.virtualMachineExtensions.list(target.resourceGroup, target.name)).value ?? [];
  return existing.find((e) => isCustomScript(e) && !ours.includes(e.name?.toLowerCase() ?? ''));
}

export async function runCustomScript(
  compute: ComputeManagementClient,
  target: ScriptTarget,
  extensionName: string,
  /** What is sent, for the progress: "the install". */
  what: string,
  script: string,
  o: ScriptRunOptions,
): Promise<ScriptRun> {
  const emit = o.onEvent ?? (() => undefined);
  const { resourceGroup: rg, name } = target;
  if (o.signal?.aborted) {
    throw new OperationCancelled();
  }
  emit({ kind: 'step', text: `Sending ${what} to ${name} as the Custom Script extension ${extensionName}…` });
  const poller = await compute.virtualMachineExtensions.beginCreateOrUpdate(rg, name, extensionName, {
    location: target.location,
    publisher: CUSTOM_SCRIPT.publisher,
    typePropertiesType: CUSTOM_SCRIPT.type,
    typeHandlerVersion: CUSTOM_SCRIPT.typeHandlerVersion,
    autoUpgradeMinorVersion: true,
    // A new tag makes Azure run the script again even when nothing else changed.
    forceUpdateTag: randomUUID(),
    protectedSettings: scriptProtectedSettings(script),
  });
  const seen = { stdout: 0, stderr: 0 };
  const show = (view: VirtualMachineExtensionInstanceView | undefined) => {
    const out = outputOf(view);
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = out[stream].split('\n').filter((l) => l.trim() !== '');
      for (const line of lines.slice(seen[stream])) {
        emit({ kind: 'output', stream, line });
      }
      seen[stream] = Math.max(seen[stream], lines.length);
    }
    return out;
  };
  const instanceView = async () => (await compute.virtualMachineExtensions.get(rg, name, extensionName, { expand: 'instanceView' })).instanceView;
  let failure: unknown;
  try {
    while (!poller.isDone()) {
      await sleep(o.pollIntervalMs ?? 5000, undefined, { signal: o.signal });
      await poller.poll();
      show(await instanceView());
    }
    poller.getResult();
  } catch (err) {
    failure = err;
  }
  // Whatever the outcome, the extension goes; when it cannot, the user hears so with the outcome.
  const remove = async (): Promise<string> => {
    try {
      await compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, extensionName);
      return '';
    } catch (err) {
      return ` The extension ${extensionName} could not be removed (${(err as Error).message}); remove it in the portal before running it again.`;
    }
  };
  if (o.signal?.aborted) {
    emit({ kind: 'step', text: `Cancelled: removing the extension ${extensionName}…` });
    return { stdout: '', stderr: '', notRemoved: await remove(), cancelled: true };
  }
  const out = show(await instanceView().catch(() => undefined));
  emit({ kind: 'step', text: `Removing the extension ${extensionName} (what the script did stays)…` });
  const notRemoved = await remove();
  if (notRemoved && !failure) {
    emit({ kind: 'step', text: notRemoved.trim() });
  }
  return { ...out, failure, notRemoved, cancelled: false };
}

/** The tail of the script's stderr, else the error, for "… failed: <this>". */
export function failureText(run: ScriptRun): string {
  const stderr = run.stderr.trim();
  return stderr ? stderr.split('\n').slice(-5).join(' / ') : ((run.failure as Error).message ?? String(run.failure));
}

function isCustomScript(e: VirtualMachineExtension): boolean {
  return (
    e.publisher?.toLowerCase() === CUSTOM_SCRIPT.publisher.toLowerCase() && e.typePropertiesType?.toLowerCase() === CUSTOM_SCRIPT.type.toLowerCase()
  );
}

/**
 * The script's stdout and stderr from the instance view: the StdOut/StdErr substatuses where the
 * handler gives them, else the `[stdout]`/`[stderr]` blocks of its status message (Linux Custom Script).
 */
export function outputOf(view: VirtualMachineExtensionInstanceView | undefined): { stdout: string; stderr: string } {
  const sub = (kind: string) => view?.substatuses?.find((s) => s.code?.startsWith(`ComponentStatus/${kind}/`))?.message;
  const message = view?.statuses?.[0]?.message ?? '';
  const block = (name: string) => {
    const m = new RegExp(`\\[${name}\\]\\n([\\s\\S]*?)(?:\\n\\[(?:stdout|stderr)\\]\\n|$)`).exec(message);
    return m ? m[1] : '';
  };
  return { stdout: sub('StdOut') ?? block('stdout'), stderr: sub('StdErr') ?? block('stderr') };
}
