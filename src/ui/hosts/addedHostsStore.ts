import type * as vscode from 'vscode';
import type { DockerHostSpec, TlsFiles } from '../../core/docker/hostSpec';

interface StoredHost {
  id: string;
  name: string;
  address: string;
  tls?: TlsFiles;
  identityFile?: string;
}

const KEY = 'dockerOnAzure.addedHosts';

/**
 * Hosts the user added by address. Only metadata and paths to the user's own key and certificate
 * files are kept (in extension storage); no key material is copied anywhere.
 */
export class AddedHostsStore {
  constructor(private readonly memento: vscode.Memento) {}

  list(): DockerHostSpec[] {
    return this.memento.get<StoredHost[]>(KEY, []).map((h) => ({ ...h, source: 'added' as const }));
  }

  async add(host: Omit<StoredHost, 'id'>): Promise<DockerHostSpec> {
    const stored: StoredHost = { ...host, id: `added:${host.address}` };
    const others = this.memento.get<StoredHost[]>(KEY, []).filter((h) => h.id !== stored.id);
    await this.memento.update(KEY, [...others, stored]);
    return { ...stored, source: 'added' };
  }

  async remove(id: string): Promise<void> {
    await this.memento.update(
      KEY,
      this.memento.get<StoredHost[]>(KEY, []).filter((h) => h.id !== id),
    );
  }
}
