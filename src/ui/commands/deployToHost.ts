import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import * as fs from 'fs';
import * as path from 'path';
import { browserUrlForPort } from '../../core/docker/browserUrl';
import { vendor } from '../../core/docker/lazyVendor';
import {
  defaultNames,
  DeploySpec,
  exposedPorts,
  type ExistingContainer,
  parseEnvironment,
  parsePortMappings,
  replaceContainer,
  RestartPolicy,
} from '../../core/docker/deployContainer';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { containerName, DEPLOYED_FROM_LABEL } from '../../core/docker/presentation';
import { ContainerNode } from '../tree/hostNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { openPortsOnAzureHost } from './azurePorts';
import { buildClientId } from './buildClientId';
import { buildRegistryLogins } from './buildRegistryLogins';
import { buildSecretsFor, type BuildSecrets } from './buildSecretSources';
import { withPickedHost } from './hostPick';
import { resolveWorkspaceFile } from './workspaceFilePick';
import { errorText } from '../../core/docker/errors';

interface Remembered {
  hostId: string;
  image: string;
  name: string;
  ports: string;
  env: string;
  restartPolicy: RestartPolicy;
}

const memoryKey = (dockerfile: vscode.Uri) => `dockerOnAzure.deploy.${dockerfile.toString()}`;
const environmentKey = (dockerfile: vscode.Uri) => `${memoryKey(dockerfile)}.env`;

/** Environment values are often secrets: they live in SecretStorage, the other answers in workspace state. */
async function rememberAnswers(deps: CommandDeps, dockerfile: vscode.Uri, answers: Remembered): Promise<void> {
  const { env, ...plain } = answers;
  await deps.context.workspaceState.update(memoryKey(dockerfile), plain);
  if (env) {
    await deps.context.secrets.store(environmentKey(dockerfile), env);
  } else {
    await deps.context.secrets.delete(environmentKey(dockerfile));
  }
}

async function recallAnswers(deps: CommandDeps, dockerfile: vscode.Uri): Promise<Remembered | undefined> {
  const plain = deps.context.workspaceState.get<Omit<Remembered, 'env'> & { env?: string }>(memoryKey(dockerfile));
  if (!plain) {
    return undefined;
  }
  if (plain.env !== undefined) {
    // Written by a version that kept the environment in plain state: move it out.
    const answers = { ...plain, env: plain.env };
    await rememberAnswers(deps, dockerfile, answers);
    return answers;
  }
  return { ...plain, env: (await deps.context.secrets.get(environmentKey(dockerfile))) ?? '' };
}

/** Which local Dockerfile each container was deployed from, per host: kept on this machine, never on the host. */
const DEPLOYMENTS_KEY = 'dockerOnAzure.deployments';
const deploymentKey = (hostId: string, name: string) => `${hostId}\n${name}`;

function rememberedDeployment(deps: CommandDeps, hostId: string, name: string): vscode.Uri | undefined {
  const uri = deps.context.globalState.get<Record<string, string>>(DEPLOYMENTS_KEY, {})[deploymentKey(hostId, name)];
  return uri ? vscode.Uri.parse(uri) : undefined;
}

async function rememberDeployment(deps: CommandDeps, hostId: string, name: string, dockerfile: vscode.Uri): Promise<void> {
  const all = deps.context.globalState.get<Record<string, string>>(DEPLOYMENTS_KEY, {});
  await deps.context.globalState.update(DEPLOYMENTS_KEY, { ...all, [deploymentKey(hostId, name)]: dockerfile.toString() });
}

/** The Dockerfile's path inside its workspace folder: a label must not give away local absolute paths. */
function labelledPath(dockerfile: vscode.Uri): string {
  const folder = (vscode.workspace.workspaceFolders ?? []).find((f) => isInside(f.uri.fsPath, dockerfile.fsPath));
  return folder ? path.relative(folder.uri.fsPath, dockerfile.fsPath).split(path.sep).join('/') : path.basename(dockerfile.fsPath);
}

function isInside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return !!rel && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * A label comes from the host, so it may only pick a Dockerfile inside an open workspace folder
 * (after symlinks are resolved); anything else could make Redeploy upload any local folder.
 */
function dockerfileInWorkspace(label: string): vscode.Uri | undefined {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      const root = fs.realpathSync(folder.uri.fsPath);
      const file = fs.realpathSync(path.resolve(folder.uri.fsPath, label));
      if (isInside(root, file) && fs.statSync(file).isFile()) {
        return vscode.Uri.file(file);
      }
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}

function tryParse<T>(parse: (v: string) => T): (v: string) => string | undefined {
  return (v) => {
    try {
      parse(v);
      return undefined;
    } catch (err) {
      return errorText(err);
    }
  };
}

const DOCKERFILES = {
  glob: '**/{Dockerfile,*.Dockerfile,Dockerfile.*}',
  accepts: (name: string) => /^Dockerfile(\..+)?$|\.Dockerfile$/.test(name),
  title: 'Deploy which Dockerfile?',
};

async function askAnswers(dockerfile: vscode.Uri, session: DockerHostSession, memory: Remembered | undefined): Promise<Remembered | undefined> {
  const names = defaultNames(path.basename(path.dirname(dockerfile.fsPath)));
  const ask = (title: string, value: string, validate?: (v: string) => string | undefined) =>
    vscode.window.showInputBox({ title, value, ignoreFocusOut: true, validateInput: validate });
  const image = await ask('Image name and tag', memory?.image ?? names.image, (v) =>
    /^[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?$/.test(v) ? undefined : 'Use lowercase letters, digits and . _ / - (and :tag).',
  );
  if (!image) {
    return undefined;
  }
  const name = await ask('Container name', memory?.name ?? names.container, (v) =>
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(v) ? undefined : 'Use letters, digits and _ . - (two characters or more).',
  );
  if (!name) {
    return undefined;
  }
  const exposed = exposedPorts(Buffer.from(await vscode.workspace.fs.readFile(dockerfile)).toString());
  const ports = await ask(
    'Published ports (HOST:CONTAINER, comma-separated)',
    memory?.ports ?? exposed.map((p) => `${p.port}:${p.port}${p.protocol === 'udp' ? '/udp' : ''}`).join(', '),
    tryParse(parsePortMappings),
  );
  // An empty answer is valid (no ports, no variables); only Escape (undefined) stops here.
  if (ports === undefined) {
    return undefined;
  }
  const env = await ask('Environment variables (NAME=value, comma-separated)', memory?.env ?? '', tryParse(parseEnvironment));
  if (env === undefined) {
    return undefined;
  }
  const restart = await vscode.window.showQuickPick(
    (['unless-stopped', 'always', 'on-failure', 'no'] as RestartPolicy[])
      .map((p) => ({ label: p, picked: p === (memory?.restartPolicy ?? 'unless-stopped') }))
      .sort((a, b) => Number(b.picked) - Number(a.picked)),
    { title: 'Restart policy' },
  );
  if (!restart) {
    return undefined;
  }
  return { hostId: session.spec.id, image, name, ports, env, restartPolicy: restart.label as RestartPolicy };
}

/** Builds on the host, swaps the container in, then offers the app's URL (opening the Azure firewall first if needed). */
async function deploy(
  deps: CommandDeps,
  session: DockerHostSession,
  dockerfile: vscode.Uri,
  answers: Remembered,
  secrets: BuildSecrets,
): Promise<void> {
  await rememberAnswers(deps, dockerfile, answers);
  const { name, image } = answers;
  const spec: DeploySpec = {
    image,
    name,
    ports: parsePortMappings(answers.ports),
    env: parseEnvironment(answers.env),
    restartPolicy: answers.restartPolicy,
    labels: { [DEPLOYED_FROM_LABEL]: labelledPath(dockerfile) },
  };
  deps.buildLog.clear();
  deps.buildLog.show(true);
  if (secrets.described) {
    deps.buildLog.appendLine(`Build secrets: ${secrets.described}.`);
  }
  const connection = session.connect();
  const docker = connection.docker;
  const clientId = await buildClientId(deps);
  let result: Awaited<ReturnType<typeof replaceContainer>>;
  let cancelled = false;
  try {
    result = await withCancellableProgress(`Deploying ${name} to ${session.spec.name}`, async (progress, signal) => {
      signal.addEventListener('abort', () => (cancelled = true));
      progress.report({ message: 'Building on the host…' });
      const built = await vendor().buildImage(
        connection,
        {
          contextDir: path.dirname(dockerfile.fsPath),
          dockerfile: dockerfile.fsPath,
          tag: image,
          signal,
          clientId,
          secret: secrets.over(connection),
          credentials: buildRegistryLogins(deps, connection, (line) => deps.buildLog.appendLine(line)),
          onStep: (stepName) => progress.report({ message: stepName }),
        },
        (text) => deps.buildLog.append(text),
      );
      progress.report({ message: `Built with ${built.builder === 'buildkit' ? 'BuildKit' : 'the classic builder'}: ${built.summary}` });
      const step = (text: string) => {
        progress.report({ message: text });
        deps.buildLog.appendLine(text);
      };
      return replaceContainer(docker, spec, step, { confirmForeign: (existing) => confirmReplacing(session, existing) });
    });
  } catch (err) {
    if (cancelled) {
      deps.buildLog.appendLine('Cancelled.');
      return;
    }
    const logs = (err as { logs?: string }).logs;
    if (logs) {
      deps.buildLog.appendLine(`--- output of the container that did not start ---\n${logs}`);
    }
    deps.buildLog.appendLine(errorText(err));
    if ((await vscode.window.showErrorMessage(errorText(err), 'Show Log')) === 'Show Log') {
      deps.buildLog.show();
    }
    return;
  } finally {
    deps.hosts.refresh(session.spec.id);
  }
  if (result) {
    await rememberDeployment(deps, session.spec.id, name, dockerfile);
    await offerBrowser(deps, session, name, spec.ports);
  }
}

/** A same-named container this extension did not deploy is someone's: replacing it takes a clear yes. */
async function confirmReplacing(session: DockerHostSession, existing: ExistingContainer): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(
    `${session.spec.name} already has a container named ${existing.name} (${existing.image}) that Docker on Azure did not deploy. Replace it?`,
    {
      modal: true,
      detail: `It is ${existing.running ? 'stopped and ' : ''}removed once the new one runs; its volumes, bind mounts and networks go to the new container. If the new one fails, it is put back.`,
    },
    'Replace',
  );
  return answer === 'Replace';
}

async function offerBrowser(deps: CommandDeps, session: DockerHostSession, name: string, ports: DeploySpec['ports']): Promise<void> {
  const { publicHost } = await openPortsOnAzureHost(
    deps,
    session,
    ports.map((p) => ({ port: p.hostPort, protocol: p.protocol })),
  );
  const first = ports.find((p) => p.protocol === 'tcp');
  const url = !first
    ? undefined
    : publicHost
      ? { reachable: true as const, url: `http://${publicHost}:${first.hostPort}` }
      : browserUrlForPort(session.spec.address, { hostIp: '0.0.0.0', hostPort: first.hostPort, containerPort: first.containerPort, protocol: 'tcp' });
  const open = await vscode.window.showInformationMessage(
    `${name} is running on ${session.spec.name}.`,
    ...(url?.reachable ? ['Open in Browser'] : []),
  );
  if (open && url?.reachable) {
    await vscode.env.openExternal(vscode.Uri.parse(url.url));
  }
}

/**
 * Right-click a Dockerfile → a container on a host: builds on the host from the Dockerfile's folder
 * (honouring .dockerignore), then replaces the container of the same name only once the new one runs.
 * Answers are remembered per Dockerfile, so a redeploy is a few Enters.
 */
export function deployToHost(deps: CommandDeps): CommandHandler {
  return async (arg) => {
    const dockerfile = await resolveWorkspaceFile(arg, DOCKERFILES);
    if (!dockerfile) {
      void vscode.window.showInformationMessage('No Dockerfile found in this workspace.');
      return;
    }
    const memory = await recallAnswers(deps, dockerfile);
    await withPickedHost(deps, { title: 'Deploy to which Docker host?', rememberedHostId: memory?.hostId }, async (session) => {
      const answers = await askAnswers(dockerfile, session, memory);
      const secrets = answers && (await buildSecretsFor(deps, dockerfile, true));
      if (answers && secrets) {
        await deploy(deps, session, dockerfile, answers, secrets);
      }
    });
  };
}

/**
 * One click from a deployed container (or a Dockerfile deployed before): the same build and swap
 * with the remembered answers, on the container's own host. Without remembered answers (deployed
 * from another machine or workspace) it asks, as a first deploy would.
 */
export function redeploy(deps: CommandDeps): CommandHandler {
  return async (arg) => {
    const fromContainer = arg instanceof ContainerNode ? arg : undefined;
    const labelled = fromContainer?.info.Labels?.[DEPLOYED_FROM_LABEL];
    let dockerfile: vscode.Uri | undefined;
    if (fromContainer) {
      const name = containerName(fromContainer.info);
      dockerfile = rememberedDeployment(deps, fromContainer.session.spec.id, name) ?? (labelled ? dockerfileInWorkspace(labelled) : undefined);
      if (!dockerfile) {
        void vscode.window.showErrorMessage(
          `Cannot redeploy ${name} on ${fromContainer.session.spec.name}: this machine has no record of deploying it, and its label names no Dockerfile inside an open workspace folder. Nothing was uploaded; open the folder with its Dockerfile, or use Deploy to Docker Host.`,
        );
        return;
      }
    } else {
      dockerfile = await resolveWorkspaceFile(arg, DOCKERFILES);
    }
    if (!dockerfile) {
      void vscode.window.showInformationMessage('No Dockerfile found in this workspace.');
      return;
    }
    const memory = await recallAnswers(deps, dockerfile);
    const session = fromContainer?.session ?? (await deps.hosts.loadAll()).find((s) => s.spec.id === memory?.hostId);
    try {
      await vscode.workspace.fs.readFile(dockerfile);
    } catch {
      void vscode.window.showErrorMessage(`Cannot redeploy: ${dockerfile.fsPath} is not on this machine any more.`);
      return;
    }
    if (!session) {
      await deployToHost(deps)(dockerfile);
      return;
    }
    const answers = memory && { ...memory, hostId: session.spec.id, name: fromContainer ? containerName(fromContainer.info) : memory.name };
    const confirmed = answers ?? (await askAnswers(dockerfile, session, undefined));
    // Remembered secrets are used as they are; only one never answered is asked.
    const secrets = confirmed && (await buildSecretsFor(deps, dockerfile, !answers));
    if (confirmed && secrets) {
      await deploy(deps, session, dockerfile, confirmed, secrets);
    }
  };
}
