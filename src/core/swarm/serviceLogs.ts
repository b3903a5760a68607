/**
 * The log of every task of a service in one stream, as `docker service logs -f -t` shows it: each
 * line prefixed by its task (service.slot) and the hostname of its node.
 */
import type Dockerode from 'dockerode';
import type { Readable } from 'stream';
import { demultiplexed, type FollowedLog } from '../docker/logStream';
import { inSwarm } from './swarmApi';
import { parseNode, parseTask, taskName } from './swarmModel';

export interface ServiceLogLine {
  timestamp: string;
  task: string;
  node: string;
  text: string;
}

/**
 * With `details`, the daemon writes each line as `<timestamp> <details> <text>`, the details being
 * `key=value` pairs, comma-separated and query-escaped (Go's url.QueryEscape, a space as `+`), that
 * name the line's node, service and task.
 */
function unescapeQuery(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function parseDetails(details: string): Map<string, string> {
  return new Map(
    details
      .split(',')
      .map((pair) => pair.split('='))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [unescapeQuery(k), unescapeQuery(v)]),
  );
}

export function serviceLogLineText(l: ServiceLogLine): string {
  return `${l.timestamp} ${l.task}@${l.node} | ${l.text}`;
}

/**
 * Task and node names are read once, and again only when a line comes from a task not known yet
 * (one started after the log was opened, by an update or a rescheduling).
 */
export async function followServiceLogs(docker: Dockerode, serviceId: string, tail = 100): Promise<FollowedLog> {
  const service = docker.getService(serviceId);
  const info = (await inSwarm(() => service.inspect())) as { Spec?: { Name?: string; TaskTemplate?: { ContainerSpec?: { TTY?: boolean } } } };
  const serviceName = info.Spec?.Name ?? serviceId.slice(0, 12);
  const tasks = new Map<string, string>();
  const nodes = new Map<string, string>();
  const readNames = async () => {
    const [rawTasks, rawNodes] = await Promise.all([
      docker.listTasks({ filters: JSON.stringify({ service: [serviceId] }) } as object) as Promise<unknown[]>,
      docker.listNodes() as Promise<unknown[]>,
    ]);
    for (const t of rawTasks.map(parseTask)) {
      tasks.set(t.id, taskName(serviceName, t));
    }
    for (const n of rawNodes.map(parseNode)) {
      nodes.set(n.id, n.hostname);
    }
  };
  await inSwarm(readNames);
  const raw = (await inSwarm(() =>
    service.logs({ follow: true, stdout: true, stderr: true, timestamps: true, details: true, tail } as object),
  )) as unknown as Readable;
  const text = info.Spec?.TaskTemplate?.ContainerSpec?.TTY ? raw : await demultiplexed(docker, raw);
  const [{ PassThrough }, { createInterface }] = await Promise.all([import('stream'), import('readline')]);
  const output = new PassThrough();
  const retried = new Set<string>();
  const toLine = async (line: string): Promise<ServiceLogLine> => {
    const [timestamp, details, ...rest] = line.split(' ');
    const d = parseDetails(details ?? '');
    const taskId = d.get('com.docker.swarm.task.id') ?? '';
    const nodeId = d.get('com.docker.swarm.node.id') ?? '';
    if ((!tasks.has(taskId) || !nodes.has(nodeId)) && !retried.has(taskId)) {
      retried.add(taskId);
      await readNames().catch(() => undefined);
    }
    return {
      timestamp,
      task: tasks.get(taskId) ?? `${serviceName}.${taskId.slice(0, 12)}`,
      node: nodes.get(nodeId) ?? nodeId.slice(0, 12),
      text: rest.join(' '),
    };
  };
  // Lines go out in the order they came, even when one waits for names to be read again.
  let queue = Promise.resolve();
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  lines.on('line', (line) => {
    queue = queue.then(async () => void output.write(`${serviceLogLineText(await toLine(line))}\n`));
  });
  lines.on('close', () => void queue.then(() => output.end()));
  text.on('error', (err) => output.destroy(err));
  return { output, stop: () => raw.destroy() };
}
