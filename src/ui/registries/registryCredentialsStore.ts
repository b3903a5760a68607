import type * as vscode from 'vscode';

export interface RegistryLogin {
  username: string;
  password: string;
}

const RECENT_KEY = 'dockerOnAzure.push.recentRegistries';

/**
 * User names and passwords of registries the user typed (never ACR's, which come from Azure), in
 * VS Code's SecretStorage (the OS keychain), never in settings. Which registries were used is not
 * secret and is remembered in global state, to offer them again.
 */
export class RegistryCredentialsStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  private key(registry: string): string {
    return `dockerOnAzure.registry.${registry.toLowerCase()}`;
  }

  async get(registry: string): Promise<RegistryLogin | undefined> {
    const raw = await this.secrets.get(this.key(registry));
    return raw ? (JSON.parse(raw) as RegistryLogin) : undefined;
  }

  async set(registry: string, login: RegistryLogin): Promise<void> {
    await this.secrets.store(this.key(registry), JSON.stringify(login));
  }

  async delete(registry: string): Promise<void> {
    await this.secrets.delete(this.key(registry));
  }

  recent(): string[] {
    return this.state.get<string[]>(RECENT_KEY, []);
  }

  async remember(registry: string): Promise<void> {
    await this.state.update(RECENT_KEY, [registry, ...this.recent().filter((r) => r !== registry)].slice(0, 10));
  }
}
