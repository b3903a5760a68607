import type Dockerode from 'dockerode';

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

/** The new container did not stay up; the previous one is kept (stopped) so it can be brought back. */
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

/**
 * Runs the new container in place of the previous one of the same name. The previous one is only
 * stopped and renamed until the new one has started and stayed up for `settleMs`; then it is
 * removed. If the new one fails, it is removed and the error says how to bring the previous back.
 */
export async function replaceContainer(
  docker: Dockerode,
  spec: DeploySpec,
  onStep: (text: string) => void,
  settleMs = 1500,
): Promise<{ containerId: string; replaced: boolean }> {
  const previous = await findByName(docker, spec.name);
  let keptAs: string | undefined;
  if (previous) {
    onStep(`Stopping the previous ${spec.name}…`);
    await docker
      .getContainer(previous.Id)
      .stop()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) {
          throw err;
        }
      });
    keptAs = `${spec.name}-previous-${Date.now().toString(36)}`;
    await docker.getContainer(previous.Id).rename({ name: keptAs });
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const p of spec.ports) {
    exposed[`${p.containerPort}/${p.protocol}`] = {};
    bindings[`${p.containerPort}/${p.protocol}`] = [{ HostPort: String(p.hostPort) }];
  }
  onStep(`Starting ${spec.name} from ${spec.image}…`);
  let created: Dockerode.Container | undefined;
  try {
    created = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Env: spec.env,
      Labels: spec.labels,
      ExposedPorts: exposed,
      HostConfig: { PortBindings: bindings, RestartPolicy: { Name: spec.restartPolicy === 'no' ? '' : spec.restartPolicy } },
    });
    await created.start();
    await new Promise((r) => setTimeout(r, settleMs));
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
    const reason = (err as { json?: { message?: string }; message?: string }).json?.message ?? (err as Error).message;
    throw new DeployStartError(`The new ${spec.name} did not start: ${reason}`, created?.id, previous?.Id, logs);
  }
  if (previous) {
    await docker.getContainer(previous.Id).remove({ force: true });
  }
  return { containerId: created.id, replaced: !!previous };
}

/** Brings the previous container back after a failed replacement: its name, and running again. */
export async function restorePrevious(docker: Dockerode, previousId: string, name: string): Promise<void> {
  const container = docker.getContainer(previousId);
  await container.rename({ name });
  await container.start();
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
