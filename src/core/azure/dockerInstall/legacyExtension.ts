import type { ComputeManagementClient } from '@azure/arm-compute';
import { isLegacyDockerExtension } from '../vmModel';
import type { ScriptTarget } from './customScriptRun';

/** The names the retired DockerExtension has on the VM (the extensions list gives whole models, publisher and type included). */
export async function legacyDockerExtensionNames(compute: ComputeManagementClient, target: ScriptTarget): Promise<string[]> {
  const all = (await compute.virtualMachineExtensions.list(target.resourceGroup, target.name)).value ?? [];
  return all.filter(isLegacyDockerExtension).map((e) => e.name!);
}

/** Deletes those extension resources, one after the other (a VM takes one extension operation at a time). */
export async function deleteExtensions(compute: ComputeManagementClient, target: ScriptTarget, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await compute.virtualMachineExtensions.beginDeleteAndWait(target.resourceGroup, target.name, name);
  }
}
