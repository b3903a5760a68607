import * as vscode from 'vscode';
import { parseArmId, sameArmId } from '../../core/azure/armIds';
import { executeDelete, planDelete, planIds } from '../../core/azure/vmLifecycle';
import { AzureHostNode } from '../tree/azureNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { errorText } from '../../core/docker/errors';

/**
 * Deletes the VM and what was created with it, after the user types the host's name. Whatever
 * could not be removed is listed, so nothing is left behind unknowingly. Once the VM is gone, so is
 * what this machine kept to reach it: its mark, and a provisioned host's certificates and CA key.
 */
export function deleteAzureHost(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof AzureHostNode) || !deps.azureHosts.inventory) {
      return;
    }
    const { vm, subscription } = node;
    const inventory = deps.azureHosts.inventory;
    const clients = inventory.clients(subscription);
    const listing = await inventory.listing(subscription);
    const group = await clients.resources.resourceGroups.get(vm.resourceGroup).catch(() => undefined);
    const plan = planDelete(vm, listing.nics, group?.tags);
    const names = planIds(plan).map((id) => `${parseArmId(id).type} ${parseArmId(id).name}`);
    const typed = await vscode.window.showInputBox({
      title: `Delete ${vm.name}`,
      prompt: `This deletes ${names.join(', ')}${plan.resourceGroup ? ` and the resource group ${plan.resourceGroup} (created for this host)` : ''}. Type "${vm.name}" to confirm.`,
      placeHolder: vm.name,
      ignoreFocusOut: true,
      validateInput: (value) => (value && value !== vm.name ? `Type ${vm.name} exactly.` : undefined),
    });
    if (typed !== vm.name) {
      return;
    }
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting ${vm.name}` }, (progress) =>
        executeDelete(clients, plan, (text) => progress.report({ message: text })),
      );
      if (result.remaining.length) {
        void vscode.window.showWarningMessage(
          `${vm.name}: ${result.deleted.length} resource(s) deleted; these remain: ${result.remaining.map((r) => `${r.id.split('/').pop()} (${r.reason})`).join('; ')}`,
        );
      } else {
        void vscode.window.showInformationMessage(`Deleted ${vm.name} and the ${result.deleted.length - 1} resource(s) created with it.`);
      }
      // While the VM stands (its delete failed), its keys are still the only way into its daemon.
      if (result.deleted.some((id) => sameArmId(id, vm.id))) {
        await deps.hostMarks.set(vm.id, undefined);
        await deps.hostMarks.setSshKey(vm.id, undefined);
        await deps.hostTls.delete(vm.id);
      }
    } catch (err) {
      void vscode.window.showErrorMessage(errorText(err));
    } finally {
      deps.azureHosts.refreshSubscription(subscription.subscriptionId);
    }
  };
}
