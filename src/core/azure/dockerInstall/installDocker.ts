/**
 * Installs Docker on an existing VM through Azure's own VM-extension mechanism, so no SSH access
 * is needed first: the install script goes in the Custom Script extension's protectedSettings
 * (encrypted to the VM, never readable back through the API), its progress comes from the
 * extension's instance view, and the extension resource is removed afterwards — what it did stays,
 * and the VM's one Custom Script slot is free again for the user's own scripts.
 */
import { randomUUID } from 'node:crypto';
import type { ComputeManagementClient, VirtualMachineExtension, VirtualMachineExtensionInstanceView } from '@azure/arm-compute';
import { OperationCancelled } from '../../docker/errors';
import type { DaemonTls } from '../provisioning/cloudInit';
import { buildInstallScript, parseInstallOutput, type InstallReport } from './installScript';

export const INSTALL_EXTENSION_NAME = 'docker-on-azure-install';
/** The Custom Script extension for Linux, as the install sends it and the exported template declares it. */
export const CUSTOM_SCRIPT = { publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1' } as const;

/** The extension's protectedSettings for the install script: encrypted to the VM, never readable back. */
export function installProtectedSettings(script: string): { script: string } {
  return { script: Buffer.from(script).toString('base64') };
}

export interface InstallTarget {
  resourceGroup: string;
  name: string;
  location: string;
  adminUser: string;
}

export type InstallEvent =
  | { kind: 'step'; text: string }
  /** A line the script printed, as the instance view showed it. */
  | { kind: 'output'; stream: 'stdout' | 'stderr'; line: string };

export interface InstallOptions {
  sshPublicKey: string;
  /** Mutual TLS on 2376 besides SSH: the server side only, which protectedSettings keeps unreadable through the API. */
  tls?: DaemonTls;
  signal?: AbortSignal;
  onEvent?: (e: InstallEvent) => void;
  /** How often the instance view is read while the script runs (default 5 s). */
  pollIntervalMs?: number;
}

/** Why a Windows VM gets no install, wherever it is asked for. */
export function windowsNotYet(vmName: string): string {
  return `${vmName} runs Windows. Installing Docker on Windows VMs is not supported yet; only Linux VMs are.`;
}

/** The VM cannot take the install (Windows, another Linux, a Custom Script of someone else's). */
export class InstallRefused extends Error {}

/** The script failed on the VM; `stderr` is what it wrote there. */
export class InstallFailed extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Cancelled after the script was sent: the extension is gone again, but the script may have got part of the way. */
export class InstallCancelled extends OperationCancelled {
  /** `notRemoved`: why the extension is still there, if it is. */
  constructor(vmName: string, notRemoved: string) {
    super();
    this.message =
      `The install on ${vmName} was stopped${notRemoved ? '.' : ' and its extension removed.'} ` +
      `Docker Engine, the docker group membership and the SSH key may already be on the VM; installing again finishes the job.${notRemoved}`;
  }
}

export async function installDockerOnVm(compute: ComputeManagementClient, target: InstallTarget, o: InstallOptions): Promise<InstallReport> {
  const emit = o.onEvent ?? (() => undefined);
  const { resourceGroup: rg, name } = target;
  const vm = await compute.virtualMachines.get(rg, name);
  if (vm.storageProfile?.osDisk?.osType === 'Windows' || vm.osProfile?.windowsConfiguration) {
    throw new InstallRefused(windowsNotYet(name));
  }
  const existing = (await compute.virtualMachineExtensions.list(rg, name)).value ?? [];
  const otherScript = existing.find((e) => isCustomScript(e) && e.name?.toLowerCase() !== INSTALL_EXTENSION_NAME);
  if (otherScript) {
    // A VM takes one Custom Script extension; replacing it would lose someone else's.
    throw new InstallRefused(
      `${name} already has a Custom Script extension (${otherScript.name}). Azure allows one per VM: remove it first, then install Docker.`,
    );
  }
  const script = buildInstallScript({ adminUser: target.adminUser, sshPublicKey: o.sshPublicKey, tls: o.tls });
  if (o.signal?.aborted) {
    throw new OperationCancelled();
  }
  emit({ kind: 'step', text: `Sending the install to ${name} as the Custom Script extension ${INSTALL_EXTENSION_NAME}…` });
  const poller = await compute.virtualMachineExtensions.beginCreateOrUpdate(rg, name, INSTALL_EXTENSION_NAME, {
    location: target.location,
    publisher: CUSTOM_SCRIPT.publisher,
    typePropertiesType: CUSTOM_SCRIPT.type,
    typeHandlerVersion: CUSTOM_SCRIPT.typeHandlerVersion,
    autoUpgradeMinorVersion: true,
    // A new tag makes Azure run the script again even when nothing else changed.
    forceUpdateTag: randomUUID(),
    protectedSettings: installProtectedSettings(script),
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
  const instanceView = async () =>
    (await compute.virtualMachineExtensions.get(rg, name, INSTALL_EXTENSION_NAME, { expand: 'instanceView' })).instanceView;
  let failure: unknown;
  try {
    while (!poller.isDone()) {
      await sleep(o.pollIntervalMs ?? 5000, o.signal);
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
      await compute.virtualMachineExtensions.beginDeleteAndWait(rg, name, INSTALL_EXTENSION_NAME);
      return '';
    } catch (err) {
      return ` The extension ${INSTALL_EXTENSION_NAME} could not be removed (${(err as Error).message}); remove it in the portal before installing again.`;
    }
  };
  if (o.signal?.aborted) {
    emit({ kind: 'step', text: `Cancelled: removing the extension ${INSTALL_EXTENSION_NAME}…` });
    throw new InstallCancelled(name, await remove());
  }
  const out = show(await instanceView().catch(() => undefined));
  emit({ kind: 'step', text: `Removing the extension ${INSTALL_EXTENSION_NAME} (what it installed stays)…` });
  const notRemoved = await remove();
  const report = parseInstallOutput(out.stdout, out.stderr);
  if (report.refused) {
    throw new InstallRefused(`Docker was not installed on ${name}: ${report.refused}.${notRemoved}`);
  }
  if (failure) {
    const stderr = out.stderr.trim();
    throw new InstallFailed(
      `Installing Docker on ${name} failed${stderr ? `: ${lastLines(stderr, 5)}` : `: ${(failure as Error).message ?? String(failure)}`}${notRemoved}`,
      out.stderr,
    );
  }
  if (notRemoved) {
    emit({ kind: 'step', text: notRemoved.trim() });
  }
  return report;
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

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join(' / ');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new OperationCancelled());
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    };
    const abort = () => {
      done();
      reject(new OperationCancelled());
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort);
  });
}
