/**
 * Checks a JSON value against an OpenAPI 2.0 schema from the specs: required properties, types,
 * enums, nested objects, arrays and maps. Requests are checked as ARM does (readOnly properties are
 * ignored, enum values compare case-insensitively); responses strictly, so the emulator cannot drift
 * from the shapes real Azure returns.
 */
import { isObject, type Json, type JsonObject, type SpecLibrary } from './specLibrary';

export type ValidationMode = 'request' | 'response';

export interface SchemaIssue {
  kind: 'required' | 'type' | 'enum' | 'format';
  /** Dotted property path, e.g. `properties.hardwareProfile.vmSize`. */
  path: string;
  message: string;
}

// Enums the services accept more values for than the spec lists: the spec itself calls the VM size
// list deprecated ("get the list of available sizes using these APIs"), and newer sizes are not in it.
const OPEN_ENUMS = new Set(['VirtualMachineSizeTypes']);

export function validateAgainstSchema(lib: SpecLibrary, file: string, schema: Json, value: unknown, mode: ValidationMode): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  check(lib, file, schema, value, mode, '', issues);
  return issues;
}

interface Collected {
  types: Set<string>;
  properties: Map<string, { file: string; schema: Json }>;
  required: Set<string>;
  additional?: { file: string; schema: Json };
  items?: { file: string; schema: Json };
  enums: { values: Json[]; open: boolean }[];
  formats: Set<string>;
}

// Flattens allOf chains and $refs into one view of what the value must satisfy.
function collect(lib: SpecLibrary, file: string, schema: Json, into: Collected, depth = 0): void {
  const r = lib.deref(file, schema);
  if (!r || !isObject(r.node) || depth > 20) {
    return;
  }
  const s = r.node;
  if (typeof s.type === 'string') {
    into.types.add(s.type);
  }
  if (typeof s.format === 'string') {
    into.formats.add(s.format);
  }
  if (Array.isArray(s.enum)) {
    const xmsEnum = isObject(s['x-ms-enum']) ? s['x-ms-enum'] : {};
    into.enums.push({ values: s.enum, open: OPEN_ENUMS.has(String(xmsEnum.name)) });
  }
  for (const [name, prop] of Object.entries(isObject(s.properties) ? s.properties : {})) {
    into.properties.set(name, { file: r.file, schema: prop });
  }
  for (const name of Array.isArray(s.required) ? s.required : []) {
    into.required.add(String(name));
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') {
    into.additional = { file: r.file, schema: s.additionalProperties };
  }
  if (s.items !== undefined) {
    into.items = { file: r.file, schema: s.items };
  }
  for (const part of Array.isArray(s.allOf) ? s.allOf : []) {
    collect(lib, r.file, part, into, depth + 1);
  }
}

function isReadOnly(lib: SpecLibrary, file: string, schema: Json): boolean {
  if (isObject(schema) && schema.readOnly === true) {
    return true;
  }
  const r = lib.deref(file, schema);
  return !!r && isObject(r.node) && r.node.readOnly === true;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) {
    return 'array';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? 'integer' : 'number';
  }
  return typeof v;
}

function typeMatches(expected: string, v: unknown): boolean {
  const actual = typeOf(v);
  return expected === actual || (expected === 'number' && actual === 'integer') || expected === 'file';
}

function check(lib: SpecLibrary, file: string, schema: Json, value: unknown, mode: ValidationMode, at: string, issues: SchemaIssue[]): void {
  if (value === null || value === undefined) {
    return;
  }
  const c: Collected = { types: new Set(), properties: new Map(), required: new Set(), enums: [], formats: new Set() };
  collect(lib, file, schema, c);
  const where = at || '(body)';
  const expected = [...c.types][0] ?? (c.properties.size > 0 || c.additional ? 'object' : undefined);
  if (expected && !typeMatches(expected, value)) {
    issues.push({ kind: 'type', path: where, message: `expected ${expected} but found ${typeOf(value)}` });
    return;
  }
  for (const e of c.enums) {
    const ok = mode === 'request' ? e.values.some((x) => String(x).toLowerCase() === String(value).toLowerCase()) : e.values.includes(value as Json);
    if (!e.open && !ok) {
      issues.push({ kind: 'enum', path: where, message: `'${String(value)}' is not one of ${e.values.map((x) => `'${String(x)}'`).join(', ')}` });
    }
  }
  if (mode === 'response' && c.formats.has('date-time') && typeof value === 'string' && Number.isNaN(Date.parse(value))) {
    issues.push({ kind: 'format', path: where, message: `'${value}' is not a date-time` });
  }
  if (Array.isArray(value) && c.items) {
    value.forEach((item, i) => check(lib, c.items!.file, c.items!.schema, item, mode, `${at}[${i}]`, issues));
    return;
  }
  if (!isObject(value)) {
    return;
  }
  for (const name of c.required) {
    const prop = c.properties.get(name);
    const skip = mode === 'request' && prop && isReadOnly(lib, prop.file, prop.schema);
    if (!skip && (value[name] === undefined || value[name] === null)) {
      issues.push({ kind: 'required', path: join(at, name), message: `required property '${name}' is missing` });
    }
  }
  for (const [name, v] of Object.entries(value as JsonObject)) {
    const prop = c.properties.get(name);
    if (prop) {
      if (!(mode === 'request' && isReadOnly(lib, prop.file, prop.schema))) {
        check(lib, prop.file, prop.schema, v, mode, join(at, name), issues);
      }
    } else if (c.additional) {
      check(lib, c.additional.file, c.additional.schema, v, mode, join(at, name), issues);
    }
  }
}

function join(at: string, name: string): string {
  return at ? `${at}.${name}` : name;
}
