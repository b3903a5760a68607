import * as vscode from 'vscode';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { imageRows, type ImageRow } from '../../core/docker/presentation';
import type { CommandDeps } from './commandDeps';
import { errorText } from '../../core/docker/errors';
import { imageTargets } from './targets';

export interface ImageSource {
  session: DockerHostSession;
  row: ImageRow;
  /** What the engine is asked for: the tag, or the image ID when the row has no usable tag. */
  reference: string;
}

function sourceOf(session: DockerHostSession, row: ImageRow): ImageSource {
  return { session, row, reference: row.dangling || row.reference.endsWith(':<none>') ? row.image.Id : row.reference };
}

export async function pickHost(deps: CommandDeps, title: string, except?: DockerHostSession): Promise<DockerHostSession | undefined> {
  const sessions = (await deps.hosts.loadAll()).filter((s) => s.spec.id !== except?.spec.id);
  if (!sessions.length) {
    void vscode.window.showInformationMessage(except ? 'There is no other Docker host to choose.' : 'Add a Docker host first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    sessions.map((s) => ({ label: s.spec.name, description: s.spec.address, session: s })),
    { title },
  );
  return picked?.session;
}

/** The image row that was clicked, or (from the palette) a host then one of its tagged images. */
export async function imageSource(deps: CommandDeps, node: unknown, title: string): Promise<ImageSource | undefined> {
  const [clicked] = imageTargets(node, undefined);
  if (clicked) {
    return sourceOf(clicked.session, clicked.row);
  }
  const session = await pickHost(deps, `${title}: from which host?`);
  if (!session) {
    return undefined;
  }
  let rows: ImageRow[];
  try {
    rows = imageRows((await session.load()).images, false);
  } catch (err) {
    void vscode.window.showErrorMessage(errorText(err));
    return undefined;
  }
  if (!rows.length) {
    void vscode.window.showInformationMessage(`${session.spec.name} has no tagged images.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    rows.map((row) => ({ label: row.reference, description: row.image.Id.replace(/^sha256:/, '').slice(0, 12), row })),
    { title: `${title}: which image?`, matchOnDescription: true },
  );
  return picked && sourceOf(session, picked.row);
}
