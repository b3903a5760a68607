/**
 * `docker stack deploy -c` through the Engine API: networks, configs and secrets are created when
 * missing, services created or updated in place from their current version.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { DockerHostError } from '../docker/errors';
import { registryOf } from '../docker/registryAuth';
import { createService, dial, postUpdate, registryAuthHeaders, swarmError } from './swarmApi';
import { STACK_LABEL } from './swarmModel';
import { parseDotEnv, planStack, type StackPlan } from './stackPlan';

export interface DeployedStack {
  created: string[];
  updated: string[];
}

type Json = Record<string, unknown>;

function labelsOf(o: unknown): Json {
  const x = o as { Labels?: Json; Spec?: { Labels?: Json } };
  return x.Spec?.Labels ?? x.Labels ?? {};
}

/** An object of the same name that this stack did not make is the user's: never reused or changed. */
function ensureOurs(kind: string, name: string, existing: unknown, stack: string): void {
  const owner = labelsOf(existing)[STACK_LABEL];
  if (owner !== stack) {
    throw new DockerHostError(
      owner
        ? `A ${kind} named ${name} already exists in stack ${String(owner)}; it was left alone. Choose another stack name.`
        : `A ${kind} named ${name} already exists and is not part of stack ${stack}; it was left alone. Rename or remove it, or choose another stack name.`,
      'STACK_NAME_TAKEN',
    );
  }
}

function byName<T>(items: T[], name: (t: T) => string, wanted: string): T | undefined {
  return items.find((i) => name(i) === wanted);
}

async function ensureNetworks(docker: Dockerode, plan: StackPlan, out: DeployedStack): Promise<void> {
  const all = (await docker.listNetworks()) as Array<{ Name: string; Labels?: Json }>;
  for (const n of plan.networks) {
    const found = byName(all, (x) => x.Name, n.name);
    if (found) {
      ensureOurs('network', n.name, found, plan.namespace);
      continue;
    }
    await docker.createNetwork(n.spec as never);
    out.created.push(`network ${n.name}`);
  }
}

/**
 * Configs and secrets cannot change in a swarm. One that exists with the stack's label is kept
 * when its file still holds the same bytes; the swarm itself compares them (it returns no secret's
 * data), as `docker stack deploy` has it do, and a changed one is refused rather than left stale.
 * Services refer to them by ID as well as name, so the IDs are handed back by name.
 */
async function ensureFileObjects(
  docker: Dockerode,
  kind: 'config' | 'secret',
  plan: StackPlan,
  baseDir: string,
  out: DeployedStack,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const objects = kind === 'config' ? plan.configs : plan.secrets;
  const stack = plan.namespace;
  const all = (await (kind === 'config' ? docker.listConfigs() : docker.listSecrets())) as Array<{
    ID: string;
    Version?: { Index?: number };
    Spec?: { Name?: string; Labels?: Json };
  }>;
  // External ones are referred to by what the swarm already has.
  all.forEach((x) => ids.set(String(x.Spec?.Name), x.ID));
  for (const o of objects) {
    const file = path.resolve(baseDir, o.file);
    const data = await fs.readFile(file).catch(() => {
      throw new DockerHostError(`The ${kind} ${o.name} reads ${file}, which cannot be read; nothing more was deployed.`, 'STACK_FILE_MISSING');
    });
    const spec = { ...o.spec, Data: data.toString('base64') };
    const found = byName(all, (x) => String(x.Spec?.Name), o.name);
    if (found) {
      ensureOurs(kind, o.name, found, stack);
      await postUpdate(docker, `/${kind}s/${found.ID}`, found, spec).catch((err: unknown) => {
        if (/only updates to labels are allowed/i.test(err instanceof Error ? err.message : String(err))) {
          throw new DockerHostError(
            `The ${kind} ${o.key} of stack ${stack} changed in ${file}, and a swarm ${kind} cannot change: give it a new name in the compose file, or remove the stack and deploy again. Nothing more was deployed.`,
            'STACK_OBJECT_CHANGED',
          );
        }
        throw err;
      });
      ids.set(o.name, found.ID);
      continue;
    }
    const made = (await (kind === 'config' ? docker.createConfig(spec) : docker.createSecret(spec))) as { id: string };
    ids.set(o.name, made.id);
    out.created.push(`${kind} ${o.name}`);
  }
  return ids;
}

/** Each service's X-Registry-Auth, asked once per registry its image names. */
async function authHeaders(plan: StackPlan, registryAuth: RegistryAuthLookup | undefined): Promise<Map<string, Record<string, string>>> {
  const byRegistry = new Map<string, Promise<string | undefined>>();
  const headers = new Map<string, Record<string, string>>();
  for (const s of plan.services) {
    const registry = registryOf(String((s.spec.TaskTemplate as { ContainerSpec: { Image: string } }).ContainerSpec.Image));
    if (registryAuth && !byRegistry.has(registry)) {
      byRegistry.set(registry, registryAuth(registry));
    }
    const auth = await byRegistry.get(registry);
    headers.set(s.name, registryAuthHeaders(auth));
  }
  return headers;
}

async function deployServices(docker: Dockerode, plan: StackPlan, registryAuth: RegistryAuthLookup | undefined, out: DeployedStack): Promise<void> {
  const all = (await docker.listServices()) as Array<{ ID: string; Version?: { Index?: number }; Spec?: Json }>;
  // Every same-named service is checked before any change, so a refusal leaves the stack as it was.
  for (const s of plan.services) {
    const found = byName(all, (x) => String(x.Spec?.Name), s.name);
    if (found) {
      ensureOurs('service', s.name, found, plan.namespace);
    }
  }
  const headersOf = await authHeaders(plan, registryAuth);
  for (const s of plan.services) {
    const found = byName(all, (x) => String(x.Spec?.Name), s.name);
    const headers = headersOf.get(s.name);
    if (!found) {
      await createService(docker, s.spec, headers);
      out.created.push(`service ${s.name}`);
      continue;
    }
    await dial(docker, {
      path: `/services/${encodeURIComponent(found.ID)}/update?`,
      method: 'POST',
      headers,
      options: { _query: { version: found.Version?.Index }, _body: s.spec },
      statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such service', 500: 'server error', 503: 'node is not part of a swarm' },
    });
    out.updated.push(`service ${s.name}`);
  }
}

/**
 * X-Registry-Auth (registryAuthHeader) for a registry the stack's images name, asked once per
 * registry; undefined pulls anonymously. The swarm hands it to the nodes that pull.
 */
export type RegistryAuthLookup = (registry: string) => Promise<string | undefined>;

export interface DeployOptions {
  registryAuth?: RegistryAuthLookup;
  /** Variables for `${VAR}`; the compose file's `.env` beside it fills what these do not set. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads the compose file and its `.env`, then deploys; every refusal comes before any change. */
export async function deployStackFile(docker: Dockerode, composeFile: string, stack: string, options: DeployOptions = {}): Promise<DeployedStack> {
  const dir = path.dirname(composeFile);
  const text = await fs.readFile(composeFile, 'utf8');
  const dotEnv = await fs.readFile(path.join(dir, '.env'), 'utf8').then(parseDotEnv, () => ({}));
  const plan = planStack(text, stack, { ...dotEnv, ...(options.env ?? process.env) });
  return deployStack(docker, plan, dir, options.registryAuth);
}

export async function deployStack(docker: Dockerode, plan: StackPlan, baseDir: string, registryAuth?: RegistryAuthLookup): Promise<DeployedStack> {
  const out: DeployedStack = { created: [], updated: [] };
  try {
    await ensureNetworks(docker, plan, out);
    const configIds = await ensureFileObjects(docker, 'config', plan, baseDir, out);
    const secretIds = await ensureFileObjects(docker, 'secret', plan, baseDir, out);
    for (const s of plan.services) {
      const container = (s.spec.TaskTemplate as { ContainerSpec: { Configs: Json[]; Secrets: Json[] } }).ContainerSpec;
      container.Configs.forEach((r) => (r.ConfigID = configIds.get(String(r.ConfigName))));
      container.Secrets.forEach((r) => (r.SecretID = secretIds.get(String(r.SecretName))));
    }
    await deployServices(docker, plan, registryAuth, out);
  } catch (err) {
    throw swarmError(err);
  }
  return out;
}
