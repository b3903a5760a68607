import * as vscode from 'vscode';
import { azureVendor } from '../../core/azure/lazyAzure';
import type { RollbackReport } from '../../core/azure/provisioning/executor';
import { validateHostName } from '../../core/azure/provisioning/naming';
import { imageKeyOf } from '../../core/azure/provisioning/plan';
import { planSwarmWorker } from '../../core/azure/provisioning/swarmPlan';
import { freeWorkerName } from '../../core/azure/provisioning/takenNames';
import { DockerHostError, errorText } from '../../core/docker/errors';
import { DockerHostSession } from '../../core/docker/hostSession';
import { addWorker } from '../../core/swarm/joinSwarm';
import { withCancellableProgress } from '../cancellableProgress';
import { SwarmTreeNode } from '../tree/swarmNodes';
import { azureWizardContext } from '../wizards/azureWizardContext';
import { sizeChoices } from '../wizards/provisionWizard';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { describe, rollbackSentence, signedInInventory, waitForNewDaemon } from './provisionHost';
import { forgetRolledBack, nodeSpec, rememberNode } from './provisionSwarm';

/**
 * One more worker for a swarm Create Swarm on Azure made: a VM like its manager (region, image,
 * admin key, certificates from the same CA; its size unless another is picked) named the first free
 * `<swarm>-wN`, in the swarm's group, subnet and NSG, then joined through its own daemon. A failure
 * or Cancel removes the VM, NIC and IP this run made, and nothing else.
 */
export function addAzureWorker(deps: CommandDeps): CommandHandler {
  return async (row) => {
    const swarmName = row instanceof SwarmTreeNode ? row.onAzure : undefined;
    const manager = row instanceof SwarmTreeNode ? row.swarm.managers[0] : undefined;
    if (!(row instanceof SwarmTreeNode) || !swarmName || !manager) {
      return;
    }
    const inventory = await signedInInventory(deps, `add a worker to the ${row.name} swarm`);
    if (!inventory) {
      return;
    }
    // From the listing, not the Azure view's rows: the swarm row can be used with that view never opened.
    const like = await inventory.findHostVm(manager.session.spec.id);
    if (!like) {
      throw new DockerHostError(
        `${manager.session.spec.name} is not among the VMs of your selected subscriptions any more: refresh Azure Docker Hosts, then add the worker again.`,
        'SWARM_MANAGER_NOT_LISTED',
      );
    }
    const { vm, subscription } = like;
    const clients = inventory.clients(subscription);
    const made = await clients.compute.virtualMachines.get(vm.resourceGroup, vm.name);
    const sshPublicKey = made.osProfile?.linuxConfiguration?.ssh?.publicKeys?.[0]?.keyData;
    const adminUser = vm.provisioned?.adminUser ?? made.osProfile?.adminUsername;
    const image = imageKeyOf(made.storageProfile?.imageReference);
    const [ca, clientTls] = [await deps.hostTls.issuer(vm.id), await deps.hostTls.get(vm.id)];
    const privateKeyPath = deps.hostMarks.sshKey(vm.id);
    if (!ca || !clientTls || !privateKeyPath || !sshPublicKey || !adminUser || !image) {
      throw new DockerHostError(
        `This machine does not hold what the nodes of the ${row.name} swarm are made with (the CA of ${vm.name}, its SSH key and image): add the worker from the machine that created the swarm.`,
        'SWARM_NODE_MATERIAL',
      );
    }

    const ctx = await azureWizardContext(inventory, { existingKeys: async () => [] });
    const sizes = await sizeChoices(ctx, { subscription, location: vm.location, vmSize: vm.vmSize });
    const same = { label: vm.vmSize, description: `the size of ${vm.name}`, value: vm.vmSize, picked: true };
    const size = await vscode.window.showQuickPick([same, ...sizes.filter((s) => s.value !== vm.vmSize).map((s) => ({ ...s, picked: false }))], {
      title: `Add Azure Worker to the ${row.name} swarm: VM size`,
      ignoreFocusOut: true,
    });
    if (!size) {
      return;
    }
    const name = freeWorkerName(swarmName, await ctx.existingResources(subscription).catch(() => []));
    const invalid = validateHostName(name);
    if (invalid) {
      throw new DockerHostError(`The ${row.name} swarm's next worker would be called ${name}, which Azure refuses: ${invalid}`, 'SWARM_NODE_NAME');
    }
    const node = planSwarmWorker(
      {
        subscriptionId: subscription.subscriptionId,
        location: vm.location,
        resourceGroup: vm.resourceGroup,
        swarmName,
        vmSize: size.value,
        image,
        adminUser,
        sshPublicKey,
      },
      name,
    );
    const az = azureVendor();
    const hostKey = az.generateSshKeyPair(`root@${name}`);
    const env = deps.connectionEnv();
    const remembered: string[] = [];

    await withCancellableProgress(`Adding ${name} to the ${row.name} swarm`, async (progress, signal) => {
      const report = (text: string) => {
        progress.report({ message: text });
        deps.log.info(`[swarm ${swarmName}] ${text}`);
      };
      try {
        await az.executeSwarmNodeProvisioning(
          node,
          {
            clients,
            signal,
            onEvent: (e) => report(describe(e)),
            sshHostKeyFor: () => hostKey,
            makeServerTls: (names) => az.createDaemonTls(ca, names),
          },
          async (created) => {
            remembered.push(created.vmId);
            await rememberNode(deps, created, { ...clientTls, caKey: ca.keyPem }, privateKeyPath, hostKey.publicKey);
            deps.azureHosts.refreshSubscription(subscription.subscriptionId);
            const session = new DockerHostSession(nodeSpec(created, clientTls), env);
            try {
              report(`${name}: waiting for Docker to answer (cloud-init installs it at first boot)…`);
              await waitForNewDaemon(session.spec, env, signal);
              report(`${name}: Docker answers`);
              await addWorker({
                manager: { name: manager.session.spec.name, docker: manager.session.connect().docker },
                worker: { name, docker: session.connect().docker, advertiseAddress: created.privateIp },
                onProgress: report,
              });
            } finally {
              session.dispose();
            }
          },
        );
        deps.log.info(`swarm of ${row.name}: ${name} joined as a worker`);
        void vscode.window.showInformationMessage(`${name} joined the ${row.name} swarm as a worker.`);
      } catch (err) {
        const rollback = (err as { rollback?: RollbackReport }).rollback;
        await forgetRolledBack(deps, remembered, rollback);
        const text = `${name} was not added to the ${row.name} swarm: ${errorText(err).replace(/\.?$/, '.')}${rollbackSentence(rollback)}`;
        void (signal.aborted ? vscode.window.showInformationMessage(text) : vscode.window.showErrorMessage(text));
      } finally {
        deps.azureHosts.refreshSubscription(subscription.subscriptionId);
        deps.otherHosts.refreshSwarms();
      }
    });
  };
}
