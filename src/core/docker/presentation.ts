import type { ContainerInfo, ImageInfo, Port } from 'dockerode';
import { markdownCode, markdownText } from '../markdown';
import { contextValue } from '../contextValue';

/** What a tree row shows, without VS Code types, so it can be tested and reused by any view. */
export interface NodeModel {
  id: string;
  label: string;
  description?: string;
  /** Markdown; what a daemon reported goes in through {@link markdownText} or {@link markdownCode}. */
  tooltip?: string;
  icon: string;
  iconColor?: string;
  contextValue: string;
}

export type ContainerState = 'running' | 'paused' | 'restarting' | 'created' | 'exited' | 'dead' | 'removing';

const STATE_ORDER: Record<string, number> = { running: 0, restarting: 1, paused: 2, created: 3, exited: 4, dead: 5, removing: 6 };

const STATE_ICON: Record<string, { icon: string; color?: string }> = {
  running: { icon: 'pass-filled', color: 'charts.green' },
  restarting: { icon: 'sync', color: 'charts.yellow' },
  paused: { icon: 'debug-pause', color: 'charts.yellow' },
  created: { icon: 'circle-large-outline' },
  exited: { icon: 'circle-slash', color: 'disabledForeground' },
  dead: { icon: 'error', color: 'charts.red' },
  removing: { icon: 'trash', color: 'disabledForeground' },
};

export function containerName(c: Pick<ContainerInfo, 'Names' | 'Id'>): string {
  return (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
}

/** Running first (they are what people act on), then by name. */
export function sortContainers<T extends Pick<ContainerInfo, 'State' | 'Names' | 'Id'>>(containers: readonly T[]): T[] {
  return [...containers].sort(
    (a, b) => (STATE_ORDER[a.State] ?? 9) - (STATE_ORDER[b.State] ?? 9) || containerName(a).localeCompare(containerName(b)),
  );
}

/** The label a deploy puts on its container, naming the Dockerfile it came from (for Redeploy). */
export const DEPLOYED_FROM_LABEL = 'dockerOnAzure.dockerfile';

/** The label every container this extension deploys carries, so a later deploy knows it may replace it. */
export const DEPLOYED_BY_LABEL = 'dockerOnAzure.deployedBy';

export interface ComposeProject<T> {
  name: string;
  containers: T[];
}

/**
 * Containers of one Compose project belong together, as `docker compose ps` shows them: projects
 * first (by name), then the containers that belong to none.
 */
export function groupByComposeProject<T extends Pick<ContainerInfo, 'State' | 'Names' | 'Id' | 'Labels'>>(
  containers: readonly T[],
): { projects: ComposeProject<T>[]; loose: T[] } {
  const byProject = new Map<string, T[]>();
  const loose: T[] = [];
  for (const c of containers) {
    const project = c.Labels?.['com.docker.compose.project'];
    if (project) {
      byProject.set(project, [...(byProject.get(project) ?? []), c]);
    } else {
      loose.push(c);
    }
  }
  const projects = [...byProject.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, members]) => ({ name, containers: sortContainers(members) }));
  return { projects, loose: sortContainers(loose) };
}

export function composeProjectModel(hostId: string, project: ComposeProject<Pick<ContainerInfo, 'State' | 'Labels'>>): NodeModel {
  const running = project.containers.filter((c) => c.State === 'running').length;
  const total = project.containers.length;
  const services = [...new Set(project.containers.map((c) => c.Labels?.['com.docker.compose.service']).filter(Boolean))].sort();
  const workingDir = project.containers.find((c) => c.Labels?.['com.docker.compose.project.working_dir'])?.Labels[
    'com.docker.compose.project.working_dir'
  ];
  return {
    id: `${hostId}/compose/${project.name}`,
    label: project.name,
    description: `Compose · ${running} of ${total} running`,
    tooltip: [
      `**${markdownText(project.name)}** — Compose project`,
      '',
      `Services: ${services.map(markdownCode).join(', ') || 'none'}`,
      ...(workingDir ? [`Folder: ${markdownCode(workingDir)}`] : []),
    ].join('  \n'),
    icon: 'layers',
    iconColor: running === total ? 'charts.green' : running > 0 ? 'charts.yellow' : undefined,
    contextValue: contextValue('dockerComposeProject'),
  };
}

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/** Published ports only, with the IPv4/IPv6 twins Docker reports for one binding folded into one. */
export function publishedPorts(ports: readonly Port[] | undefined): PublishedPort[] {
  const seen = new Map<string, PublishedPort>();
  for (const p of ports ?? []) {
    if (!p.PublicPort) {
      continue;
    }
    const hostIp = p.IP ?? '0.0.0.0';
    const wildcard = hostIp === '0.0.0.0' || hostIp === '::';
    const key = `${wildcard ? '*' : hostIp}:${p.PublicPort}:${p.PrivatePort}/${p.Type}`;
    if (!seen.has(key)) {
      seen.set(key, { hostIp: wildcard ? '0.0.0.0' : hostIp, hostPort: p.PublicPort, containerPort: p.PrivatePort, protocol: p.Type });
    }
  }
  return [...seen.values()].sort((a, b) => a.hostPort - b.hostPort);
}

export function formatPort(p: PublishedPort): string {
  const host = p.hostIp === '0.0.0.0' ? '' : `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:`;
  return `${host}${p.hostPort}→${p.containerPort}${p.protocol === 'tcp' ? '' : '/' + p.protocol}`;
}

export function containerModel(hostId: string, c: ContainerInfo): NodeModel {
  const ports = publishedPorts(c.Ports);
  const state = STATE_ICON[c.State] ?? { icon: 'question' };
  const portText = ports.map(formatPort).join(', ');
  const description = [c.Image, c.Status, portText].filter(Boolean).join(' · ');
  const tooltip = [
    `**${markdownText(containerName(c))}** — ${markdownText(c.State)}`,
    '',
    `Image: ${markdownCode(c.Image)}`,
    `Status: ${markdownText(c.Status)}`,
    `Command: ${markdownCode(c.Command)}`,
    `Ports: ${portText ? markdownText(portText) : 'none published'}`,
    `ID: ${markdownCode(c.Id.slice(0, 12))}`,
    `Created: ${new Date(c.Created * 1000).toISOString()}`,
  ].join('  \n');
  return {
    id: `${hostId}/containers/${c.Id}`,
    label: containerName(c),
    description,
    tooltip,
    icon: state.icon,
    iconColor: state.color,
    contextValue: contextValue('dockerContainer', c.State, ports.length > 0 && 'hasPorts', !!c.Labels?.[DEPLOYED_FROM_LABEL] && 'deployed'),
  };
}

export interface ImageRow {
  image: ImageInfo;
  /** `repo:tag`, or `<none>:<none>` for a dangling image. */
  reference: string;
  dangling: boolean;
}

/** One row per tag, as `docker images` prints them; dangling images only when asked for. */
export function imageRows(images: readonly ImageInfo[], showDangling: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length) {
      for (const reference of tags) {
        rows.push({ image, reference, dangling: false });
      }
      continue;
    }
    const digestRepo = image.RepoDigests?.[0]?.split('@')[0];
    if (digestRepo && digestRepo !== '<none>') {
      rows.push({ image, reference: `${digestRepo}:<none>`, dangling: false });
    } else if (showDangling) {
      rows.push({ image, reference: '<none>:<none>', dangling: true });
    }
  }
  return rows.sort((a, b) => a.reference.localeCompare(b.reference) || a.image.Id.localeCompare(b.image.Id));
}

export function imageModel(hostId: string, row: ImageRow, now: number): NodeModel {
  const { image } = row;
  const shortId = image.Id.replace(/^sha256:/, '').slice(0, 12);
  const label = row.dangling ? `<none> (${shortId})` : row.reference;
  return {
    id: `${hostId}/images/${image.Id}/${row.reference}`,
    label,
    description: `${formatBytes(image.Size)} · ${formatAge(image.Created * 1000, now)}`,
    tooltip: [
      `**${markdownText(label)}**`,
      '',
      `ID: ${markdownCode(shortId)}`,
      `Size: ${formatBytes(image.Size)}`,
      `Created: ${new Date(image.Created * 1000).toISOString()}`,
      `Used by: ${image.Containers >= 0 ? `${image.Containers} container(s)` : 'unknown'}`,
    ].join('  \n'),
    icon: row.dangling ? 'file-binary' : 'package',
    contextValue: contextValue('dockerImage', row.dangling && 'dangling'),
  };
}

/** Decimal units, as the Docker CLI prints sizes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '?';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

export function formatAge(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  const steps: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [30, 'day'],
    [12, 'month'],
    [Number.POSITIVE_INFINITY, 'year'],
  ];
  let value = seconds;
  for (const [size, name] of steps) {
    if (value < size) {
      return value <= 1 && name === 'second' ? 'just now' : `${value} ${name}${value === 1 ? '' : 's'} ago`;
    }
    value = Math.floor(value / size);
  }
  return 'long ago';
}
