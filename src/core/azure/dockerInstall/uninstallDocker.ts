/**
 * Remove Docker Access…: the uninstall script (uninstallScript.ts) goes to the VM the way the
 * install went, through the Custom Script extension, whose resource is removed again at the end.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { OperationCancelled } from '../../docker/errors';
import { failureText, runCustomScript, type ScriptRunOptions } from './customScriptRun';
import { checkScriptable, InstallFailed, UNINSTALL_EXTENSION_NAME, type InstallTarget } from './installDocker';
import { buildUninstallScript, parseUninstallOutput, type UninstallReport, type UninstallScriptOptions } from './uninstallScript';

export type UninstallOptions = ScriptRunOptions & Omit<UninstallScriptOptions, 'adminUser'>;

/** Cancelled after the script was sent: the extension is gone again, but the script may have got part of the way. */
export class UninstallCancelled extends OperationCancelled {
  constructor(vmName: string, notRemoved: string) {
    super();
    this.message =
      `Removing Docker access from ${vmName} was stopped${notRemoved ? '.' : ' and its extension removed.'} ` +
      `The TLS listener may already be gone from the VM; this machine still has the host's certificate and mark, and running it again finishes the job.${notRemoved}`;
  }
}

export async function uninstallDockerAccess(compute: ComputeManagementClient, target: InstallTarget, o: UninstallOptions): Promise<UninstallReport> {
  await checkScriptable(compute, target, 'remove Docker access');
  const script = buildUninstallScript({
    adminUser: target.adminUser,
    removeGroupMembership: o.removeGroupMembership,
    removePackages: o.removePackages,
    takeUnrecorded: o.takeUnrecorded,
  });
  const run = await runCustomScript(compute, target, UNINSTALL_EXTENSION_NAME, 'the removal', script, o);
  if (run.cancelled) {
    throw new UninstallCancelled(target.name, run.notRemoved);
  }
  if (run.failure) {
    throw new InstallFailed(
      `Removing Docker access from ${target.name} failed: ${failureText(run)}. Nothing on this machine or in its network security group was changed.${run.notRemoved}`,
      run.stderr,
    );
  }
  return parseUninstallOutput(run.stdout);
}
