import * as vscode from 'vscode';
import { azureVendor } from '../../core/azure/lazyAzure';
import { planProvisioning } from '../../core/azure/provisioning/plan';
import { runProvisionWizard } from '../wizards/provisionWizard';
import { azureWizardContext } from '../wizards/azureWizardContext';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { AzureHostNode, AzureVmNode } from '../tree/azureNodes';
import { pickKey } from './installDockerOnVm';
import { windowsNotYet } from '../../core/azure/dockerInstall/installDocker';

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

/**
 * From a VM's row: Install Docker on VM… (SSH mode) as a template to deploy to that existing VM.
 * The script goes in a parameters file beside it, never into the template itself.
 */
export function exportDockerInstallTemplate(): CommandHandler {
  return async (node) => {
    if (!(node instanceof AzureVmNode || node instanceof AzureHostNode)) {
      void vscode.window.showInformationMessage('Right-click a VM in Azure Docker Hosts to export its Docker install as a template.');
      return;
    }
    const { vm } = node;
    if (vm.osType === 'Windows') {
      void vscode.window.showInformationMessage(windowsNotYet(vm.name));
      return;
    }
    const key = await pickKey(vm);
    if (!key) {
      return;
    }
    const adminUser = vm.adminUsername ?? 'azureuser';
    const { template, protectedSettings } = azureVendor().buildDockerInstallTemplate(
      { vmName: vm.name, location: vm.location },
      { adminUser, sshPublicKey: key.publicKey },
    );
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Save ARM template',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${vm.name}-docker-install.json`) : undefined,
      filters: { 'ARM template': ['json'] },
    });
    const parametersFile = target && target.with({ path: target.path.replace(/(\.json)?$/i, '.parameters.json') });
    if (!target || !parametersFile || !(await mayOverwrite(parametersFile))) {
      if (key.made) {
        await azureVendor().removeSshKeyPair(key.made.written, key.made.pair);
      }
      return;
    }
    const parameters = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
      contentVersion: '1.0.0.0',
      parameters: { protectedSettings: { value: protectedSettings } },
    };
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(template, null, 2) + '\n'));
    await vscode.workspace.fs.writeFile(parametersFile, Buffer.from(JSON.stringify(parameters, null, 2) + '\n'));
    await vscode.window.showTextDocument(target);
    const base = (uri: vscode.Uri) => uri.path.split('/').pop();
    void vscode.window.showInformationMessage(
      `Deploy with: az deployment group create -g ${vm.resourceGroup} --template-file ${base(target)} --parameters @${base(parametersFile)}` +
        ` — then Add Existing VM as Docker Host… with SSH as ${adminUser} and ${key.identityFile}.`,
    );
  };
}

/** The parameters file is written beside the template: one already there is replaced only if the user says so. */
async function mayOverwrite(file: vscode.Uri): Promise<boolean> {
  const exists = await vscode.workspace.fs.stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) {
    return true;
  }
  const replace = 'Replace';
  const answer = await vscode.window.showWarningMessage(
    `${file.fsPath} exists already. Replace it with the template's parameters?`,
    { modal: true },
    replace,
  );
  return answer === replace;
}
