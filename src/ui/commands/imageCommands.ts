import * as vscode from 'vscode';
import { removeImage } from '../../core/docker/containerActions';
import { InspectDocuments } from '../inspectDocuments';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { forEachTarget, imageTargets } from './targets';

export function removeImages(deps: CommandDeps): CommandHandler {
  return async (node, nodes) => {
    const targets = imageTargets(node, nodes);
    if (!targets.length) {
      void vscode.window.showInformationMessage('Choose images in the Docker hosts view, then run Remove Image from their context menu.');
      return;
    }
    const names = targets.map((t) => t.row.reference);
    const answer = await vscode.window.showWarningMessage(
      targets.length === 1 ? `Remove image "${names[0]}"?` : `Remove ${targets.length} images?`,
      { modal: true, detail: 'Images used by a container cannot be removed until the container is removed.' },
      'Remove',
    );
    if (answer !== 'Remove') {
      return;
    }
    // A tagged image is untagged by reference so its other tags survive; a dangling one goes by ID.
    await forEachTarget(
      `Removing ${targets.length === 1 ? names[0] : `${targets.length} images`}`,
      targets,
      (t) => t.row.reference,
      (t) => removeImage(t.session.connect().docker, t.row.dangling ? t.row.image.Id : t.row.reference),
    );
    for (const hostId of new Set(targets.map((t) => t.host.hostId))) {
      deps.hosts.refresh(hostId);
    }
  };
}

export function inspectImage(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const [t] = imageTargets(node, undefined);
    if (t) {
      await deps.inspect.open(InspectDocuments.uri(t.host.hostId, 'image', t.row.image.Id, t.row.reference));
    }
  };
}
