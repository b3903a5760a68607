/**
 * Installs Docker on an existing VM through Azure's own VM-extension mechanism (customScriptRun.ts),
 * so no SSH access is needed first.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { OperationCancelled } from '../../docker/errors';
import type { DaemonTls } from '../provisioning/cloudInit';
import { failureText, otherCustomScript, runCustomScript, type ScriptEvent, type ScriptRunOptions, type ScriptTarget } from './customScriptRun';
import { buildInstallScript, parseInstallOutput, type InstallReport } from './installScript';

export const INSTALL_EXTENSION_NAME = 'docker-on-azure-install';
export const UNINSTALL_EXTENSION_NAME = 'docker-on-azure-uninstall';
/** The Custom Script extensions this extension puts on a VM, and removes again. */
export const OUR_EXTENSION_NAMES = [INSTALL_EXTENSION_NAME, UNINSTALL_EXTENSION_NAME];

export interface InstallTarget extends ScriptTarget {
  adminUser: string;
}

export type InstallEvent = ScriptEvent;

export interface InstallOptions extends ScriptRunOptions {
  sshPublicKey: string;
  /** Mutual TLS on 2376 besides SSH: the server side only, which protectedSettings keeps unreadable through the API. */
  tls?: DaemonTls;
}

/** Why a Windows VM gets no install, wherever it is asked for. */
export function windowsNotYet(vmName: string): string {
  return `${vmName} runs Windows. Installing Docker on Windows VMs is not supported yet; only Linux VMs are.`;
}

/** The VM cannot take the script (Windows, another Linux, a Custom Script of someone else's). */
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

/** Refuses a VM the Custom Script extension cannot serve for us: Windows, or one running someone else's Custom Script. */
export async function checkScriptable(compute: ComputeManagementClient, target: ScriptTarget, doing: string): Promise<void> {
  const { resourceGroup: rg, name } = target;
  const vm = await compute.virtualMachines.get(rg, name);
  if (vm.storageProfile?.osDisk?.osType === 'Windows' || vm.osProfile?.windowsConfiguration) {
    throw new InstallRefused(windowsNotYet(name));
  }
  const other = await otherCustomScript(compute, target, OUR_EXTENSION_NAMES);
  if (other) {
    // A VM takes one Custom Script extension; replacing it would lose someone else's.
    throw new InstallRefused(
      `${name} already has a Custom Script extension (${other.name}). Azure allows one per VM: remove it first, then ${doing}.`,
    );
  }
}

export async function installDockerOnVm(compute: ComputeManagementClient, target: InstallTarget, o: InstallOptions): Promise<InstallReport> {
  const { name } = target;
  await checkScriptable(compute, target, 'install Docker');
  const script = buildInstallScript({ adminUser: target.adminUser, sshPublicKey: o.sshPublicKey, tls: o.tls });
  const run = await runCustomScript(compute, target, INSTALL_EXTENSION_NAME, 'the install', script, o);
  if (run.cancelled) {
    throw new InstallCancelled(name, run.notRemoved);
  }
  const report = parseInstallOutput(run.stdout, run.stderr);
  if (report.refused) {
    throw new InstallRefused(`Docker was not installed on ${name}: ${report.refused}.${run.notRemoved}`);
  }
  if (run.failure) {
    throw new InstallFailed(`Installing Docker on ${name} failed: ${failureText(run)}${run.notRemoved}`, run.stderr);
  }
  return report;
}
