/**
 * A compose file turned into the swarm objects `docker stack deploy` makes from it, with the same
 * names and labels, so the docker CLI and this extension see one stack. Pure: no daemon, no files.
 */
import { parse } from 'yaml';
import { DockerHostError } from '../docker/errors';
import { STACK_LABEL } from './swarmModel';

export const STACK_IMAGE_LABEL = 'com.docker.stack.image';

type Json = Record<string, unknown>;

export interface PlannedObject {
  name: string;
  spec: Json;
}

export interface FileObject extends PlannedObject {
  key: string;
  file: string;
}

export interface StackPlan {
  namespace: string;
  networks: PlannedObject[];
  /**
   * File-based configs and secrets: the key naming each in the compose file, and the file it reads,
   * relative to the compose file.
   */
  configs: FileObject[];
  secrets: FileObject[];
  services: PlannedObject[];
}

const SERVICE_KEYS = new Set([
  'image',
  'command',
  'entrypoint',
  'environment',
  'ports',
  'networks',
  'configs',
  'secrets',
  'deploy',
  'labels',
  'hostname',
  'working_dir',
  'user',
]);
const DEPLOY_KEYS = new Set(['replicas', 'mode', 'endpoint_mode', 'update_config', 'labels']);

function refuse(message: string): never {
  throw new DockerHostError(message, 'STACK_UNSUPPORTED');
}

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` and `$$`, as Compose interpolates. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, whole, braced, op, fallback, bare) => {
    if (whole === '$') {
      return '$';
    }
    const value = env[braced ?? bare];
    if (op === ':-') {
      return value ? value : fallback;
    }
    if (op === '-') {
      return value ?? fallback;
    }
    return value ?? '';
  });
}

/** `KEY=value` lines of a .env file; comments and blank lines skipped, surrounding quotes dropped. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) {
      out[m[1]] = m[2].trim().replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return out;
}

function stringList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) {
    return undefined;
  }
  if (typeof v === 'string') {
    return v.split(/\s+/).filter(Boolean);
  }
  return (v as unknown[]).map(String);
}

function keyValues(v: unknown): string[] {
  if (Array.isArray(v)) {
    return v.map(String);
  }
  return Object.entries(obj(v)).map(([k, val]) => (val === null || val === undefined ? k : `${k}=${String(val)}`));
}

function labelMap(v: unknown): Json {
  const out: Json = {};
  for (const kv of keyValues(v)) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

/** Compose durations (`10s`, `1m30s`) in nanoseconds, as the Engine API takes them. */
function nanos(v: unknown, where: string): number {
  const text = String(v);
  const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)/g, (_m, n: string, u: string) => {
    total += Number(n) * units[u];
    return '';
  });
  if (rest !== '' || text === '') {
    refuse(`${where} is not a duration like 10s or 1m30s: ${text}.`);
  }
  return Math.round(total);
}

function ports(v: unknown, where: string): Json[] {
  return ((v as unknown[] | undefined) ?? []).map((p) => {
    if (typeof p === 'object' && p !== null) {
      const port = p as Json;
      return {
        Protocol: String(port.protocol ?? 'tcp'),
        TargetPort: Number(port.target),
        PublishedPort: port.published === undefined ? undefined : Number(port.published),
        PublishMode: String(port.mode ?? 'ingress'),
      };
    }
    const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(String(p));
    if (!m) {
      refuse(`${where} has a port this extension cannot read: ${String(p)}. Write it as published:target, or in the long form.`);
    }
    return { Protocol: m[3] ?? 'tcp', TargetPort: Number(m[2]), PublishedPort: m[1] ? Number(m[1]) : undefined, PublishMode: 'ingress' };
  });
}

function references(v: unknown, stack: string, known: Json, kind: 'config' | 'secret', where: string): Json[] {
  return ((v as unknown[] | undefined) ?? []).map((r) => {
    const ref = typeof r === 'string' ? { source: r } : obj(r);
    const source = String(ref.source);
    if (!(source in known)) {
      refuse(`${where} uses the ${kind} ${source}, which the file's top-level ${kind}s do not define.`);
    }
    const def = obj(known[source]);
    const name = String(def.name ?? (def.external ? source : `${stack}_${source}`));
    const target = String(ref.target ?? (kind === 'secret' ? `/run/secrets/${source}` : `/${source}`));
    return {
      [kind === 'config' ? 'ConfigName' : 'SecretName']: name,
      File: { Name: target, UID: String(ref.uid ?? '0'), GID: String(ref.gid ?? '0'), Mode: Number(ref.mode ?? 0o444) },
    };
  });
}

function serviceSpec(stack: string, name: string, raw: Json, file: Json): Json {
  const where = `Service ${name}`;
  for (const key of Object.keys(raw)) {
    if (!SERVICE_KEYS.has(key)) {
      refuse(`${where} uses \`${key}:\`, which deploying a stack from this extension does not support; remove it or deploy with the docker CLI.`);
    }
  }
  const deploy = obj(raw.deploy);
  for (const key of Object.keys(deploy)) {
    if (!DEPLOY_KEYS.has(key)) {
      refuse(
        `${where} uses \`deploy.${key}:\`, which deploying a stack from this extension does not support; remove it or deploy with the docker CLI.`,
      );
    }
  }
  if (typeof raw.image !== 'string' || !raw.image) {
    refuse(`${where} has no image; a stack runs images, it does not build them.`);
  }
  const image = raw.image;
  const labels = { ...labelMap(deploy.labels), [STACK_LABEL]: stack, [STACK_IMAGE_LABEL]: image };
  const networkNames =
    raw.networks === undefined ? ['default'] : Array.isArray(raw.networks) ? raw.networks.map(String) : Object.keys(obj(raw.networks));
  const declared = obj(file.networks);
  const networks = networkNames.map((n) => {
    if (n !== 'default' && !(n in declared)) {
      refuse(`${where} joins the network ${n}, which the file's top-level networks do not define.`);
    }
    const aliases = Array.isArray(raw.networks) ? [] : ((obj(obj(raw.networks)[n]).aliases as string[] | undefined) ?? []);
    const def = obj(declared[n]);
    return { Target: String(def.name ?? (def.external ? n : `${stack}_${n}`)), Aliases: [name, ...aliases] };
  });
  const mode = String(deploy.mode ?? 'replicated');
  if (mode !== 'replicated' && mode !== 'global') {
    refuse(`${where} has deploy.mode ${mode}; use replicated or global.`);
  }
  const replicas = deploy.replicas === undefined ? 1 : Number(deploy.replicas);
  if (mode === 'replicated' && (!Number.isInteger(replicas) || replicas < 0)) {
    refuse(`${where} has deploy.replicas ${String(deploy.replicas)}; it must be a whole number of 0 or more.`);
  }
  const update = obj(deploy.update_config);
  const updateConfig: Json | undefined = deploy.update_config
    ? {
        Parallelism: Number(update.parallelism ?? 1),
        Delay: update.delay === undefined ? undefined : nanos(update.delay, `${where}'s update_config.delay`),
        FailureAction: update.failure_action === undefined ? undefined : String(update.failure_action),
        Order: update.order === undefined ? undefined : String(update.order),
      }
    : undefined;
  return {
    Name: `${stack}_${name}`,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: { [STACK_LABEL]: stack },
        Command: stringList(raw.entrypoint),
        Args: stringList(raw.command),
        Env: raw.environment === undefined ? undefined : keyValues(raw.environment),
        Hostname: raw.hostname === undefined ? undefined : String(raw.hostname),
        Dir: raw.working_dir === undefined ? undefined : String(raw.working_dir),
        User: raw.user === undefined ? undefined : String(raw.user),
        Configs: references(raw.configs, stack, obj(file.configs), 'config', where),
        Secrets: references(raw.secrets, stack, obj(file.secrets), 'secret', where),
      },
      Networks: networks,
    },
    Mode: mode === 'global' ? { Global: {} } : { Replicated: { Replicas: replicas } },
    UpdateConfig: updateConfig,
    EndpointSpec: { Mode: String(deploy.endpoint_mode ?? 'vip'), Ports: ports(raw.ports, where) },
  };
}

function fileObjects(section: unknown, stack: string, kind: 'config' | 'secret'): FileObject[] {
  return Object.entries(obj(section)).flatMap(([key, raw]): FileObject[] => {
    const def = obj(raw);
    if (def.external) {
      return [];
    }
    if (typeof def.file !== 'string') {
      refuse(`The ${kind} ${key} has no file; this extension deploys file-based ${kind}s only.`);
    }
    const name = String(def.name ?? `${stack}_${key}`);
    return [{ key, name, file: def.file, spec: { Name: name, Labels: { ...labelMap(def.labels), [STACK_LABEL]: stack } } }];
  });
}

/** The stack's objects from the compose text; `env` fills `${VAR}` before the YAML is read. */
export function planStack(text: string, stack: string, env: Readonly<Record<string, string | undefined>>): StackPlan {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(stack)) {
    refuse(`The stack name ${stack} is not valid; use letters, digits, '_', '.' and '-', starting with a letter or digit.`);
  }
  const file = obj(parse(interpolate(text, env)));
  const services = obj(file.services);
  if (!Object.keys(services).length) {
    refuse('The compose file defines no services.');
  }
  const used = new Set<string>();
  const planned = Object.entries(services).map(([name, raw]) => {
    const spec = serviceSpec(stack, name, obj(raw), file);
    for (const n of obj(spec.TaskTemplate).Networks as Json[]) {
      used.add(String(n.Target));
    }
    return { name: String(spec.Name), spec };
  });
  const declared = obj(file.networks);
  const networks: PlannedObject[] = [];
  for (const [key, raw] of Object.entries({ default: {}, ...declared })) {
    const def = obj(raw);
    const name = String(def.name ?? `${stack}_${key}`);
    if (def.external || !used.has(name)) {
      continue;
    }
    networks.push({
      name,
      spec: {
        Name: name,
        Driver: String(def.driver ?? 'overlay'),
        // The CLI makes a stack's overlay networks attachable only when asked; kept the same.
        Attachable: def.attachable === true,
        Internal: def.internal === true,
        Labels: { ...labelMap(def.labels), [STACK_LABEL]: stack },
      },
    });
  }
  return {
    namespace: stack,
    networks,
    configs: fileObjects(file.configs, stack, 'config'),
    secrets: fileObjects(file.secrets, stack, 'secret'),
    services: planned,
  };
}
