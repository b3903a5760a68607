import * as vscode from 'vscode';
import { inspectContainer, inspectImage } from '../core/docker/containerActions';
import type { HostCatalog } from '../core/hosts/hostCatalog';

export const INSPECT_SCHEME = 'dockerOnAzure-inspect';

/**
 * `docker inspect` output as read-only JSON documents. Content is fetched when the document opens,
 * so reopening shows the current state.
 */
export class InspectDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly hosts: HostCatalog) {}

  static uri(hostId: string, kind: 'container' | 'image', id: string, name: string): vscode.Uri {
    const safeName = name.replace(/[^\w.-]+/g, '_');
    return vscode.Uri.from({
      scheme: INSPECT_SCHEME,
      path: `/${safeName}.json`,
      query: new URLSearchParams({ host: hostId, kind, id }).toString(),
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = new URLSearchParams(uri.query);
    const session = this.hosts.get(query.get('host') ?? '');
    if (!session) {
      return `// The host of this document is no longer listed.`;
    }
    const docker = session.connect().docker;
    const id = query.get('id') ?? '';
    const data = query.get('kind') === 'image' ? await inspectImage(docker, id) : await inspectContainer(docker, id);
    return JSON.stringify(data, null, 2);
  }

  async open(uri: vscode.Uri): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'json');
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
