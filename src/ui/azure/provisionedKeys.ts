import * as fs from 'fs';
import * as path from 'path';
import { provisionedKeyFileName, validateHostName } from '../../core/azure/provisioning/naming';
import type { AzureVm } from '../../core/azure/vmModel';
import { sshKeyDirectory } from '../settings';

/**
 * The private key Provision wrote for this VM, when it is still in the key folder: a profile that
 * did not provision the host (a new one, a reinstall) reaches it with that key as well.
 */
export function provisionedSshKey(vm: AzureVm): string | undefined {
  // Only a name the wizard accepts can be one it wrote a key for.
  if (!vm.provisioned || validateHostName(vm.name)) {
    return undefined;
  }
  const file = path.join(sshKeyDirectory(), provisionedKeyFileName(vm.name));
  return fs.existsSync(file) ? file : undefined;
}
