import * as vscode from 'vscode';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import { daemonSource, openPorts, PortToOpen, portsToOpen, validateSource } from '../../core/azure/nsgPorts';
import { parseArmId } from '../../core/azure/armIds';
import type { DockerHostSession } from '../../core/docker/hostSession';
import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import type { AzureVm } from '../../core/azure/vmModel';
import type { CommandDeps } from './commandDeps';
import { errorText } from '../../core/docker/errors';

/**
 * Lets a source the user picks reach `ports` in each of the VM's network security groups that does
 * not yet: asks first (opening a port is a security decision), offering the source the VM already
 * trusts for SSH or the daemon. `unreachable` says what stays closed if the user declines.
 */
export async function askToOpenPorts(
  deps: CommandDeps,
  vm: AzureVm,
  subscription: AzureSubscriptionRef,
  ports: readonly PortToOpen[],
  unreachable: string,
): Promise<void> {
  const network = deps.azureHosts.currentInventory().clients(subscription).network;
  for (const nsgId of vm.nsgIds) {
    const { resourceGroup, name } = parseArmId(nsgId);
    const rules = (await network.networkSecurityGroups.get(resourceGroup, name)).securityRules ?? [];
    const suggested = daemonSource(rules) ?? '*';
    const missing = portsToOpen(rules, ports, suggested);
    if (!missing.length) {
      continue;
    }
    const list = missing.map((p) => `${p.port}/${p.protocol}`).join(', ');
    const who = suggested === '*' ? 'anyone' : suggested;
    const openFor = `Open for ${who}`;
    const choice = await vscode.window.showWarningMessage(
      `Open port${missing.length > 1 ? 's' : ''} ${list} of ${vm.name} in its network security group ${name}?`,
      {
        detail: `Until then ${unreachable}. ${who === 'anyone' ? 'Anyone on the internet' : who} will be let in.`,
      },
      openFor,
      'Choose Source…',
    );
    let source: string | undefined = choice === openFor ? suggested : undefined;
    if (choice === 'Choose Source…') {
      source = (
        await vscode.window.showInputBox({
          title: `Who may reach ${list}?`,
          value: suggested,
          prompt: 'An IPv4 address, a range in CIDR form, a service tag (Internet), or * for anyone',
          validateInput: validateSource,
          ignoreFocusOut: true,
        })
      )?.trim();
    }
    if (!source) {
      continue;
    }
    const chosen = source;
    const created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opening ${list} in ${name}` }, () =>
      openPorts(network, nsgId, missing, chosen),
    );
    deps.log.info(`Opened ${list} in ${nsgId} for ${chosen}: ${created.join(', ')}`);
  }
}

/**
 * After a deploy to an Azure host: the published ports are useless until the VM's network security
 * group lets someone in. Asks first (opening a port is a security decision), offering the source the
 * host already trusts for SSH or the daemon. Returns the VM's DNS name for the browser URL, if it has one.
 */
export async function openPortsOnAzureHost(
  deps: CommandDeps,
  session: DockerHostSession,
  ports: readonly PortToOpen[],
): Promise<{ publicHost?: string }> {
  if (session.spec.source !== 'azure' || !ports.length) {
    return {};
  }
  try {
    const inventory = deps.azureHosts.currentInventory();
    const found = await inventory.findHostVm(session.spec.id);
    if (!found) {
      return {};
    }
    await askToOpenPorts(deps, found.vm, found.subscription, ports, 'the container cannot be reached from outside the VM');
    return { publicHost: found.vm.fqdn ?? found.vm.publicIp };
  } catch (err) {
    // The container is running; a firewall problem must not read as a failed deploy.
    void vscode.window.showWarningMessage(
      isAzureSignInError(err)
        ? `Sign in to Azure to open the container's ports on ${session.spec.name}.`
        : `Could not open the ports on ${session.spec.name}: ${errorText(err)}`,
    );
    return {};
  }
}
