import * as vscode from 'vscode';
import { AddedHostsStore } from './ui/hosts/addedHostsStore';
import { HostRegistry } from './ui/hosts/hostRegistry';
import { InspectDocuments, INSPECT_SCHEME } from './ui/inspectDocuments';
import { registerCommands } from './ui/commands/registry';
import { AZURE_HOSTS_VIEW_ID, AzureHostsProvider } from './ui/tree/azureHostsProvider';
import { OtherHostsView } from './ui/tree/otherHostsView';
import * as settings from './ui/settings';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Docker on Azure', { log: true });
  const addedHosts = new AddedHostsStore(context.globalState);
  const registry = new HostRegistry(addedHosts, settings.connectionEnvironment, settings.hostListOptions);
  const otherHosts = new OtherHostsView(registry, settings.showDanglingImages, settings.refreshOptions());
  const inspect = new InspectDocuments(registry);

  context.subscriptions.push(
    log,
    otherHosts,
    { dispose: () => registry.dispose() },
    vscode.window.registerTreeDataProvider(AZURE_HOSTS_VIEW_ID, new AzureHostsProvider()),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, inspect),
    vscode.workspace.onDidChangeConfiguration((e) => settings.affectsHostList(e) && otherHosts.refreshAll()),
    ...registerCommands({ context, otherHosts, addedHosts, inspect, connectionEnv: settings.connectionEnvironment, log }),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
