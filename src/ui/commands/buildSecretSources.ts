import * as vscode from 'vscode';
import * as fs from 'fs/promises';
import type { BuildOptions } from '../../core/docker/buildImage';
import { secretMounts, type SecretMount } from '../../core/docker/buildSecrets';
import { mayHandOverInClear } from '../../core/docker/cleartextCredentials';
import type { Transport } from '../../core/docker/errors';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import type { CommandDeps } from './commandDeps';

/** Where one build secret comes from. Only the kind and a file's path are kept in plain state. */
type SecretSource = { kind: 'stored' } | { kind: 'file'; path: string } | { kind: 'none' };

/** Serves a `RUN --mount=type=secret` its value when BuildKit asks for it. */
type SecretProvider = NonNullable<BuildOptions['secret']>;

export interface BuildSecrets {
  /** The values for a build on this engine; over plain HTTP only with the user's consent. */
  over(engine: { transport: Transport; where: string }): SecretProvider;
  /** "npm_token from SecretStorage, aws from ~/.aws/credentials": for the build output, never a value. */
  described: string;
}

const sourcesKey = (dockerfile: vscode.Uri) => `dockerOnAzure.buildSecrets.${dockerfile.toString()}`;
const valueKey = (dockerfile: vscode.Uri, id: string) => `dockerOnAzure.buildSecret.${dockerfile.toString()}\n${id}`;

function describe(id: string, source: SecretSource): string {
  return source.kind === 'stored' ? `${id} from SecretStorage` : source.kind === 'file' ? `${id} from ${source.path}` : `${id} not given`;
}

async function askSource(
  deps: CommandDeps,
  dockerfile: vscode.Uri,
  mount: SecretMount,
  current: SecretSource | undefined,
): Promise<SecretSource | undefined> {
  type Choice = vscode.QuickPickItem & { choose: () => Promise<SecretSource | undefined> };
  const keep: Choice[] =
    current?.kind === 'stored'
      ? [{ label: 'Use the value kept in SecretStorage', choose: async () => current }]
      : current?.kind === 'file'
        ? [{ label: `Read ${current.path}`, description: 'when the build asks for it', choose: async () => current }]
        : [];
  const choices: Choice[] = [
    ...keep,
    {
      label: 'Enter a value…',
      description: 'kept in VS Code SecretStorage',
      choose: async () => {
        const value = await vscode.window.showInputBox({ title: `Value of build secret "${mount.id}"`, password: true, ignoreFocusOut: true });
        if (value === undefined) {
          return undefined;
        }
        await deps.context.secrets.store(valueKey(dockerfile, mount.id), value);
        return { kind: 'stored' };
      },
    },
    {
      label: 'Read from a file…',
      description: 'read again at every build; the file stays where it is',
      choose: async () => {
        const [file] =
          (await vscode.window.showOpenDialog({ title: `File for build secret "${mount.id}"`, canSelectMany: false, canSelectFolders: false })) ?? [];
        return file ? { kind: 'file', path: file.fsPath } : undefined;
      },
    },
    {
      label: 'Build without it',
      description: mount.required ? 'the step that needs it will fail (required=true)' : 'the step runs with no file at its mount',
      choose: async () => ({ kind: 'none' }),
    },
  ];
  const picked = await vscode.window.showQuickPick(choices, {
    title: `Build secret "${mount.id}" (RUN --mount=type=secret)`,
    placeHolder: 'Secrets reach the build only while it runs: they are not kept in the image or its history.',
    ignoreFocusOut: true,
  });
  return picked?.choose();
}

/**
 * The build secrets of a Dockerfile. With `ask`, each one is asked (the remembered source first),
 * as Deploy asks its other answers; without, only those never answered are. Values live in
 * SecretStorage or in the user's own files, never in workspace state or the build output.
 * Undefined when the user pressed Escape.
 */
export async function buildSecretsFor(deps: CommandDeps, dockerfile: vscode.Uri, ask: boolean): Promise<BuildSecrets | undefined> {
  const mounts = secretMounts(Buffer.from(await vscode.workspace.fs.readFile(dockerfile)).toString());
  const remembered = deps.context.workspaceState.get<Record<string, SecretSource>>(sourcesKey(dockerfile), {});
  const sources: Record<string, SecretSource> = {};
  for (const mount of mounts) {
    const current = remembered[mount.id];
    const source = ask || !current ? await askSource(deps, dockerfile, mount, current) : current;
    if (!source) {
      return undefined;
    }
    sources[mount.id] = source;
  }
  if (mounts.length > 0) {
    await deps.context.workspaceState.update(sourcesKey(dockerfile), { ...remembered, ...sources });
  }
  const valueOf = async (id: string): Promise<Uint8Array | undefined> => {
    const source = sources[id];
    if (source?.kind === 'stored') {
      const value = await deps.context.secrets.get(valueKey(dockerfile, id));
      return value === undefined ? undefined : Buffer.from(value);
    }
    return source?.kind === 'file' ? fs.readFile(source.path) : undefined;
  };
  return {
    described: Object.entries(sources)
      .map(([id, source]) => describe(id, source))
      .join(', '),
    over: (engine) => {
      const consent = new CleartextConsentStore(deps.context.globalState);
      return async (id) => {
        const value = await valueOf(id);
        return value && (await mayHandOverInClear(engine, `the build secret "${id}"`, consent)) ? value : undefined;
      };
    },
  };
}
