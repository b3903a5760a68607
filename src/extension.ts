import * as vscode from 'vscode';
import { AddedHostsStore } from './ui/hosts/addedHostsStore';
import { OtherHostsSource } from './ui/hosts/otherHostsSource';
import { HostCatalog } from './core/hosts/hostCatalog';
import { InspectDocuments, INSPECT_SCHEME } from './ui/inspectDocuments';
import { registerCommands } from './ui/commands/registry';
import { AzureHostsView } from './ui/tree/azureHostsView';
import { AzureSignIn } from './ui/azure/azureSignIn';
import { HostMarksStore } from './ui/azure/hostMarksStore';
import { HostTlsStore } from './ui/azure/hostTlsStore';
import { VmStartLog } from './ui/azure/vmStartLog';
import { ComparePanel } from './ui/webview/comparePanel';
import { compareHosts, compareSwarmCount } from './ui/webview/compareHosts';
import { OtherHostsView } from './ui/tree/otherHostsView';
import * as settings from './ui/settings';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Docker on Azure', { log: true });
  const buildLog = vscode.window.createOutputChannel('Docker on Azure: Build');
  const installLog = vscode.window.createOutputChannel('Docker on Azure: Install');
  const addedHosts = new AddedHostsStore(context.globalState);
  const hosts = new HostCatalog(settings.connectionEnvironment, settings.refreshOptions());
  const otherHosts = new OtherHostsView(hosts, new OtherHostsSource(hosts, addedHosts, settings.hostListOptions), settings.showDanglingImages);
  const inspect = new InspectDocuments(hosts);
  const azureSignIn = new AzureSignIn(log);
  const hostMarks = new HostMarksStore(context.globalState);
  const hostTls = new HostTlsStore(context.secrets);
  const azureHosts = new AzureHostsView(hosts, azureSignIn, hostMarks, hostTls, settings.showDanglingImages, settings.selectedSubscriptions);
  const vmStarts = new VmStartLog(context.globalState);
  const compare = new ComparePanel(
    context.extensionUri,
    { hosts: () => compareHosts(hosts, azureHosts, vmStarts), swarms: () => compareSwarmCount(hosts) },
    log,
  );

  context.subscriptions.push(
    log,
    buildLog,
    installLog,
    otherHosts,
    azureSignIn,
    azureHosts,
    hosts,
    compare,
    compare.registerSerializer(),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, inspect),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (settings.affectsConnections(e)) {
        hosts.reconnectAll();
      } else if (settings.affectsHostList(e)) {
        otherHosts.refreshAll();
        azureHosts.refreshAll();
      }
      if (settings.affectsAzureSignIn(e)) {
        azureSignIn.reset();
      }
    }),
    ...registerCommands({
      context,
      hosts,
      otherHosts,
      azureHosts,
      azureSignIn,
      hostMarks,
      hostTls,
      addedHosts,
      inspect,
      connectionEnv: settings.connectionEnvironment,
      log,
      buildLog,
      installLog,
      vmStarts,
      compare,
    }),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
