/**
 * Reads the Azure REST API specs (OpenAPI 2.0) the emulator is checked against and follows their
 * `$ref`s across files. The emulator ships a pruned copy (./specs, made by specPruning.ts) so a
 * clean clone works without the full reference folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Spec files the emulator serves operations from, relative to a specs root. */
export const SPEC_FILES = {
  compute: 'specification/compute/resource-manager/Microsoft.Compute/Compute/stable/2026-04-01/ComputeRP.json',
  virtualNetwork: 'specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01/virtualNetwork.json',
  networkSecurityGroup: 'specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01/networkSecurityGroup.json',
  publicIpAddress: 'specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01/publicIpAddress.json',
  networkInterface: 'specification/network/resource-manager/Microsoft.Network/Network/stable/2025-01-01/networkInterface.json',
  resources: 'specification/resources/resource-manager/Microsoft.Resources/stable/2025-04-01/resources.json',
  subscriptions: 'specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json',
} as const;

/** The operations the emulator implements; the pruned copy keeps exactly these and what they reference. */
export const SERVED_OPERATIONS: readonly string[] = [
  ...['ListAll', 'List', 'Get', 'CreateOrUpdate', 'Update', 'Delete', 'InstanceView', 'Start', 'PowerOff', 'Deallocate', 'Restart'].map(
    (o) => `VirtualMachines_${o}`,
  ),
  ...['CreateOrUpdate', 'Get', 'Delete', 'List'].map((o) => `VirtualMachineExtensions_${o}`),
  ...['VirtualNetworks', 'NetworkSecurityGroups', 'PublicIPAddresses', 'NetworkInterfaces'].flatMap((t) =>
    ['CreateOrUpdate', 'Get', 'Delete', 'List', 'ListAll', 'UpdateTags'].map((o) => `${t}_${o}`),
  ),
  ...['CreateOrUpdate', 'Get', 'Delete', 'List'].flatMap((o) => [`Subnets_${o}`, `SecurityRules_${o}`]),
  ...['CheckExistence', 'CreateOrUpdate', 'Delete', 'Get', 'Update', 'List'].map((o) => `ResourceGroups_${o}`),
  ...['CreateOrUpdateAtScope', 'UpdateAtScope', 'GetAtScope', 'DeleteAtScope'].map((o) => `Tags_${o}`),
  'Resources_ListByResourceGroup',
  'Resources_List',
  'Subscriptions_List',
  'Subscriptions_Get',
  'Subscriptions_ListLocations',
  'Tenants_List',
];

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'];

export interface SpecOperation {
  file: string;
  path: string;
  method: string;
  op: JsonObject;
  /** Path-level parameters followed by the operation's own. */
  parameters: Json[];
}

export interface Resolved {
  file: string;
  node: Json;
}

/** The pruned copy next to the compiled or the source file, whichever exists. */
export function vendoredSpecsDir(): string {
  const candidates = [path.join(__dirname, 'specs'), path.resolve(__dirname, '..', '..', '..', '..', 'test', 'support', 'armEmulator', 'specs')];
  const found = candidates.find((c) => fs.existsSync(path.join(c, SPEC_FILES.compute)));
  if (!found) {
    throw new Error(`pruned Azure specs not found in ${candidates.join(' or ')}`);
  }
  return found;
}

export class SpecLibrary {
  private readonly docs = new Map<string, JsonObject | undefined>();

  constructor(readonly rootDir: string = vendoredSpecsDir()) {}

  /** A spec file by its path relative to the root; undefined when the folder does not hold it. */
  doc(file: string): JsonObject | undefined {
    const key = path.posix.normalize(file);
    if (!this.docs.has(key)) {
      const full = path.join(this.rootDir, key);
      this.docs.set(key, fs.existsSync(full) ? (JSON.parse(fs.readFileSync(full, 'utf8')) as JsonObject) : undefined);
    }
    return this.docs.get(key);
  }

  /** Follows `ref` written in `fromFile`; undefined when it points into a file that is not there. */
  resolveRef(fromFile: string, ref: string): Resolved | undefined {
    const [relFile, pointer = ''] = ref.split('#');
    const file = relFile ? path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), relFile)) : fromFile;
    const doc = this.doc(file);
    if (!doc) {
      return undefined;
    }
    let node: Json = doc;
    for (const raw of pointer.split('/').filter(Boolean)) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) {
        throw new Error(`${ref} (from ${fromFile}) does not resolve`);
      }
      node = node[key];
    }
    return { file, node };
  }

  /** Follows `$ref` chains until a node that is not itself a reference. */
  deref(file: string, node: Json): Resolved | undefined {
    let cur: Resolved | undefined = { file, node };
    for (let hops = 0; cur && isObject(cur.node) && typeof cur.node.$ref === 'string'; hops++) {
      if (hops > 50) {
        throw new Error(`$ref loop at ${String(cur.node.$ref)}`);
      }
      cur = this.resolveRef(cur.file, cur.node.$ref);
    }
    return cur;
  }

  operation(operationId: string): SpecOperation {
    for (const file of Object.values(SPEC_FILES)) {
      const paths = (this.doc(file)?.paths ?? {}) as Record<string, JsonObject>;
      for (const [p, item] of Object.entries(paths)) {
        for (const method of HTTP_METHODS) {
          const op = item[method];
          if (isObject(op) && op.operationId === operationId) {
            const parameters = [...asArray(item.parameters), ...asArray(op.parameters)];
            return { file, path: p, method, op, parameters };
          }
        }
      }
    }
    throw new Error(`operation ${operationId} is not in the specs`);
  }

  /** The schema of an operation's response for `status` (or its body parameter for 'request'). */
  schemaOf(operationId: string, which: 'request' | string): Resolved | undefined {
    const o = this.operation(operationId);
    if (which === 'request') {
      for (const p of o.parameters) {
        const param = this.deref(o.file, p);
        if (param && isObject(param.node) && param.node.in === 'body') {
          return { file: param.file, node: param.node.schema ?? {} };
        }
      }
      return undefined;
    }
    const response = (o.op.responses as JsonObject)[which];
    const r = response === undefined ? undefined : this.deref(o.file, response);
    return r && isObject(r.node) && r.node.schema !== undefined ? { file: r.file, node: r.node.schema } : undefined;
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}
