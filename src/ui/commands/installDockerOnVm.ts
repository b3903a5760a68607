import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { azureVendor } from '../../core/azure/lazyAzure';
import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import { isDockerHost } from '../../core/azure/azureHostSpec';
import type { AzureVm } from '../../core/azure/vmModel';
import { installDockerOnVm, InstallCancelled, InstallRefused, windowsNotYet } from '../../core/azure/dockerInstall/installDocker';
import { scriptEventSink } from './scriptLog';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { ScriptTarget } from '../../core/azure/dockerInstall/customScriptRun';
import { deleteExtensions, legacyDockerExtensionNames } from '../../core/azure/dockerInstall/legacyExtension';
import type { SshKeyPair, WrittenKeyPair } from '../../core/azure/provisioning/sshKeys';
import type { PemPair, ServerNames } from '../../core/azure/provisioning/certificates';
import type { DaemonTls } from '../../core/azure/provisioning/cloudInit';
import { DOCKER_TLS_PORT } from '../../core/azure/provisioning/plan';
import { askToOpenPorts } from './azurePorts';
import { errorText, isCancellation } from '../../core/docker/errors';
import { publicKeyBlob, replaceKnownHostKey } from '../../core/docker/knownHosts';
import { scriptPollIntervalMs, sshKeyDirectory } from '../settings';
import { AzureHostNode, AzureVmNode, SubscriptionNode } from '../tree/azureNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';

async function pickVm(deps: CommandDeps, only?: AzureSubscriptionRef): Promise<{ vm: AzureVm; sub: AzureSubscriptionRef } | undefined> {
  let inventory;
  try {
    inventory = deps.azureHosts.currentInventory();
  } catch (err) {
    if (isAzureSignInError(err)) {
      void vscode.window.showInformationMessage('Sign in to Azure first.');
      return undefined;
    }
    throw err;
  }
  const subs = only ? [only] : await inventory.subscriptions();
  // Listed afresh: only a running VM takes an extension, and the cached power states may be old.
  // A Docker host is offered too: installing again fixes its configuration.
  const candidates = (
    await Promise.all(
      subs.map(async (sub) => {
        inventory.invalidate(sub.subscriptionId);
        return (await inventory.listing(sub)).vms.filter((vm) => vm.powerState === 'running').map((vm) => ({ vm, sub }));
      }),
    )
  ).flat();
  if (!candidates.length) {
    void vscode.window.showInformationMessage('No VM is running in the chosen subscriptions: start the VM to install Docker on it.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({
      label: c.vm.name,
      description: [
        c.vm.osType ?? 'Linux',
        c.vm.fqdn ?? c.vm.publicIp ?? 'no public IP',
        isDockerHost(c.vm, deps.hostMarks.get(c.vm.id)) ? 'a Docker host already' : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      detail: `${c.sub.name} · ${c.vm.resourceGroup} · ${c.vm.vmSize}`,
      c,
    })),
    { title: 'Install Docker on VM', matchOnDetail: true },
  );
  return picked?.c;
}

interface PickedKey {
  identityFile: string;
  publicKey: string;
  /** Made for this install: taken back when the VM refused it. */
  made?: { written: WrittenKeyPair; pair: SshKeyPair };
}

/** The key the admin user will sign in with: a new pair (the default) or one already in the key folder. */
export async function pickKey(vm: AzureVm): Promise<PickedKey | undefined> {
  const az = azureVendor();
  const dir = sshKeyDirectory();
  const existing = await az.listExistingKeys(dir);
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'A new key pair for this VM', detail: `written to ${dir}`, file: undefined as string | undefined },
      ...existing.map((file) => ({ label: path.basename(file), detail: file, file })),
    ],
    { title: `Sign in to ${vm.name} over SSH with`, ignoreFocusOut: true },
  );
  if (!picked) {
    return undefined;
  }
  if (picked.file) {
    return { identityFile: picked.file, publicKey: await az.readPublicKey(picked.file) };
  }
  const user = vm.adminUsername ?? 'azureuser';
  const pair = az.generateSshKeyPair(`${user}@${vm.name}`);
  const written = await az.writeSshKeyPair(dir, await az.freeKeyFileName(dir, vm.name), pair);
  return { identityFile: written.privateKeyPath, publicKey: pair.publicKey, made: { written, pair } };
}

/** A CA made for this VM alone, its server certificate for the VM's address, and the client certificate this machine presents. */
async function makeTls(vm: AzureVm, names: ServerNames): Promise<{ ca: PemPair; client: PemPair; server: DaemonTls }> {
  const az = azureVendor();
  const ca = await az.createCertificateAuthority(`Docker on Azure CA (${vm.name})`);
  const server = await az.createDaemonTls(ca, names);
  const client = await az.createClientCertificate(ca, `docker-on-azure client (${vm.name})`);
  return { ca, client, server };
}

/**
 * Once Docker runs as this extension installed it, the retired DockerExtension on the VM has no part
 * left to play: offers to delete that extension resource, and deletes it only on yes. Returns what
 * to add to the final message.
 */
async function offerToDeleteLegacyExtension(compute: ComputeManagementClient, where: ScriptTarget, log: vscode.OutputChannel): Promise<string> {
  const names = await legacyDockerExtensionNames(compute, where);
  if (!names.length) {
    return '';
  }
  const choice = await vscode.window.showWarningMessage(
    `${where.name} still carries the retired Docker VM extension (${names.join(', ')}). Delete that extension from the VM?`,
    {
      modal: true,
      detail:
        'Docker now runs as this install set it up. Deleting the extension makes Azure run its own uninstall step, which purges the ' +
        'docker-engine package if Docker came from it (Docker Engine from before 2017); installing again then puts Docker back. ' +
        'Kept, the VM stays marked "legacy extension".',
    },
    'Delete Extension',
    'Keep It',
  );
  if (choice !== 'Delete Extension') {
    log.appendLine(`Kept the retired DockerExtension (${names.join(', ')}) on ${where.name}.`);
    return '';
  }
  log.appendLine(`Deleting the retired DockerExtension (${names.join(', ')}) from ${where.name}…`);
  try {
    await deleteExtensions(compute, where, names);
  } catch (err) {
    // Docker is installed either way: the failure belongs to the extension, not to the install.
    const text = `The retired DockerExtension could not be deleted from ${where.name} (${errorText(err)}); delete it in the portal.`;
    log.appendLine(text);
    return ` ${text}`;
  }
  log.appendLine('Deleted.');
  return ` Deleted the retired DockerExtension (${names.join(', ')}).`;
}

/**
 * Installs Docker on a running VM (or fixes its configuration), through Azure's Custom Script
 * extension (no SSH needed first), streaming what the VM reports to the Install output; then the
 * VM is a Docker host reached over SSH as its admin user, with the host key Azure passed back, or
 * over mutual TLS on 2376 with certificates made here, once the user lets their source reach it.
 */
export function installDockerOnVmCommand(deps: CommandDeps): CommandHandler {
  return async (node) => {
    // From a VM's row (a host's: install again there, which fixes what is off): no VM to pick.
    const target =
      node instanceof AzureHostNode || node instanceof AzureVmNode
        ? { vm: node.vm, sub: node.subscription }
        : await pickVm(deps, node instanceof SubscriptionNode ? node.subscription : undefined);
    if (!target) {
      return;
    }
    const { vm, sub } = target;
    if (vm.powerState !== 'running' && vm.osType !== 'Windows') {
      void vscode.window.showInformationMessage(`${vm.name} is ${vm.powerState}: start the VM to install Docker on it.`);
      return;
    }
    if (vm.osType === 'Windows') {
      void vscode.window.showInformationMessage(windowsNotYet(vm.name));
      return;
    }
    const adminUser = vm.adminUsername ?? 'azureuser';
    const how = await vscode.window.showQuickPick(
      [
        { label: 'SSH', detail: `${adminUser} joins the docker group and reaches Docker over SSH`, access: 'ssh' as const },
        {
          label: 'Mutual TLS on 2376',
          detail: 'Certificates made on this machine; 2376 opened in the network security group for a source you choose',
          access: 'tls' as const,
        },
      ],
      { title: `Reach Docker on ${vm.name} over`, ignoreFocusOut: true },
    );
    if (!how) {
      return;
    }
    const address = { dnsNames: vm.fqdn ? [vm.fqdn] : [], ipAddresses: vm.publicIp ? [vm.publicIp] : [] };
    if (how.access === 'tls' && !vm.publicIp && !vm.fqdn) {
      void vscode.window.showInformationMessage(
        `${vm.name} has no public address for a TLS certificate to name: give it a public IP first, or install with SSH.`,
      );
      return;
    }
    const key = await pickKey(vm);
    if (!key) {
      return;
    }
    const tls = how.access === 'tls' ? await makeTls(vm, address) : undefined;
    const log = deps.installLog;
    log.show(true);
    log.appendLine(`Installing Docker on ${vm.name} (${vm.resourceGroup}) for ${adminUser}`);
    try {
      const compute = deps.azureHosts.currentInventory().clients(sub).compute;
      const where = { resourceGroup: vm.resourceGroup, name: vm.name, location: vm.location };
      const report = await withCancellableProgress(`Installing Docker on ${vm.name}`, (progress, signal) =>
        installDockerOnVm(
          compute,
          { ...where, adminUser },
          {
            sshPublicKey: key.publicKey,
            tls: tls?.server,
            signal,
            pollIntervalMs: scriptPollIntervalMs(),
            onEvent: scriptEventSink(log, progress),
          },
        ),
      );
      const names = [vm.publicIp, vm.fqdn].filter((n): n is string => !!n);
      if (report.hostKey && names.length) {
        const env = deps.connectionEnv();
        if (await replaceKnownHostKey(env.knownHostsFile, names, 22, publicKeyBlob(report.hostKey))) {
          log.appendLine(
            `${names.join(' / ')} had another SSH host key in ${env.knownHostsFile}; it now has the one ${vm.name} reported through Azure (the file as it was: ${env.knownHostsFile}.old).`,
          );
        }
      }
      const mark = deps.hostMarks.get(vm.id);
      if (tls) {
        // Kept as provisioning keeps a TLS host's: the client side and the CA key in SecretStorage, the SSH key for terminals.
        const { ca, client } = tls;
        await deps.hostTls.set(vm.id, { ca: ca.certPem, cert: client.certPem, key: client.keyPem, caKey: ca.keyPem });
        await deps.hostMarks.setSshKey(vm.id, key.identityFile);
        await deps.hostMarks.set(vm.id, { access: 'tls', port: DOCKER_TLS_PORT });
      } else if (!vm.provisioned && mark?.access !== 'tls') {
        // A VM reached over TLS (provisioned so, or so marked) stays reached that way; SSH now works besides.
        await deps.hostMarks.set(vm.id, { access: 'ssh', user: adminUser, identityFile: key.identityFile });
      }
      const what = report.changed.length ? `Changed: ${report.changed.join('; ')}.` : 'It was set up already: nothing changed.';
      log.appendLine(what);
      if (tls) {
        try {
          await askToOpenPorts(deps, vm, sub, [{ port: DOCKER_TLS_PORT, protocol: 'tcp' }], `Docker cannot be reached on ${DOCKER_TLS_PORT}`);
        } catch (err) {
          void vscode.window.showWarningMessage(`Could not open ${DOCKER_TLS_PORT} on ${vm.name}: ${errorText(err)}`);
        }
      }
      const legacy = vm.legacyDockerExtension ? await offerToDeleteLegacyExtension(compute, where, log) : '';
      deps.azureHosts.refreshSubscription(sub.subscriptionId);
      const listens = tls ? ` Docker listens with mutual TLS on ${DOCKER_TLS_PORT}.` : '';
      void vscode.window.showInformationMessage(`Docker is ready on ${vm.name}${report.os ? ` (${report.os})` : ''}.${listens} ${what}${legacy}`);
    } catch (err) {
      const cancelled = [err, (err as { cause?: unknown }).cause].find((e) => e instanceof InstallCancelled);
      if (cancelled) {
        log.appendLine(errorText(cancelled));
        void vscode.window.showInformationMessage(errorText(cancelled));
        return;
      }
      if (err instanceof InstallRefused && key.made) {
        // Nothing on the VM took the new key.
        await azureVendor().removeSshKeyPair(key.made.written, key.made.pair);
      }
      if (isCancellation(err)) {
        return;
      }
      log.appendLine(errorText(err));
      throw err;
    }
  };
}
