import * as vscode from 'vscode';
import * as fs from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { portalResourceUrl } from '../../core/azure/cloud';
import { dockerSpecForVm, tlsFromSecrets } from '../../core/azure/azureHostSpec';
import { dockerConfigDir } from '../../core/docker/dockerContexts';
import { exportDockerContext, validateContextName } from '../../core/docker/contextExport';
import { parseHostAddress } from '../../core/docker/hostAddress';
import type { DockerHostSpec } from '../../core/docker/hostSpec';
import { addSshHostEntry, missingSshDirectives, type SshClientNeeds } from '../../core/docker/sshClientConfig';
import { AzureHostNode } from '../tree/azureNodes';
import { HostNode } from '../tree/hostNodes';
import { SwarmTreeNode } from '../tree/swarmNodes';
import { provisionedSshKey } from '../azure/provisionedKeys';
import type { CommandDeps, CommandHandler } from './commandDeps';

function hostOf(node: unknown): AzureHostNode | undefined {
  return node instanceof AzureHostNode ? node : undefined;
}

export function copyAzureHostAddress(): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    const address = host?.vm.fqdn ?? host?.vm.publicIp;
    if (!address) {
      void vscode.window.showInformationMessage('This host has no public address.');
      return;
    }
    await vscode.env.clipboard.writeText(address);
    vscode.window.setStatusBarMessage(`Copied ${address}`, 3000);
  };
}

export function openInPortal(): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    if (host) {
      await vscode.env.openExternal(vscode.Uri.parse(portalResourceUrl(host.subscription.cloud, host.subscription.tenantId, host.vm.id)));
    }
  };
}

/** What the system `ssh`, reading the user's ~/.ssh/config, would not use of what the extension does. */
async function systemSshLacks(deps: CommandDeps, needs: SshClientNeeds): Promise<Record<string, string> | undefined> {
  const { homeDir } = deps.connectionEnv();
  const text = await fs.readFile(path.join(homeDir, '.ssh', 'config'), 'utf8').catch(() => '');
  return missingSshDirectives(text, needs, homeDir);
}

/**
 * An SSH session in a terminal, with the same user, port and key the extension connects with, and
 * the host keys it trusts: the system `ssh` would otherwise check another known_hosts file.
 */
export function openSshTerminal(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    const spec = host && dockerSpecForVm(host.vm, deps.hostMarks.get(host.vm.id), undefined, provisionedSshKey(host.vm));
    if (!host || !spec) {
      return;
    }
    const parsed = parseHostAddress(spec.address);
    const user = parsed.kind === 'ssh' ? parsed.user : (host.vm.provisioned?.adminUser ?? host.vm.adminUsername);
    const target = host.vm.fqdn ?? host.vm.publicIp!;
    // A host provisioned with a TLS daemon still takes the SSH key it was made with.
    const identityFile = spec.identityFile ?? deps.hostMarks.sshKey(host.vm.id) ?? provisionedSshKey(host.vm);
    const knownHosts = (await systemSshLacks(deps, { host: target, knownHostsFile: deps.connectionEnv().knownHostsFile }))?.UserKnownHostsFile;
    const args = [
      ...(parsed.kind === 'ssh' && parsed.port !== 22 ? ['-p', String(parsed.port)] : []),
      ...(identityFile ? ['-i', identityFile] : []),
      ...(knownHosts ? ['-o', `UserKnownHostsFile=${knownHosts}`] : []),
      `${user}@${target}`,
    ];
    vscode.window
      .createTerminal({ name: `SSH: ${host.vm.name}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') })
      .show();
  };
}

/** `docker --context NAME ps` from any terminal reaches the host the same way the tree does. */
interface ExportTarget {
  spec: DockerHostSpec;
  name: string;
  description: string;
}

/** An Azure host (running or not) or a host added by address; CLI contexts already are contexts. */
async function exportTarget(deps: CommandDeps, node: unknown): Promise<ExportTarget | undefined> {
  if (node instanceof SwarmTreeNode) {
    return swarmManagerTarget(deps, node);
  }
  if (node instanceof HostNode && node.session.spec.source === 'added') {
    const { spec } = node.session;
    return { spec, name: spec.name, description: `${spec.name} (Docker on Azure)` };
  }
  const host = hostOf(node);
  if (!host) {
    return undefined;
  }
  const mark = deps.hostMarks.get(host.vm.id);
  const fromSecrets = tlsFromSecrets(host.vm, mark);
  const provisionedTls = fromSecrets ? await deps.hostTls.get(host.vm.id) : undefined;
  const spec = dockerSpecForVm(host.vm, mark, provisionedTls);
  if (!spec) {
    void vscode.window.showInformationMessage(`${host.vm.name} has no public address to export.`);
    return undefined;
  }
  if (host.awaitingCertificates) {
    void vscode.window.showInformationMessage(
      `${host.vm.name} takes mutual TLS with certificates this extension has not been shown yet: Use TLS Certificates… first, then export it.`,
    );
    return undefined;
  }
  if (fromSecrets && !provisionedTls) {
    void vscode.window.showWarningMessage(
      `The client certificates of ${host.vm.name} are not on this machine (they stay on the machine that set it up), so a context could not reach it. Export it from that machine.`,
    );
    return undefined;
  }
  return { spec, name: host.vm.name, description: `Azure VM ${host.vm.name} (${host.vm.resourceGroup})` };
}

/** A swarm's manager host, through whichever of the paths above its source takes. */
async function swarmManagerTarget(deps: CommandDeps, swarm: SwarmTreeNode): Promise<ExportTarget | undefined> {
  const session = swarm.swarm.managers[0]?.session;
  if (!session) {
    void vscode.window.showInformationMessage(`None of your hosts is a manager of the ${swarm.name} swarm: add a manager host to export it.`);
    return undefined;
  }
  const name = `${swarm.name}-swarm`;
  const { spec } = session;
  if (spec.source === 'context') {
    void vscode.window.showInformationMessage(`The manager ${spec.name} is a Docker context already: docker --context ${spec.name} node ls.`);
    return undefined;
  }
  if (spec.source === 'azure') {
    const target = await exportTarget(
      deps,
      deps.azureHosts.listedHosts().find((h) => h.session?.spec.id === spec.id),
    );
    return target && { ...target, name };
  }
  return { spec, name, description: `Manager ${spec.name} of the ${swarm.name} swarm (Docker on Azure)` };
}

const ADD_ENTRY = 'Add Host Entry';

/**
 * The Docker CLI reaches an ssh:// context through the system `ssh`, which knows nothing of the key
 * and known_hosts file the extension uses. Offers the ~/.ssh/config entry that makes them the same;
 * returns what the closing message should add.
 */
async function sshClientNote(deps: CommandDeps, target: ExportTarget, contextName: string): Promise<string> {
  const parsed = parseHostAddress(target.spec.address);
  if (parsed.kind !== 'ssh') {
    return '';
  }
  const env = deps.connectionEnv();
  const configFile = path.join(env.homeDir, '.ssh', 'config');
  const needs: SshClientNeeds = { host: parsed.host, identityFile: target.spec.identityFile, knownHostsFile: env.knownHostsFile };
  const missing = await systemSshLacks(deps, needs);
  if (!missing) {
    return '';
  }
  const wanted = Object.entries(missing)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const choice = await vscode.window.showInformationMessage(
    `docker --context ${contextName} connects with your ssh, which does not use ${wanted} for ${parsed.host} yet. Add a Host entry for ${parsed.host} to ${configFile}? Nothing else in the file changes.`,
    { modal: true },
    ADD_ENTRY,
  );
  if (choice !== ADD_ENTRY) {
    return ` For it to reach ${target.name}, your ssh needs ${wanted} for ${parsed.host} (in ${configFile}, or the key in ssh-agent).`;
  }
  const { file, stillMissing } = await addSshHostEntry(
    env.homeDir,
    needs,
    missing,
    `${target.name}, added by Docker on Azure for docker --context ${contextName}`,
  );
  return stillMissing
    ? ` Added a Host entry for ${parsed.host} to ${file}, but an earlier entry there sets ${Object.keys(stillMissing).join(' and ')} for every host, so ssh keeps using that: change it for ${parsed.host}.`
    : ` Added a Host entry for ${parsed.host} to ${file}.`;
}

export function exportAsDockerContext(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const target = await exportTarget(deps, node);
    if (!target) {
      return;
    }
    const name = await vscode.window.showInputBox({
      title: 'Export as Docker CLI Context',
      value: target.name
        .toLowerCase()
        .replace(/[^a-z0-9_.+-]+/g, '-')
        .replace(/^[^a-z0-9]+/, ''),
      prompt: 'Context name',
      validateInput: (v) => validateContextName(v),
    });
    if (!name) {
      return;
    }
    await exportDockerContext(dockerConfigDir(process.env, os.homedir()), name, target.spec, target.description);
    deps.otherHosts.refreshAll();
    const sshNote = await sshClientNote(deps, target, name);
    void vscode.window.showInformationMessage(`Created Docker context "${name}": docker --context ${name} ps.${sshNote}`);
  };
}
