import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import type { ContainerInfo } from 'dockerode';
import { containerName, sortContainers } from '../../core/docker/presentation';
import { DockerHostSession } from '../../core/docker/hostSession';
import { errorText, isCancellation } from '../../core/docker/errors';
import { ContainerNode, ImageNode } from '../tree/hostNodes';
import type { CommandDeps } from './commandDeps';

export interface ContainerTarget {
  session: DockerHostSession;
  info: ContainerInfo;
}

/**
 * The containers a command acts on: the multi-selection, else the clicked node, else (from the
 * palette) the user's pick among containers of reachable hosts that pass `filter`.
 */
export async function containerTargets(
  deps: CommandDeps,
  node: unknown,
  nodes: unknown[] | undefined,
  filter: (c: ContainerInfo) => boolean,
  canPickMany: boolean,
): Promise<ContainerTarget[]> {
  const selected = (nodes?.length ? nodes : node ? [node] : []).filter((n): n is ContainerNode => n instanceof ContainerNode);
  if (selected.length) {
    return selected.map((n) => ({ session: n.session, info: n.info }));
  }
  if (node !== undefined) {
    return [];
  }
  return pickContainers(deps, filter, canPickMany);
}

async function pickContainers(deps: CommandDeps, filter: (c: ContainerInfo) => boolean, canPickMany: boolean): Promise<ContainerTarget[]> {
  const sessions = await deps.hosts.loadAll();
  const listed = await Promise.all(
    sessions.map(async (session) => {
      try {
        // A pick is read afresh: the tree's listing may predate a container made a moment ago.
        return sortContainers((await session.load()).containers)
          .filter(filter)
          .map((info) => ({ session, info }));
      } catch {
        return [];
      }
    }),
  );
  const items = listed.flat().map((t) => ({
    label: containerName(t.info),
    description: `${t.session.spec.name} · ${t.info.State}`,
    detail: t.info.Image,
    target: t,
  }));
  if (!items.length) {
    void vscode.window.showInformationMessage('No matching containers on any reachable host.');
    return [];
  }
  if (canPickMany) {
    return ((await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: 'Choose containers' })) ?? []).map((i) => i.target);
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Choose a container' });
  return picked ? [picked.target] : [];
}

export function imageTargets(node: unknown, nodes: unknown[] | undefined): ImageNode[] {
  return (nodes?.length ? nodes : node ? [node] : []).filter((n): n is ImageNode => n instanceof ImageNode);
}

/** Runs `action` on every target at once, and reports all failures in one message. */
export async function forEachTarget<T>(
  title: string,
  targets: T[],
  label: (t: T) => string,
  action: (t: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  if (!targets.length) {
    return;
  }
  const failures: string[] = [];
  await withCancellableProgress(title, async (_progress, signal) => {
    await Promise.all(
      targets.map(async (t) => {
        try {
          await action(t, signal);
        } catch (err) {
          // What Cancel stopped is not a failure to report.
          if (!signal.aborted && !isCancellation(err)) {
            failures.push(`${label(t)}: ${errorText(err)}`);
          }
        }
      }),
    );
  });
  if (failures.length) {
    void vscode.window.showErrorMessage(`${title} failed for ${failures.join('; ')}`);
  }
}
