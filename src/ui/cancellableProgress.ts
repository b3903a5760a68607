import * as vscode from 'vscode';
import { OperationCancelled } from '../core/docker/errors';

/**
 * A notification with a Cancel button that aborts the signal handed to `task`, which passes it on to
 * the engine, ARM or the tool it drives. A task that ends by failing after Cancel rejects with
 * OperationCancelled, whatever the layer below threw, so callers can stay silent about it.
 */
export function withCancellableProgress<T>(
  title: string,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      return await task(progress, controller.signal);
    } catch (err) {
      throw controller.signal.aborted ? new OperationCancelled(err) : err;
    } finally {
      sub.dispose();
    }
  });
}
