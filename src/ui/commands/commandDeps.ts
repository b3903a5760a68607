import type * as vscode from 'vscode';
import type { ConnectionEnvironment } from '../../core/docker/connectionEnvironment';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import type { AddedHostsStore } from '../hosts/addedHostsStore';
import type { InspectDocuments } from '../inspectDocuments';
import type { OtherHostsView } from '../tree/otherHostsView';
import type { AzureHostsView } from '../tree/azureHostsView';
import type { AzureSignIn } from '../azure/azureSignIn';
import type { HostMarksStore } from '../azure/hostMarksStore';
import type { HostTlsStore } from '../azure/hostTlsStore';
import type { VmStartLog } from '../azure/vmStartLog';
import type { ComparePanel } from '../webview/comparePanel';

/** What command handlers may use; passed in, never reached for through globals. */
export interface CommandDeps {
  context: vscode.ExtensionContext;
  /** Every host of every source: where commands find their targets and refresh them. */
  hosts: HostCatalog;
  otherHosts: OtherHostsView;
  azureHosts: AzureHostsView;
  azureSignIn: AzureSignIn;
  hostMarks: HostMarksStore;
  hostTls: HostTlsStore;
  addedHosts: AddedHostsStore;
  inspect: InspectDocuments;
  connectionEnv: () => ConnectionEnvironment;
  log: vscode.LogOutputChannel;
  /** Where build output streams while deploying. */
  buildLog: vscode.OutputChannel;
  /** Where Install Docker on VM… streams what the VM reports. */
  installLog: vscode.OutputChannel;
  vmStarts: VmStartLog;
  compare: ComparePanel;
}

/** VS Code passes the clicked node and, for multi-select, all selected nodes. */
export type CommandHandler = (node?: unknown, nodes?: unknown[]) => unknown;
