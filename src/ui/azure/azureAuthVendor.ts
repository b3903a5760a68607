// VS Code's own Microsoft sign-in (through @microsoft/vscode-azext-azureauth), bundled apart
// (dist/azureAuthVendor.js) and loaded only when the Azure view needs it.
import * as vscode from 'vscode';
import { getConfiguredAzureEnv, VSCodeAzureSubscriptionProvider } from '@microsoft/vscode-azext-azureauth';
import type { AzureAccount, AzureSubscriptionRef } from '../../core/azure/azureAccount';
import { AzureSignInError } from '../../core/azure/azureErrors';
import type { AzureCloud } from '../../core/azure/cloud';

export interface VSCodeAccount extends AzureAccount, vscode.Disposable {
  isSignedIn(): Promise<boolean>;
  signIn(): Promise<boolean>;
  signOut(): Promise<void>;
  listTenants(): Promise<{ tenantId: string; name: string }[]>;
  onDidChange: vscode.Event<void>;
}

/** Tenants and subscriptions the user chose, kept in our own user settings rather than another extension's. */
class FilteredProvider extends VSCodeAzureSubscriptionProvider {
  protected override async getTenantFilters(): Promise<string[]> {
    return vscode.workspace.getConfiguration('dockerOnAzure').get<string[]>('azure.tenants', []);
  }
  protected override async getSubscriptionFilters(): Promise<string[]> {
    return [];
  }
}

function cloudOf(): AzureCloud {
  const env = getConfiguredAzureEnv();
  const rm = env.resourceManagerEndpointUrl.replace(/\/+$/, '');
  return {
    name: env.name,
    resourceManagerEndpoint: rm,
    authorityHost: env.activeDirectoryEndpointUrl.replace(/\/+$/, ''),
    managementScope: `${env.activeDirectoryResourceId.replace(/\/+$/, '')}/.default`,
    portalUrl: env.portalUrl.replace(/\/+$/, ''),
    isCustom: env.isCustomCloud,
  };
}

export function createVSCodeAccount(log: vscode.LogOutputChannel): VSCodeAccount {
  const provider = new FilteredProvider(log);
  const changed = new vscode.EventEmitter<void>();
  const subs = [provider.onDidSignIn(() => changed.fire()), provider.onDidSignOut(() => changed.fire())];
  return {
    onDidChange: changed.event,
    isSignedIn: () => provider.isSignedIn(),
    signIn: () => provider.signIn(),
    signOut: () => provider.signOut(),
    listTenants: async () => (await provider.getTenants()).map((t) => ({ tenantId: t.tenantId ?? '', name: t.displayName ?? t.tenantId ?? '' })),
    listSubscriptions: async (): Promise<AzureSubscriptionRef[]> => {
      if (!(await provider.isSignedIn())) {
        throw new AzureSignInError('You are not signed in to Azure.');
      }
      const cloud = cloudOf();
      return (await provider.getSubscriptions(true)).map((s) => ({
        subscriptionId: s.subscriptionId,
        name: s.name,
        tenantId: s.tenantId,
        credential: s.credential,
        cloud,
      }));
    },
    dispose: () => {
      subs.forEach((s) => s.dispose());
      changed.dispose();
      provider.dispose();
    },
  };
}
