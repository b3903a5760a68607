import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { runVmAction, VmAction } from '../../core/azure/vmLifecycle';
import { AzureHostNode } from '../tree/azureNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { errorText, isCancellation } from '../../core/docker/errors';

const TITLES: Record<VmAction, string> = {
  start: 'Starting',
  deallocate: 'Stopping (deallocating)',
  restart: 'Restarting',
  powerOff: 'Powering off',
};

/** Start, stop (deallocate) or restart the VM behind an Azure host, then show its real state. */
export function azureHostAction(action: VmAction) {
  return (deps: CommandDeps): CommandHandler =>
    async (node) => {
      if (!(node instanceof AzureHostNode) || !deps.azureHosts.inventory) {
        void vscode.window.showInformationMessage('Choose a host in the Azure Docker Hosts view, then run this from its context menu.');
        return;
      }
      const { vm, subscription } = node;
      if (action === 'deallocate') {
        const answer = await vscode.window.showWarningMessage(
          `Stop ${vm.name}?`,
          {
            modal: true,
            detail: 'The VM is deallocated: its compute billing stops, its disks and static IP stay (and are still billed). Containers stop with it.',
          },
          'Stop and Deallocate',
        );
        if (answer !== 'Stop and Deallocate') {
          return;
        }
      }
      const clients = deps.azureHosts.inventory.clients(subscription);
      const refresh = () => deps.azureHosts.refreshSubscription(subscription.subscriptionId);
      try {
        await withCancellableProgress(`${TITLES[action]} ${vm.name}…`, async (_p, signal) => {
          const requested = performance.now();
          // Once accepted, the tree shows the transitional state (starting…, deallocating…).
          await runVmAction(clients, vm, action, signal, refresh);
          if (action === 'start') {
            // The comparison page sets container start-up against this.
            await deps.vmStarts.record(vm.id, performance.now() - requested);
          }
        });
      } catch (err) {
        if (!isCancellation(err)) {
          void vscode.window.showErrorMessage(errorText(err));
        }
      } finally {
        refresh();
      }
    };
}
