import * as vscode from 'vscode';
import type { CommandDeps, CommandHandler } from './commandDeps';

export function azureSignIn(deps: CommandDeps): CommandHandler {
  return async () => {
    await deps.azureSignIn.signIn();
    deps.azureHosts.refreshAll();
  };
}

export function azureSignOut(deps: CommandDeps): CommandHandler {
  return async () => {
    await deps.azureSignIn.signOut();
    deps.azureHosts.refreshAll();
  };
}

export function azureRefresh(deps: CommandDeps): CommandHandler {
  return () => deps.azureHosts.refreshAll();
}

/** The subscriptions shown, remembered in the user's settings (empty: all of them). */
export function selectSubscriptions(deps: CommandDeps): CommandHandler {
  return async () => {
    const all = await vscode.window.withProgress({ location: { viewId: 'dockerOnAzure.azureHosts' } }, () =>
      deps.azureHosts.inventory ? deps.azureHosts.inventory.allSubscriptions() : deps.azureSignIn.account().listSubscriptions(),
    );
    const config = vscode.workspace.getConfiguration('dockerOnAzure');
    const chosen = new Set(config.get<string[]>('azure.subscriptions', []).map((s) => s.toLowerCase()));
    const picked = await vscode.window.showQuickPick(
      all.map((s) => ({
        label: s.name,
        description: s.subscriptionId,
        detail: `Tenant ${s.tenantId}`,
        picked: !chosen.size || chosen.has(s.subscriptionId.toLowerCase()),
        id: s.subscriptionId,
      })),
      { canPickMany: true, title: 'Subscriptions to show in Azure Docker Hosts' },
    );
    if (!picked) {
      return;
    }
    const ids = picked.length === all.length ? [] : picked.map((p) => p.id);
    await config.update('azure.subscriptions', ids, vscode.ConfigurationTarget.Global);
    deps.azureHosts.refreshAll();
  };
}
