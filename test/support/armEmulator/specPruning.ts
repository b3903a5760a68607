/**
 * Makes the emulator's pruned copy of the Azure specs: the operations it serves (SERVED_OPERATIONS)
 * and every definition, parameter and response they reach through `$ref`, across files, verbatim.
 *
 *   node out/test/support/armEmulator/specPruning.js [REFERENCE_DIR]
 *
 * REFERENCE_DIR defaults to $ARM_SPECS_REFERENCE, else ../shared/reference/azure-rest-api-specs beside
 * the repository (where every checkout and CI keep the team's shared folder).
 * The unit test fails when the copy and a fresh pruning of the reference differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HTTP_METHODS, isObject, SERVED_OPERATIONS, SpecLibrary, type Json, type JsonObject } from './specLibrary';

// Compiled to out/test/support/armEmulator/, four levels below the repository root.
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const DEFAULT_REFERENCE_DIR = process.env.ARM_SPECS_REFERENCE ?? path.resolve(repoRoot, '..', 'shared', 'reference', 'azure-rest-api-specs');
const SECTIONS = ['parameters', 'responses', 'definitions'] as const;

/** Pruned documents by path relative to the specs root, each as it should be written. */
export function pruneSpecs(referenceDir: string): Map<string, JsonObject> {
  const lib = new SpecLibrary(referenceDir);
  const keptOps = new Map<string, Map<string, Set<string>>>();
  const kept = new Map<string, Set<string>>();
  const pending: { file: string; node: Json }[] = [];

  const keepRef = (fromFile: string, ref: string) => {
    const [relFile, pointer = ''] = ref.split('#');
    const [section, name] = pointer.split('/').filter(Boolean);
    const file = relFile ? path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), relFile)) : fromFile;
    if (!lib.doc(file) || !name) {
      // Sibling network specs that the reference folder does not hold: left as dangling $refs.
      return;
    }
    const key = `${section}/${name}`;
    const set = kept.get(file) ?? new Set<string>();
    kept.set(file, set);
    if (!set.has(key)) {
      set.add(key);
      pending.push({ file, node: lib.resolveRef(file, `#/${section}/${name}`)!.node });
    }
  };
  const walk = (file: string, node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((n) => walk(file, n));
    } else if (isObject(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && !v.includes('/examples/')) {
          keepRef(file, v);
        } else if (k !== 'x-ms-examples') {
          walk(file, v);
        }
      }
    }
  };

  for (const id of SERVED_OPERATIONS) {
    const o = lib.operation(id);
    const paths = keptOps.get(o.file) ?? new Map<string, Set<string>>();
    keptOps.set(o.file, paths);
    paths.set(o.path, (paths.get(o.path) ?? new Set()).add(o.method));
    walk(o.file, o.parameters);
    walk(o.file, o.op);
  }
  for (let next = pending.pop(); next; next = pending.pop()) {
    walk(next.file, next.node);
  }

  const out = new Map<string, JsonObject>();
  for (const file of [...new Set([...keptOps.keys(), ...kept.keys()])].sort()) {
    const doc = lib.doc(file)!;
    const pruned: JsonObject = {};
    for (const k of ['swagger', 'info']) {
      if (doc[k] !== undefined) {
        pruned[k] = doc[k];
      }
    }
    const ops = keptOps.get(file);
    if (ops) {
      const paths: JsonObject = {};
      for (const [p, item] of Object.entries(doc.paths as Record<string, JsonObject>)) {
        const methods = ops.get(p);
        if (methods) {
          paths[p] = Object.fromEntries(Object.entries(item).filter(([m]) => !HTTP_METHODS.includes(m) || methods.has(m)));
        }
      }
      pruned.paths = paths;
    }
    const names = kept.get(file) ?? new Set<string>();
    for (const section of SECTIONS) {
      const all = (doc[section] ?? {}) as JsonObject;
      const entries = Object.entries(all).filter(([n]) => names.has(`${section}/${n}`));
      if (entries.length > 0) {
        pruned[section] = Object.fromEntries(entries);
      }
    }
    out.set(file, pruned);
  }
  return out;
}

export function serialize(doc: JsonObject): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

function main(): void {
  const source = process.argv[2] ?? DEFAULT_REFERENCE_DIR;
  const target = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'support', 'armEmulator', 'specs');
  fs.rmSync(path.join(target, 'specification'), { recursive: true, force: true });
  let bytes = 0;
  for (const [file, doc] of pruneSpecs(source)) {
    const full = path.join(target, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, serialize(doc));
    bytes += Buffer.byteLength(serialize(doc));
  }
  process.stdout.write(`pruned specs written to ${target} (${bytes} bytes)\n`);
}

if (require.main === module) {
  main();
}
