import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import { azureHostId } from '../../core/azure/azureHostSpec';
import { azureVendor } from '../../core/azure/lazyAzure';
import type { PemPair } from '../../core/azure/provisioning/certificates';
import type { ProvisionEvent, RollbackReport } from '../../core/azure/provisioning/executor';
import type { SshKeyPair, WrittenKeyPair } from '../../core/azure/provisioning/sshKeys';
import { planProvisioning } from '../../core/azure/provisioning/plan';
import { isUnknownHostKeyError } from '../../core/docker/errors';
import { publicKeyBlob, replaceKnownHostKey } from '../../core/docker/knownHosts';
import type { ConnectionEnvironment } from '../../core/docker/connectionEnvironment';
import type { DockerHostSpec } from '../../core/docker/hostSpec';
import { waitForDaemon } from '../../core/docker/waitForDaemon';
import { runProvisionWizard } from '../wizards/provisionWizard';
import { azureWizardContext } from '../wizards/azureWizardContext';
import { daemonWaitMs, sshKeyDirectory } from '../settings';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { errorText } from '../../core/docker/errors';
import type { AzureInventory } from '../../core/azure/azureInventory';

/** The address last allowed in, offered again by the next wizard. */
export const LAST_SOURCE = 'dockerOnAzure.lastSourceRange';

/** A provisioning event as a progress line. */
export function describe(event: ProvisionEvent): string {
  if (event.kind === 'message') {
    return event.text;
  }
  const verb = { creating: 'Creating', created: 'Created', deleting: 'Removing', deleted: 'Removed', kept: 'Could not remove' }[event.state];
  return `${verb} ${event.resource.kind} ${event.resource.name}`;
}

/** The Azure inventory once signed in; else offers to sign in (to do `purpose`) and answers undefined. */
export async function signedInInventory(deps: CommandDeps, purpose: string): Promise<AzureInventory | undefined> {
  try {
    const inventory = deps.azureHosts.currentInventory();
    await inventory.subscriptions();
    return inventory;
  } catch (err) {
    if (isAzureSignInError(err) && (await vscode.window.showInformationMessage(`Sign in to Azure to ${purpose}.`, 'Sign In')) === 'Sign In') {
      await vscode.commands.executeCommand('dockerOnAzure.azure.signIn');
    } else if (!isAzureSignInError(err)) {
      void vscode.window.showErrorMessage(errorText(err));
    }
    return undefined;
  }
}

/**
 * A new key pair is the run's own until a VM holds it: a run that leaves nothing behind takes it
 * back (never a key that was there before); while something it made remains, the VM there may
 * accept the key, so it stays and the user is told where (the sentence returned).
 */
export async function settleNewKey(newKey: { written: WrittenKeyPair; pair: SshKeyPair } | undefined, report: RollbackReport): Promise<string> {
  if (!newKey) {
    return '';
  }
  const { privateKeyPath } = newKey.written;
  const kept = ` The SSH key pair made for it stays at ${privateKeyPath} (and ${path.basename(privateKeyPath)}.pub).`;
  if (report.remaining.length) {
    return kept;
  }
  return azureVendor()
    .removeSshKeyPair(newKey.written, newKey.pair)
    .then(
      () => '',
      () => kept,
    );
}

/** Waits for a new VM's daemon, which cloud-init installs at first boot, as long as provision.daemonWaitMinutes allows. */
export function waitForNewDaemon(spec: DockerHostSpec, env: ConnectionEnvironment, signal: AbortSignal): Promise<void> {
  return waitForDaemon(spec, env, { timeoutMs: daemonWaitMs(), intervalMs: 5_000, signal });
}

/** What a failed run tells the user: why, what it left (if it reported), and where its new key is. */
export function rollbackSentence(report: RollbackReport | undefined): string {
  // A run refused before it created anything has nothing to report back.
  return !report
    ? ''
    : report.remaining.length
      ? ` Still there: ${report.remaining.map((r) => `${r.id.split('/').pop()} (${r.reason})`).join('; ')}.`
      : report.removed.length
        ? ' Nothing it created remains.'
        : '';
}

/**
 * From nothing to a Docker host: the wizard, then the resources (network pieces in parallel),
 * then a bounded wait for the daemon, then the host in the tree. Failure or cancellation rolls
 * back what this run created and says what, if anything, remains.
 */
export function provisionHost(deps: CommandDeps): CommandHandler {
  return async () => {
    const inventory = await signedInInventory(deps, 'provision a Docker host');
    if (!inventory) {
      return;
    }
    const az = azureVendor();
    const sshDir = sshKeyDirectory();
    const answers = await runProvisionWizard(
      await azureWizardContext(inventory, {
        existingKeys: () => az.listExistingKeys(sshDir),
        newKeyPath: async (hostName) => path.join(sshDir, await az.freeKeyFileName(sshDir, hostName)),
        lastSourceRange: deps.context.globalState.get<string>(LAST_SOURCE),
      }),
    );
    if (!answers) {
      return;
    }
    await deps.context.globalState.update(LAST_SOURCE, answers.sourceRange);
    const adminUser = 'azureuser';
    let identityFile = answers.existingKey;
    let publicKey: string;
    let newKey: { written: WrittenKeyPair; pair: SshKeyPair } | undefined;
    if (identityFile) {
      publicKey = await az.readPublicKey(identityFile);
    } else {
      const pair = az.generateSshKeyPair(`${adminUser}@${answers.hostName}`);
      const written = await az.writeSshKeyPair(sshDir, await az.freeKeyFileName(sshDir, answers.hostName), pair);
      newKey = { written, pair };
      identityFile = written.privateKeyPath;
      publicKey = pair.publicKey;
    }
    let ca: PemPair | undefined;
    let client: PemPair | undefined;
    try {
      ca = answers.access === 'tls' ? await az.createCertificateAuthority(`Docker on Azure CA (${answers.hostName})`) : undefined;
      client = ca ? await az.createClientCertificate(ca, `docker-on-azure client (${answers.hostName})`) : undefined;
    } catch (err) {
      await settleNewKey(newKey, { removed: [], remaining: [] });
      throw err;
    }
    const plan = planProvisioning({
      subscriptionId: answers.subscription.subscriptionId,
      location: answers.location,
      resourceGroup: answers.resourceGroup,
      createResourceGroup: answers.createResourceGroup,
      hostName: answers.hostName,
      dnsLabel: answers.dnsLabel,
      vmSize: answers.vmSize,
      image: answers.image,
      adminUser,
      sshPublicKey: publicKey,
      access: answers.access,
      sourceRange: answers.sourceRange,
    });
    const clients = inventory.clients(answers.subscription);
    const hostKey = az.generateSshKeyPair(`root@${answers.hostName}`);
    // Returned once Docker answers, so a command that offered "Provision a new host" can go on with it.
    let ready: DockerHostSpec | undefined;
    await withCancellableProgress(`Provisioning ${answers.hostName}`, async (progress, signal) => {
      try {
        const result = await az.executeProvisioning(plan, {
          clients,
          signal,
          sshHostKey: hostKey,
          onEvent: (e) => {
            progress.report({ message: describe(e) });
            deps.log.info(`[provision ${answers.hostName}] ${describe(e)}`);
          },
          makeServerTls: (names) => az.createDaemonTls(ca!, names),
        });
        // The VM's sshd has the host key made here, so the first connection needs no fingerprint taken on trust.
        const env = deps.connectionEnv();
        const names = [result.publicIp, result.fqdn].filter((n): n is string => !!n);
        if (await replaceKnownHostKey(env.knownHostsFile, names, 22, publicKeyBlob(hostKey.publicKey))) {
          deps.log.info(
            `[provision ${answers.hostName}] ${names.join(' / ')} had another SSH host key in ${env.knownHostsFile}; it now has the new VM's (the file as it was: ${env.knownHostsFile}.old).`,
          );
        }
        let spec: DockerHostSpec;
        if (ca && client) {
          await deps.hostTls.set(result.vmId, { ca: ca.certPem, cert: client.certPem, key: client.keyPem, caKey: ca.keyPem });
          await deps.hostMarks.setSshKey(result.vmId, identityFile);
          spec = {
            id: azureHostId(result.vmId),
            name: answers.hostName,
            source: 'azure',
            address: `tcp://${result.publicIp}:2376`,
            tlsPem: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
          };
        } else {
          await deps.hostMarks.set(result.vmId, { access: 'ssh', user: adminUser, identityFile });
          spec = {
            id: azureHostId(result.vmId),
            name: answers.hostName,
            source: 'azure',
            address: `ssh://${adminUser}@${result.publicIp}`,
            identityFile,
          };
        }
        deps.azureHosts.refreshSubscription(answers.subscription.subscriptionId);
        progress.report({ message: 'Waiting for Docker to answer (cloud-init installs it at first boot)…' });
        try {
          await waitForNewDaemon(spec, env, signal);
          ready = spec;
          void vscode.window.showInformationMessage(`${answers.hostName} is ready: Docker answers at ${spec.address}.`);
        } catch (err) {
          void vscode.window.showWarningMessage(
            isUnknownHostKeyError(err)
              ? `${answers.hostName} was created. Its SSH host key is new to this machine: expand the host in Azure Docker Hosts, check the fingerprint and choose Trust SSH Host Key.`
              : `${answers.hostName} was created. ${errorText(err)}`,
          );
        }
        deps.azureHosts.refreshSubscription(answers.subscription.subscriptionId);
      } catch (err) {
        const report = (err as { rollback?: RollbackReport }).rollback;
        const afterwards = rollbackSentence(report);
        // Without a report the host was created (a later step failed): it holds the key.
        const keyNote = report ? await settleNewKey(newKey, report) : '';
        const text = `${errorText(err).replace(/\.?$/, '.')}${afterwards}${keyNote}`;
        // Cancelled is what the user asked for; what it left behind is still worth knowing.
        void (signal.aborted ? vscode.window.showInformationMessage(text) : vscode.window.showErrorMessage(text));
        deps.azureHosts.refreshSubscription(answers.subscription.subscriptionId);
      }
    });
    return ready;
  };
}
