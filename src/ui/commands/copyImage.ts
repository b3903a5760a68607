import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { vendor } from '../../core/docker/lazyVendor';
import { formatBytes } from '../../core/docker/presentation';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { imageSource, pickHost } from './imagePicks';
import { errorText, isCancellation } from '../../core/docker/errors';

/** Progress updates at most this often; the stream delivers chunks far faster than anyone reads. */
const REPORT_EVERY_MS = 200;

/**
 * Moves an image to another host without a registry: the source engine's export streams straight
 * into the target engine's import, and the target's tree then lists it.
 */
export function copyImageToHost(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const source = await imageSource(deps, node, 'Copy Image to Host');
    if (!source) {
      return;
    }
    const target = await pickHost(deps, `Copy ${source.row.reference} to which host?`, source.session);
    if (!target) {
      return;
    }
    const label = source.row.dangling ? source.reference.replace(/^sha256:/, '').slice(0, 12) : source.row.reference;
    try {
      await withCancellableProgress(`Copying ${label} to ${target.spec.name}`, async (progress, signal) => {
        let lastReport = 0;
        await vendor().copyImage(
          source.session.connect().docker,
          target.connect().docker,
          source.reference,
          (bytes) => {
            const now = Date.now();
            if (now - lastReport >= REPORT_EVERY_MS) {
              lastReport = now;
              progress.report({ message: `${formatBytes(bytes)} transferred` });
            }
          },
          signal,
        );
      });
    } catch (err) {
      if (!isCancellation(err)) {
        void vscode.window.showErrorMessage(`Copying ${label} to ${target.spec.name} failed: ${errorText(err)}`);
      }
      return;
    } finally {
      deps.hosts.refresh(target.spec.id);
    }
    void vscode.window.showInformationMessage(`${label} is now on ${target.spec.name}.`);
  };
}
