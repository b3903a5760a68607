import * as vscode from 'vscode';
import { azureVendor } from '../../core/azure/lazyAzure';
import { planProvisioning } from '../../core/azure/provisioning/plan';
import { runProvisionWizard } from '../wizards/provisionWizard';
import { azureWizardContext } from '../wizards/azureWizardContext';
import type { CommandDeps, CommandHandler } from './commandDeps';

/** The wizard's answers as an ARM template to deploy with `az deployment group create`; nothing is created. */
export function exportArmTemplate(deps: CommandDeps): CommandHandler {
  return async () => {
    const inventory = deps.azureHosts.currentInventory();
    const answers = await runProvisionWizard(
      await azureWizardContext(inventory, {
        existingKeys: async () => [],
        lastSourceRange: deps.context.globalState.get<string>('dockerOnAzure.lastSourceRange'),
        forTemplate: true,
      }),
    );
    if (!answers) {
      return;
    }
    const adminUser = 'azureuser';
    const plan = planProvisioning({
      subscriptionId: answers.subscription.subscriptionId,
      location: answers.location,
      resourceGroup: answers.resourceGroup,
      createResourceGroup: false,
      hostName: answers.hostName,
      dnsLabel: answers.dnsLabel,
      vmSize: answers.vmSize,
      image: answers.image,
      adminUser,
      // A parameter of the template; this value never appears in it.
      sshPublicKey: '<ssh-public-key>',
      access: 'ssh',
      sourceRange: answers.sourceRange,
    });
    const template = azureVendor().buildArmTemplate(plan);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Save ARM template',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${answers.hostName}.json`) : undefined,
      filters: { 'ARM template': ['json'] },
    });
    if (!target) {
      return;
    }
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(template, null, 2) + '\n'));
    await vscode.window.showTextDocument(target);
    void vscode.window.showInformationMessage(
      `Deploy with: az deployment group create -g ${answers.resourceGroup} --template-file ${target.fsPath.split('/').pop()} --parameters sshPublicKey=@~/.ssh/id_ed25519.pub`,
    );
  };
}
