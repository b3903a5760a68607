import type Dockerode from 'dockerode';
import { DEPLOYED_BY_LABEL, DEPLOYED_FROM_LABEL } from './presentation';
import { runContainerAction } from './containerActions';
import { errorText } from './errors';

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

export interface DeploySpec {
  image: string;
  name: string;
  ports: PortMapping[];
  env: string[];
  restartPolicy: RestartPolicy;
  labels?: Record<string, string>;
}

/** `EXPOSE 80 443/tcp 53/udp` lines of a Dockerfile; variables cannot be known here and are skipped. */
export function exposedPorts(dockerfile: string): { port: number; protocol: 'tcp' | 'udp' }[] {
  const ports: { port: number; protocol: 'tcp' | 'udp' }[] = [];
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    const m = /^\s*EXPOSE\s+(.+)$/i.exec(line);
    for (const token of m ? m[1].trim().split(/\s+/) : []) {
      const p = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(token);
      if (p && Number(p[1]) > 0 && Number(p[1]) < 65536) {
        ports.push({ port: Number(p[1]), protocol: (p[2]?.toLowerCase() as 'tcp' | 'udp') ?? 'tcp' });
      }
    }
  }
  return ports;
}

/** The new container did not stay up; the previous one (if any) was put back, which the message says. */
export class DeployStartError extends Error {
  constructor(
    message: string,
    readonly newContainerId: string | undefined,
    readonly previousContainerId: string | undefined,
    readonly logs: string,
  ) {
    super(message);
    this.name = 'DeployStartError';
  }
}

export interface ExistingContainer {
  id: string;
  name: string;
  image: string;
  running: boolean;
}

export interface ReplaceOptions {
  /**
   * Asked before a container of the chosen name that this extension did not deploy is replaced;
   * false leaves it as it is.
   */
  confirmForeign(existing: ExistingContainer): Promise<boolean>;
  /** How long the new container must stay up to count as started. */
  settleMs?: number;
}

/** Earlier versions marked their containers only with the Dockerfile label; both mean "ours". */
export function deployedByThisExtension(labels: Record<string, string> | null | undefined): boolean {
  return !!labels && (DEPLOYED_BY_LABEL in labels || DEPLOYED_FROM_LABEL in labels);
}

async function findByName(docker: Dockerode, name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      return undefined;
    }
    throw err;
  }
}

async function logsOf(docker: Dockerode, id: string): Promise<string> {
  try {
    const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: 50 })) as unknown as Buffer;
    // Non-TTY logs are framed: an 8-byte header before each chunk.
    const out: string[] = [];
    for (let i = 0; i + 8 <= buf.length;) {
      const size = buf.readUInt32BE(i + 4);
      out.push(buf.subarray(i + 8, i + 8 + size).toString());
      i += 8 + size;
    }
    return out.join('');
  } catch {
    return '';
  }
}

const DEFAULT_NETWORKS = new Set(['default', 'bridge', 'host', 'none']);

interface CarriedOver {
  mounts: Dockerode.MountSettings[];
  networkMode?: string;
  /** User-defined networks and their aliases (the default bridge takes no aliases). */
  networks: [string, string[]][];
  described: string[];
}

/**
 * What the previous container had that the deploy answers do not describe: its volumes (named and
 * anonymous), bind mounts and networks. The new container gets them too, so its data stays with the
 * app and no anonymous volume is orphaned, as `docker compose` does when it recreates a service.
 */
function carriedOver(previous: Dockerode.ContainerInspectInfo): CarriedOver {
  const mounts: Dockerode.MountSettings[] = [];
  const described: string[] = [];
  for (const m of previous.Mounts as { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[]) {
    if (m.Type === 'volume' && m.Name) {
      mounts.push({ Type: 'volume', Source: m.Name, Target: m.Destination, ReadOnly: !m.RW });
      described.push(/^[0-9a-f]{64}$/.test(m.Name) ? `volume ${m.Destination}` : `volume ${m.Name} at ${m.Destination}`);
    } else if (m.Type === 'bind') {
      mounts.push({ Type: 'bind', Source: m.Source, Target: m.Destination, ReadOnly: !m.RW });
      described.push(`bind mount ${m.Source} at ${m.Destination}`);
    }
  }
  const mode = previous.HostConfig.NetworkMode;
  const networkMode = mode && mode !== 'default' && mode !== 'bridge' ? mode : undefined;
  const networks: [string, string[]][] = [];
  for (const [net, endpoint] of Object.entries(previous.NetworkSettings.Networks ?? {})) {
    if (!DEFAULT_NETWORKS.has(net)) {
      // Docker adds the short container ID as an alias by itself; the old one would be wrong.
      networks.push([net, (endpoint.Aliases ?? []).filter((a: string) => !previous.Id.startsWith(a))]);
      described.push(`network ${net}`);
    }
  }
  if (networkMode && DEFAULT_NETWORKS.has(networkMode)) {
    described.push(`network mode ${networkMode}`);
  }
  return { mounts, networkMode, networks, described };
}

/** Puts the previous container back under its name, running if it ran; says what happened. */
async function bringBack(docker: Dockerode, previous: Dockerode.ContainerInspectInfo, name: string, keptAs: string): Promise<string> {
  try {
    const container = docker.getContainer(previous.Id);
    await container.rename({ name });
    if (previous.State.Running) {
      await container.start();
      return `The previous ${name} is running again.`;
    }
    return `The previous ${name} is back as it was (stopped).`;
  } catch (err) {
    const reason = errorText(err);
    return `Bringing the previous ${name} back failed (${reason}): it is kept, stopped, as ${keptAs}.`;
  }
}

/**
 * Containers named `NAME-previous-…` that a deploy of this extension set aside and never removed
 * (an earlier version left them when a failed deploy's notification was dismissed). Their volumes
 * stay: only the container goes.
 */
async function removeLeftovers(docker: Dockerode, name: string, onStep: (text: string) => void): Promise<void> {
  const pattern = new RegExp(`^/${name.replace(/[.]/g, '\\.')}-previous-[0-9a-z]+$`);
  const all = await docker.listContainers({ all: true, filters: { name: [`${name}-previous-`] } });
  for (const c of all.filter((c) => c.Names.some((n) => pattern.test(n)) && deployedByThisExtension(c.Labels))) {
    await docker.getContainer(c.Id).remove({ force: true });
    const volumes = c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name ?? m.Destination);
    onStep(`Removed ${c.Names[0].slice(1)}, set aside by an earlier deploy${volumes.length ? `; its volumes are kept: ${volumes.join(', ')}` : ''}.`);
  }
}

/**
 * Runs the new container in place of the previous one of the same name. A same-named container this
 * extension did not deploy is only replaced when `confirmForeign` says so (otherwise nothing changes
 * and the result is undefined). The previous one is stopped and set aside until the new one has
 * started and stayed up for `settleMs`; then it is removed, its volumes, bind mounts and networks
 * having gone to the new one. If the new one fails, it is removed and the previous one is put back
 * by itself.
 */
export async function replaceContainer(
  docker: Dockerode,
  spec: DeploySpec,
  onStep: (text: string) => void,
  options: ReplaceOptions,
): Promise<{ containerId: string; replaced: boolean } | undefined> {
  const previous = await findByName(docker, spec.name);
  if (
    previous &&
    !deployedByThisExtension(previous.Config.Labels) &&
    !(await options.confirmForeign({ id: previous.Id, name: spec.name, image: previous.Config.Image, running: previous.State.Running }))
  ) {
    return undefined;
  }
  const carried = previous ? carriedOver(previous) : undefined;
  let keptAs = '';
  if (previous) {
    onStep(`Stopping the previous ${spec.name}…`);
    await runContainerAction(docker, previous.Id, 'stop');
    keptAs = `${spec.name}-previous-${Date.now().toString(36)}`;
    await docker.getContainer(previous.Id).rename({ name: keptAs });
    if (carried?.described.length) {
      onStep(`Carrying over from the previous ${spec.name}: ${carried.described.join(', ')}.`);
    }
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const p of spec.ports) {
    exposed[`${p.containerPort}/${p.protocol}`] = {};
    bindings[`${p.containerPort}/${p.protocol}`] = [{ HostPort: String(p.hostPort) }];
  }
  const [primary, ...others] = carried?.networks ?? [];
  const attachFirst = primary && (!carried?.networkMode || carried.networkMode === primary[0]) ? primary : undefined;
  onStep(`Starting ${spec.name} from ${spec.image}…`);
  let created: Dockerode.Container | undefined;
  try {
    created = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Env: spec.env,
      Labels: { ...spec.labels, [DEPLOYED_BY_LABEL]: 'docker-on-azure' },
      ExposedPorts: exposed,
      HostConfig: {
        PortBindings: bindings,
        RestartPolicy: { Name: spec.restartPolicy === 'no' ? '' : spec.restartPolicy },
        Mounts: carried?.mounts,
        NetworkMode: carried?.networkMode ?? attachFirst?.[0],
      },
      NetworkingConfig: attachFirst ? { EndpointsConfig: { [attachFirst[0]]: { Aliases: attachFirst[1] } } } : undefined,
    });
    for (const [net, aliases] of attachFirst ? others : (carried?.networks ?? [])) {
      await docker.getNetwork(net).connect({ Container: created.id, EndpointConfig: { Aliases: aliases } });
    }
    await created.start();
    await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
    const info = await created.inspect();
    // With a restart policy a crashing container may be up again at this instant: a restart
    // count above zero gives it away.
    if (!info.State.Running || info.State.Restarting || info.RestartCount > 0) {
      throw new Error(
        info.RestartCount > 0 ? `it keeps exiting (restarted ${info.RestartCount} time(s) already)` : `it exited with code ${info.State.ExitCode}`,
      );
    }
  } catch (err) {
    const logs = created ? await logsOf(docker, created.id) : '';
    if (created) {
      await created.remove({ force: true }).catch(() => undefined);
    }
    const reason = errorText(err);
    const restored = previous ? ` ${await bringBack(docker, previous, spec.name, keptAs)}` : '';
    throw new DeployStartError(`The new ${spec.name} did not start: ${reason}.${restored}`, created?.id, previous?.Id, logs);
  }
  if (previous) {
    await docker.getContainer(previous.Id).remove({ force: true });
  }
  await removeLeftovers(docker, spec.name, onStep);
  return { containerId: created.id, replaced: !!previous };
}

/** `8080:80, 53:53/udp` → mappings; a bare `80` publishes the same port. Throws with the bad part named. */
export function parsePortMappings(text: string): PortMapping[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((part) => {
      const m = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/i.exec(part);
      const host = Number(m?.[1] ?? m?.[2]);
      const container = Number(m?.[2]);
      if (!m || !(host > 0 && host < 65536) || !(container > 0 && container < 65536)) {
        throw new Error(`"${part}" is not a port mapping: use HOST:CONTAINER, e.g. 8080:80 or 53:53/udp.`);
      }
      return { hostPort: host, containerPort: container, protocol: (m[3]?.toLowerCase() as 'tcp' | 'udp') ?? 'tcp' };
    });
}

/** `KEY=value, OTHER=x` → Docker's Env list; names must be valid variable names. */
export function parseEnvironment(text: string): string[] {
  return text
    .split(/\s*,\s*|\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(pair)) {
        throw new Error(`"${pair}" is not NAME=value.`);
      }
      return pair;
    });
}

/** Image and container names Docker accepts, from a folder name. */
export function defaultNames(folderName: string): { image: string; container: string } {
  const base =
    folderName
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'app';
  return { image: `${base}:latest`, container: base };
}
