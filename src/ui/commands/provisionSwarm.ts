import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { azureHostId } from '../../core/azure/azureHostSpec';
import { azureVendor } from '../../core/azure/lazyAzure';
import type { RollbackReport } from '../../core/azure/provisioning/executor';
import type { ProvisionedNode } from '../../core/azure/provisioning/swarmExecutor';
import { planSwarmProvisioning } from '../../core/azure/provisioning/swarmPlan';
import type { SshKeyPair, WrittenKeyPair } from '../../core/azure/provisioning/sshKeys';
import { errorText } from '../../core/docker/errors';
import type { DockerHostSpec } from '../../core/docker/hostSpec';
import { DockerHostSession } from '../../core/docker/hostSession';
import { publicKeyBlob, replaceKnownHostKey } from '../../core/docker/knownHosts';
import { createSwarm } from '../../core/swarm/createSwarm';
import { sshKeyDirectory } from '../settings';
import { azureWizardContext } from '../wizards/azureWizardContext';
import { runSwarmWizard } from '../wizards/swarmWizard';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { describe, LAST_SOURCE, rollbackSentence, settleNewKey, signedInInventory, waitForNewDaemon } from './provisionHost';

const ADMIN_USER = 'azureuser';

/**
 * From nothing to a swarm: the wizard, the VMs (one group, network and NSG shared), a wait for
 * every daemon, then init on the first manager and joins through the extension's own connection
 * to each node's daemon at its private address. Each node is a provisioned Docker host (mutual TLS,
 * its certificates in SecretStorage). Any failure, the swarm's included, rolls back what this run
 * created and says what, if anything, remains.
 */
export function provisionSwarm(deps: CommandDeps): CommandHandler {
  return async () => {
    const inventory = await signedInInventory(deps, 'create a swarm');
    if (!inventory) {
      return;
    }
    const az = azureVendor();
    const sshDir = sshKeyDirectory();
    const answers = await runSwarmWizard(
      await azureWizardContext(inventory, { existingKeys: async () => [], lastSourceRange: deps.context.globalState.get<string>(LAST_SOURCE) }),
    );
    if (!answers) {
      return;
    }
    await deps.context.globalState.update(LAST_SOURCE, answers.sourceRange);
    const name = answers.swarmName;
    const pair = az.generateSshKeyPair(`${ADMIN_USER}@${name}`);
    const written = await az.writeSshKeyPair(sshDir, await az.freeKeyFileName(sshDir, name), pair);
    const newKey: { written: WrittenKeyPair; pair: SshKeyPair } = { written, pair };
    let ca, client;
    try {
      ca = await az.createCertificateAuthority(`Docker on Azure CA (swarm ${name})`);
      client = await az.createClientCertificate(ca, `docker-on-azure client (swarm ${name})`);
    } catch (err) {
      await settleNewKey(newKey, { removed: [], remaining: [] });
      throw err;
    }
    const plan = planSwarmProvisioning({
      subscriptionId: answers.subscription.subscriptionId,
      location: answers.location,
      resourceGroup: answers.resourceGroup,
      createResourceGroup: answers.createResourceGroup,
      swarmName: name,
      managers: answers.managers,
      workers: answers.workers,
      vmSize: answers.vmSize,
      image: 'ubuntu-24.04',
      adminUser: ADMIN_USER,
      sshPublicKey: pair.publicKey,
      sourceRange: answers.sourceRange,
    });
    const hostKeys = new Map(plan.nodes.map((n) => [n.host.hostName, az.generateSshKeyPair(`root@${n.host.hostName}`)]));
    const clients = inventory.clients(answers.subscription);
    const env = deps.connectionEnv();
    const log = (text: string) => deps.log.info(`[swarm ${name}] ${text}`);
    // What this machine kept for nodes that the rollback then deleted must go with them.
    const remembered: string[] = [];
    const tlsPem = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };

    const formSwarm = async (nodes: ProvisionedNode[], progress: (text: string) => void, signal: AbortSignal) => {
      for (const node of nodes) {
        remembered.push(node.vmId);
        await rememberNode(deps, node, { ...tlsPem, caKey: ca.keyPem }, written.privateKeyPath, hostKeys.get(node.hostName)!.publicKey);
      }
      deps.azureHosts.refreshSubscription(answers.subscription.subscriptionId);
      const sessions = nodes.map((node) => new DockerHostSession(nodeSpec(node, tlsPem), env));
      try {
        await Promise.all(
          nodes.map(async (node, i) => {
            progress(`${node.hostName}: waiting for Docker to answer (cloud-init installs it at first boot)…`);
            await waitForNewDaemon(sessions[i].spec, env, signal);
            progress(`${node.hostName}: Docker answers`);
          }),
        );
        const members = nodes.map((node, i) => ({ name: node.hostName, docker: sessions[i].connect().docker, advertiseAddress: node.privateIp }));
        const [first, ...rest] = members;
        return await createSwarm({
          manager: first,
          managers: rest.filter((_, i) => nodes[i + 1].role === 'manager'),
          workers: rest.filter((_, i) => nodes[i + 1].role === 'worker'),
          onProgress: progress,
        });
      } finally {
        sessions.forEach((s) => s.dispose());
      }
    };

    await withCancellableProgress(`Creating swarm ${name}`, async (progress, signal) => {
      const report = (text: string) => {
        progress.report({ message: text });
        log(text);
      };
      try {
        await az.executeSwarmProvisioning(
          plan,
          {
            clients,
            signal,
            onEvent: (e) => report(describe(e)),
            sshHostKeyFor: (host) => hostKeys.get(host)!,
            makeServerTls: (names) => az.createDaemonTls(ca, names),
          },
          (nodes) => formSwarm(nodes, report, signal),
        );
        const [manager, ...others] = plan.nodes.map((n) => n.host.hostName);
        void vscode.window.showInformationMessage(
          `Swarm ${name} is ready: ${manager} manages it${others.length ? `, ${others.join(', ')} joined` : ''}. The SSH key of its nodes is ${written.privateKeyPath}.`,
        );
      } catch (err) {
        const rollback = (err as { rollback?: RollbackReport }).rollback;
        await forgetRolledBack(deps, remembered, rollback);
        const keyNote = rollback ? await settleNewKey(newKey, rollback) : '';
        const text = `${errorText(err).replace(/\.?$/, '.')}${rollbackSentence(rollback)}${keyNote}`;
        void (signal.aborted ? vscode.window.showInformationMessage(text) : vscode.window.showErrorMessage(text));
      } finally {
        deps.azureHosts.refreshSubscription(answers.subscription.subscriptionId);
        deps.otherHosts.refreshSwarms();
      }
    });
  };
}

/** How the extension reaches a node it just made: mutual TLS on the daemon port of its public IP. */
export function nodeSpec(node: ProvisionedNode, tlsPem: DockerHostSpec['tlsPem']): DockerHostSpec {
  return { id: azureHostId(node.vmId), name: node.hostName, source: 'azure', address: `tcp://${node.publicIp}:2376`, tlsPem };
}

/** What this machine keeps for a new node: its certificates and CA key, its SSH key and host key. */
export async function rememberNode(
  deps: CommandDeps,
  node: ProvisionedNode,
  tls: Parameters<CommandDeps['hostTls']['set']>[1],
  privateKeyPath: string,
  hostPublicKey: string,
): Promise<void> {
  await deps.hostTls.set(node.vmId, tls);
  await deps.hostMarks.setSshKey(node.vmId, privateKeyPath);
  await replaceKnownHostKey(deps.connectionEnv().knownHostsFile, [node.publicIp], 22, publicKeyBlob(hostPublicKey));
}

/** What this machine kept for nodes that a rollback then deleted goes with them. */
export async function forgetRolledBack(deps: CommandDeps, vmIds: readonly string[], rollback: RollbackReport | undefined): Promise<void> {
  for (const vmId of vmIds) {
    // Kept while the VM may still stand: its own delete or its group's failed (or nobody knows).
    if (!rollback || rollback.remaining.some((r) => vmId.toLowerCase().startsWith(r.id.toLowerCase()))) {
      continue;
    }
    await deps.hostTls.delete(vmId);
    await deps.hostMarks.setSshKey(vmId, undefined);
  }
}
