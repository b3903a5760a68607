import * as vscode from 'vscode';
import { DockerHostSession } from '../../core/docker/hostSession';
import type { DockerHostSpec } from '../../core/docker/hostSpec';
import type { CommandDeps } from './commandDeps';

const PROVISION = 'provision';

/**
 * Asks for a host from either view (the remembered one first) or offers to provision a new one on
 * Azure, then runs `use` with its session. A freshly provisioned host has no tree row yet, so it
 * gets a session of its own for this run, closed afterwards.
 */
export async function withPickedHost<T>(
  deps: CommandDeps,
  opts: { title: string; rememberedHostId?: string },
  use: (session: DockerHostSession) => Promise<T>,
): Promise<T | undefined> {
  const hosts = (await deps.hosts.loadAll())
    .map((s) => ({
      label: s.spec.name,
      description: s.spec.address,
      target: s as DockerHostSession | typeof PROVISION,
      remembered: s.spec.id === opts.rememberedHostId,
    }))
    .sort((a, b) => Number(b.remembered) - Number(a.remembered));
  const picked = await vscode.window.showQuickPick(
    [
      ...hosts,
      { label: '', kind: vscode.QuickPickItemKind.Separator, target: PROVISION, remembered: false },
      { label: '$(add) Provision a New Host on Azure…', description: 'a Docker-ready VM, then continue here', target: PROVISION, remembered: false },
    ],
    { title: opts.title, ignoreFocusOut: true },
  );
  if (!picked) {
    return undefined;
  }
  if (picked.target instanceof DockerHostSession) {
    return use(picked.target);
  }
  const spec = await vscode.commands.executeCommand<DockerHostSpec | undefined>('dockerOnAzure.azure.provisionHost');
  if (!spec) {
    return undefined;
  }
  const session = new DockerHostSession(spec, deps.connectionEnv());
  try {
    return await use(session);
  } finally {
    session.dispose();
  }
}
