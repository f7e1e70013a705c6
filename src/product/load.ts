/**
 * Loads `product.yaml`, validates it (JSON Schema, then checks that need several fields or the
 * file system), and compiles it into the frozen ProductDescriptor of ./types.ts. Every problem is
 * reported at once, each with its path (`outputPorts[0].topic`) and a message that says the fix.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import avsc from 'avsc';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { DescriptorError, type ConfigIssue } from '../errors.js';
import type { Transform } from '../transform.js';
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_DELIVERY,
  DEFAULT_ON_INVALID,
  DEFAULT_ON_RULE_FAILURE,
  DEFAULT_TRANSFORM,
  RULE_OPERATORS,
  descriptorSchema,
} from './descriptor-schema.js';
import { DESCRIPTOR_FILE } from './discover.js';
import { importTransform } from './transform-loader.js';
import type {
  AvroSchema,
  Compatibility,
  ContractConstraint,
  Delivery,
  InputPort,
  OnInvalid,
  OnRuleFailure,
  OutputPort,
  ProductDescriptor,
  ProductStatus,
  QualityRule,
  RuleCheck,
  RuleOperator,
  SlaProperty,
} from './types.js';

export interface ProductLoadOptions {
  /** Import the transform module (default true). False: only check that the file exists. */
  loadTransform?: boolean;
}

export interface ProductValidation {
  /** Present only when there is no issue. */
  descriptor?: ProductDescriptor;
  /** Present when the transform module was loaded successfully. */
  transform?: Transform;
  /** Every problem found, ordered as the paths appear in product.yaml. */
  issues: ConfigIssue[];
}

export interface LoadedProduct {
  descriptor: ProductDescriptor;
  transform: Transform;
}

// ---------------------------------------------------------------------------------------------
// Paths and issues

type Segment = string | number;

function formatPath(segments: readonly Segment[]): string {
  if (segments.length === 0) return DESCRIPTOR_FILE;
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

interface PendingIssue {
  segments: Segment[];
  path: string;
  message: string;
}

class IssueList {
  readonly items: PendingIssue[] = [];
  private readonly paths = new Set<string>();

  add(segments: Segment[], message: string): void {
    const path = formatPath(segments);
    if (this.items.some((i) => i.path === path && i.message === message)) return;
    this.items.push({ segments, path, message });
    this.paths.add(path);
  }

  /** True when an issue was already reported at exactly this path. */
  has(segments: Segment[]): boolean {
    return this.paths.has(formatPath(segments));
  }

  get size(): number {
    return this.items.length;
  }

  /** Ordered by where the path appears in the file (missing fields: where their parent is). */
  sorted(doc: Document | undefined): ConfigIssue[] {
    const keyed = this.items.map((issue, seq) => ({ issue, seq, pos: doc ? positionOf(doc, issue.segments) : -1 }));
    keyed.sort((a, b) => a.pos - b.pos || a.seq - b.seq);
    return keyed.map(({ issue }) => ({ path: issue.path, message: issue.message }));
  }
}

/** Offset in the YAML text of the deepest existing node along `segments`. */
function positionOf(doc: Document, segments: readonly Segment[]): number {
  let node: unknown = doc.contents;
  // A top-level field that is not in the file (a missing required field, a default): at the end.
  let pos = segments.length === 0 ? -1 : Number.MAX_SAFE_INTEGER;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      pos = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined || item === null) break;
      const range = (item as { range?: [number, number, number] }).range;
      pos = range?.[0] ?? pos;
      node = item;
    } else {
      break;
    }
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${show(v)}`;
  return `${typeof v} ${show(v)}`;
}

/** Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `input`, when it is close enough to be a likely typo. */
function closest(input: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const n = norm(input);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const k of known) {
    const nk = norm(k);
    let score = editDistance(n, nk);
    if (n === nk) score = 0;
    else if (n.length >= 3 && nk.startsWith(n)) score = Math.min(score, 1); // an abbreviation: sla -> slaProperties
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(input.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema validation with human messages

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    ajv.addKeyword({ keyword: 'x-messages', schemaType: 'object' });
    validator = ajv.compile(descriptorSchema);
  }
  return validator;
}

/** Example values shown when a required field is missing. */
const REQUIRED_EXAMPLES: Record<string, string> = {
  apiVersion: 'apiVersion: dataprod/v1',
  kind: 'kind: DataProduct',
  id: 'id: <domain>.<name>',
  name: 'name: orders-enriched',
  domain: 'domain: sales',
  version: 'version: 1.0.0',
  status: 'status: draft',
  team: 'team: { name: sales-data }',
  inputPorts: 'inputPorts: [{ name: orders, topic: raw.orders, contract: { schema: schemas/raw-order.avsc } }]',
  outputPorts: 'outputPorts: [{ name: orders-enriched, topic: <domain>.<name>.v1, schema: schemas/out.avsc }]',
  contract: 'contract: { schema: schemas/raw-order.avsc }',
  schema: 'schema: schemas/<name>.avsc',
  topic: 'topic: raw.orders',
  property: 'property: amount',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const segments: Segment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const index = Number(key);
      segments.push(index);
      cur = cur[index];
    } else {
      segments.push(key);
      cur = isObj(cur) ? cur[key] : undefined;
    }
  }
  return segments;
}

function schemaIssue(e: ErrorObject, data: unknown): { segments: Segment[]; message: string } {
  const segments = pointerToSegments(e.instancePath, data);
  const parent = (e.parentSchema ?? {}) as Obj;
  const custom = (parent['x-messages'] as Record<string, string> | undefined)?.[e.keyword];
  const params = e.params as Obj;
  switch (e.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      const example = REQUIRED_EXAMPLES[field];
      return { segments: [...segments, field], message: example ? `is required (add e.g. ${example})` : 'is required' };
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((parent.properties as Obj | undefined) ?? {});
      const guess = closest(field, known);
      return {
        segments: [...segments, field],
        message: guess ? `unknown field (did you mean ${guess}?)` : `unknown field; allowed fields here: ${known.join(', ')}`,
      };
    }
    case 'type':
      return { segments, message: custom ?? `must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)} (got ${jsonType(e.data)})` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const got = `got ${show(e.data)}${guess ? `; did you mean ${guess}?` : ''}`;
      return { segments, message: custom ?? `must be one of: ${allowed.join(', ')} (${got})` };
    }
    case 'const':
      return { segments, message: custom ?? `must be ${String(params.allowedValue)} (got ${show(e.data)})` };
    case 'pattern':
      return { segments, message: custom ?? `must match ${String(params.pattern)} (got ${show(e.data)})` };
    case 'minLength':
      return { segments, message: custom ?? 'must not be empty' };
    case 'minItems': {
      const n = Number(params.limit);
      return { segments, message: custom ?? `must have at least ${n} item${n === 1 ? '' : 's'}` };
    }
    case 'maxItems': {
      const n = Number(params.limit);
      return { segments, message: custom ?? `must have at most ${n} item${n === 1 ? '' : 's'}` };
    }
    case 'exclusiveMinimum':
      return { segments, message: custom ?? `must be greater than ${String(params.limit)} (got ${show(e.data)})` };
    case 'maximum':
      return { segments, message: custom ?? `must be at most ${String(params.limit)} (got ${show(e.data)})` };
    default:
      return { segments, message: custom ?? e.message ?? `is invalid (${e.keyword})` };
  }
}

// ---------------------------------------------------------------------------------------------
// Avro schema files and field paths

interface SchemaFile {
  rel: string;
  abs: string;
  json?: AvroSchema;
  type?: avsc.Type;
  /** Why it cannot be used, starting with the relative path. */
  error?: string;
}

async function loadSchemaFile(dir: string, rel: string, cache: Map<string, SchemaFile>): Promise<SchemaFile> {
  const abs = resolve(dir, rel);
  const cached = cache.get(abs);
  if (cached) return cached;
  const result: SchemaFile = { rel, abs };
  cache.set(abs, result);
  let text: string;
  try {
    if (!statSync(abs).isFile()) {
      result.error = `${rel} is not a file (${abs})`;
      return result;
    }
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.error =
      code === 'ENOENT'
        ? `${rel} does not exist (looked for ${abs}; paths are relative to the product folder)`
        : `${rel} cannot be read: ${(err as Error).message}`;
    return result;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    result.error = `${rel} is not valid JSON: ${(err as Error).message}`;
    return result;
  }
  try {
    result.type = avsc.Type.forSchema(json as avsc.Schema);
    result.json = json as AvroSchema;
  } catch (err) {
    result.error = `${rel} is not a valid Avro schema: ${(err as Error).message}`;
  }
  return result;
}

type AvroRecord = avsc.Type & { readonly fields: { name: string; type: avsc.Type }[] };

function isRecord(t: avsc.Type): t is AvroRecord {
  return t.typeName === 'record' || t.typeName === 'error';
}

/** The record types reachable from `t` directly or through a union. */
function recordsOf(t: avsc.Type): AvroRecord[] {
  if (isRecord(t)) return [t];
  if (t.typeName.startsWith('union')) return (t as avsc.Type & { types: avsc.Type[] }).types.filter(isRecord);
  return [];
}

function fieldNames(records: AvroRecord[]): string[] {
  return [...new Set(records.flatMap((r) => r.fields.map((f) => f.name)))];
}

function topLevelFields(t: avsc.Type): string[] {
  return fieldNames(recordsOf(t));
}

/**
 * Walks a dotted field path through records and unions. Returns undefined when it exists, or
 * why not (and a close field name at the failing level).
 */
function findField(root: avsc.Type, path: string): { reason?: string; suggestion?: string } | undefined {
  const parts = path.split('.');
  let current: avsc.Type[] = [root];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const prefix = parts.slice(0, i).join('.');
    const records = current.flatMap(recordsOf);
    if (records.length === 0) {
      const typeNames = [...new Set(current.map((t) => t.typeName))].join(' | ');
      return { reason: i === 0 ? `the schema is ${typeNames}, not a record` : `${prefix} is ${typeNames}, not a record` };
    }
    const next = records.flatMap((r) => r.fields.filter((f) => f.name === part).map((f) => f.type));
    if (next.length === 0) {
      const names = fieldNames(records);
      const guess = closest(part, names);
      return {
        reason: i === 0 ? undefined : `${prefix} has no field ${part}; its fields: ${names.join(', ')}`,
        suggestion: guess === undefined ? undefined : [...parts.slice(0, i), guess].join('.'),
      };
    }
    current = next;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Validation

interface PortInfo {
  name?: string;
  topic?: string;
  index: number;
  schema?: SchemaFile;
}

/** Loads and validates `<dir>/product.yaml`; reports every problem at once. */
export async function validateProduct(dir: string, options: ProductLoadOptions = {}): Promise<ProductValidation> {
  const absDir = resolve(dir);
  const file = join(absDir, DESCRIPTOR_FILE);
  const issues = new IssueList();

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let message: string;
    if (!existsSync(absDir)) message = `the product folder ${absDir} does not exist`;
    else if (code === 'ENOENT') message = `not found in ${absDir}; every product folder needs a ${DESCRIPTOR_FILE} descriptor (see docs/descriptor.md)`;
    else message = `cannot be read: ${(err as Error).message}`;
    return { issues: [{ path: DESCRIPTOR_FILE, message }] };
  }

  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? ` at ${at.line}:${at.col}` : '';
        let msg = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        if (e.code === 'MULTIPLE_DOCS') msg = `${DESCRIPTOR_FILE} must hold a single YAML document; remove the extra ---`;
        return { path: DESCRIPTOR_FILE, message: `YAML syntax error${where}: ${msg}` };
      }),
    };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { issues: [{ path: DESCRIPTOR_FILE, message: `cannot be read as YAML: ${(err as Error).message}` }] };
  }
  if (data === null || data === undefined) {
    return { issues: [{ path: DESCRIPTOR_FILE, message: 'is empty; start with apiVersion: dataprod/v1 and kind: DataProduct (see docs/descriptor.md)' }] };
  }

  const validate = getValidator();
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const { segments, message } = schemaIssue(e, data);
      issues.add(segments, message);
    }
  }

  let transform: Transform | undefined;
  let loaded: Loaded | undefined;
  if (isObj(data)) {
    loaded = await checkSemantics(data, absDir, issues);
    transform = await checkTransform(data, absDir, issues, options.loadTransform !== false);
  }

  const sorted = issues.sorted(doc);
  if (sorted.length > 0 || !loaded || !isObj(data)) {
    return transform ? { transform, issues: sorted } : { issues: sorted };
  }
  const descriptor = compile(data as unknown as RawDescriptor, absDir, file, loaded);
  return transform ? { descriptor, transform, issues: [] } : { descriptor, issues: [] };
}

/**
 * Loads, validates and compiles a product folder. Throws DescriptorError (code
 * DESCRIPTOR_INVALID) with every issue when anything is wrong.
 */
export function loadProduct(dir: string, options?: { loadTransform?: true }): Promise<LoadedProduct>;
export function loadProduct(dir: string, options: ProductLoadOptions): Promise<{ descriptor: ProductDescriptor; transform?: Transform }>;
export async function loadProduct(
  dir: string,
  options: ProductLoadOptions = {},
): Promise<{ descriptor: ProductDescriptor; transform?: Transform }> {
  const result = await validateProduct(dir, options);
  if (result.issues.length > 0 || !result.descriptor) {
    throw new DescriptorError(join(resolve(dir), DESCRIPTOR_FILE), result.issues);
  }
  return result.transform ? { descriptor: result.descriptor, transform: result.transform } : { descriptor: result.descriptor };
}

/** What the semantic checks loaded and the compiler reuses. */
interface Loaded {
  schemas: Map<string, SchemaFile>;
}

const RULE_KEYS = new Set<string>(['name', 'property', 'port', 'onFailure', ...RULE_OPERATORS]);

/** Reports an operator problem; returns the operator when the entry has exactly one. */
function checkOperators(entry: Obj, segments: Segment[], issues: IssueList, what: string): RuleOperator | undefined {
  const ops = RULE_OPERATORS.filter((op) => op in entry);
  for (const op of ops) {
    const value = entry[op];
    if (op === 'mustMatch' && typeof value === 'string') {
      try {
        new RegExp(value);
      } catch (err) {
        issues.add([...segments, op], `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    if (op === 'mustBeBetween' && Array.isArray(value) && value.length === 2) {
      const [min, max] = value as unknown[];
      if (typeof min === 'number' && typeof max === 'number' && min > max) {
        issues.add([...segments, op], `min ${min} is greater than max ${max}; write [min, max], e.g. [${max}, ${min}]`);
      }
    }
  }
  if (ops.length === 0) {
    // An unknown key (likely a misspelt operator) was already reported with a suggestion.
    if (Object.keys(entry).some((k) => !RULE_KEYS.has(k))) return undefined;
    issues.add(segments, `${what} has no operator; add exactly one of: ${RULE_OPERATORS.join(', ')}`);
    return undefined;
  }
  if (ops.length > 1) {
    issues.add(
      segments,
      `${what} has ${ops.length} operators (${ops.join(', ')}); use exactly one per ${what}: split it into ${ops.length} entries` +
        (ops.every((op) => /^mustBe(Greater|Less)/.test(op)) ? ' or use mustBeBetween: [min, max]' : ''),
    );
    return undefined;
  }
  return ops[0];
}

function checkProperty(port: PortInfo | undefined, property: unknown, segments: Segment[], issues: IssueList): void {
  if (typeof property !== 'string' || issues.has(segments)) return;
  const schema = port?.schema;
  if (!schema?.type) return;
  const missing = findField(schema.type, property);
  if (!missing) return;
  const where = `input port ${port?.name ?? `inputPorts[${port?.index}]`} (${schema.rel})`;
  issues.add(segments, missingFieldMessage(property, where, missing, schema.type));
}

function missingFieldMessage(path: string, where: string, missing: { reason?: string; suggestion?: string }, root: avsc.Type): string {
  const detail = missing.reason === undefined ? '' : `: ${missing.reason}`;
  const guess = missing.suggestion ? `did you mean ${missing.suggestion}? ` : '';
  return `${path} is not a field of ${where}${detail}; ${guess}top-level fields: ${topLevelFields(root).join(', ') || 'none'}`;
}

async function checkSemantics(root: Obj, dir: string, issues: IssueList): Promise<Loaded> {
  const schemas = new Map<string, SchemaFile>();
  const validString = (segments: Segment[], value: unknown): string | undefined =>
    typeof value === 'string' && !issues.has(segments) ? value : undefined;

  const name = validString(['name'], root.name);
  const domain = validString(['domain'], root.domain);
  const version = validString(['version'], root.version);
  const major = version === undefined ? undefined : Number(version.split('.')[0]);
  const id = validString(['id'], root.id);
  if (id !== undefined && name !== undefined && domain !== undefined && id !== `${domain}.${name}`) {
    issues.add(['id'], `must be ${domain}.${name} (<domain>.<name>), got ${id}`);
  }

  // Input ports.
  const ports: PortInfo[] = [];
  const inputTopics: { topic: string; path: string }[] = [];
  const portNames = new Map<string, number>();
  const topicOwners = new Map<string, number>();
  const inputs = list(root.inputPorts);
  for (let i = 0; i < inputs.length; i++) {
    const port = inputs[i];
    const info: PortInfo = { index: i };
    ports.push(info);
    if (!isObj(port)) continue;
    const base: Segment[] = ['inputPorts', i];

    info.name = validString([...base, 'name'], port.name);
    if (info.name !== undefined) {
      const first = portNames.get(info.name);
      if (first !== undefined) issues.add([...base, 'name'], `duplicate input port name ${info.name} (also inputPorts[${first}].name); names must be unique`);
      else portNames.set(info.name, i);
    }
    info.topic = validString([...base, 'topic'], port.topic);
    if (info.topic !== undefined) {
      const first = topicOwners.get(info.topic);
      if (first !== undefined) issues.add([...base, 'topic'], `${info.topic} is already read by inputPorts[${first}]; read each topic from one port only`);
      else topicOwners.set(info.topic, i);
      inputTopics.push({ topic: info.topic, path: formatPath(base) });
    }

    const contract = port.contract;
    if (!isObj(contract)) continue;
    const cbase: Segment[] = [...base, 'contract'];
    const rel = validString([...cbase, 'schema'], contract.schema);
    if (rel !== undefined) {
      info.schema = await loadSchemaFile(dir, rel, schemas);
      if (info.schema.error) issues.add([...cbase, 'schema'], info.schema.error);
    }

    const constraintNames = new Map<string, string>();
    const claimName = (constraintName: string, segments: Segment[], explicit: boolean) => {
      const first = constraintNames.get(constraintName);
      if (first !== undefined) {
        issues.add(
          segments,
          `duplicate constraint name ${constraintName} in this port (also ${first})` +
            (explicit ? '; names must be unique' : '; set a distinct name: on one of them'),
        );
      } else constraintNames.set(constraintName, formatPath(segments));
    };
    const required = list(contract.required);
    for (let j = 0; j < required.length; j++) {
      const segments: Segment[] = [...cbase, 'required', j];
      checkProperty(info, required[j], segments, issues);
      if (typeof required[j] === 'string') claimName(`required-${String(required[j])}`, segments, false);
    }
    const constraints = list(contract.constraints);
    for (let j = 0; j < constraints.length; j++) {
      const c = constraints[j];
      if (!isObj(c)) continue;
      const segments: Segment[] = [...cbase, 'constraints', j];
      const op = checkOperators(c, segments, issues, 'constraint');
      checkProperty(info, c.property, [...segments, 'property'], issues);
      const explicitName = validString([...segments, 'name'], c.name);
      if (explicitName !== undefined) claimName(explicitName, [...segments, 'name'], true);
      else if (op !== undefined && typeof c.property === 'string') claimName(`${op}-${c.property}`, segments, false);
    }
  }

  // Output ports.
  const outputTopics: { topic: string; path: string }[] = [];
  const outputs = list(root.outputPorts);
  for (let i = 0; i < outputs.length; i++) {
    const port = outputs[i];
    if (!isObj(port)) continue;
    const base: Segment[] = ['outputPorts', i];
    const topic = validString([...base, 'topic'], port.topic);
    if (topic !== undefined) {
      if (major !== undefined && !topic.endsWith(`.v${major}`)) {
        issues.add([...base, 'topic'], `must end with .v${major} because version is ${version}`);
      }
      const reader = inputTopics.find((t) => t.topic === topic);
      if (reader) issues.add([...base, 'topic'], `must differ from the topic of ${reader.path} (${topic}): a product cannot read its own output`);
      outputTopics.push({ topic, path: formatPath(base) });
    }

    const rel = validString([...base, 'schema'], port.schema);
    let schema: SchemaFile | undefined;
    if (rel !== undefined) {
      schema = await loadSchemaFile(dir, rel, schemas);
      if (schema.error) issues.add([...base, 'schema'], schema.error);
      else if (schema.type && !isRecord(schema.type)) {
        issues.add([...base, 'schema'], `${rel} is a ${schema.type.typeName} schema; an output schema must be an Avro record ({ "type": "record", ... })`);
      }
    }
    const outType = schema?.type && isRecord(schema.type) ? schema.type : undefined;
    const key = validString([...base, 'key'], port.key);
    if (key !== undefined && outType) {
      const fields = topLevelFields(outType);
      if (!fields.includes(key)) {
        const guess = closest(key, fields);
        issues.add(
          [...base, 'key'],
          `${key} is not a top-level field of the output schema (${schema?.rel}); ${guess ? `did you mean ${guess}? ` : ''}fields: ${fields.join(', ')}`,
        );
      }
    }
    const eventTime = validString([...base, 'eventTime'], port.eventTime);
    if (eventTime !== undefined && outType) {
      const field = (outType as avsc.types.RecordType).fields.find((f) => f.name === eventTime);
      const kind = field ? eventTimeKind(field.type) : undefined;
      if (!field) {
        issues.add([...base, 'eventTime'], `${eventTime} is not a top-level field of the output schema (${schema?.rel}); fields: ${topLevelFields(outType).join(', ')}`);
      } else if (!kind) {
        issues.add([...base, 'eventTime'], `${eventTime} must be a long with logicalType timestamp-millis or timestamp-micros (optionally nullable) to measure event-to-publish latency`);
      }
    }
    if (isObj(port.classification) && outType) {
      for (const path of Object.keys(port.classification)) {
        const segments: Segment[] = [...base, 'classification', path];
        const missing = findField(outType, path);
        if (!missing) continue;
        issues.add(segments, missingFieldMessage(path, `the output schema (${schema?.rel})`, missing, outType));
      }
    }
  }

  // Dead letter topic.
  const dl = root.deadLetter;
  const explicitDlq = isObj(dl) ? validString(['deadLetter', 'topic'], dl.topic) : undefined;
  const dlqTopic = explicitDlq ?? (dl === undefined && name !== undefined && domain !== undefined ? `${domain}.${name}.dlq` : undefined);
  if (dlqTopic !== undefined) {
    const clash = [...inputTopics, ...outputTopics].find((t) => t.topic === dlqTopic);
    if (clash) {
      issues.add(
        explicitDlq !== undefined ? ['deadLetter', 'topic'] : ['deadLetter'],
        `must differ from every input and output topic: ${dlqTopic} is the topic of ${clash.path}` +
          (explicitDlq !== undefined ? `; use e.g. ${domain ?? '<domain>'}.${name ?? '<name>'}.dlq` : '; set deadLetter: { topic: ... }'),
      );
    }
  }

  // Quality rules.
  const qualityNames = new Map<string, number>();
  const rules = list(root.quality);
  const portNameList = ports.map((p) => p.name).filter((n): n is string => n !== undefined);
  const knownPorts = [...new Set(portNameList)];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!isObj(rule)) continue;
    const base: Segment[] = ['quality', i];
    const ruleName = validString([...base, 'name'], rule.name);
    if (ruleName !== undefined) {
      const first = qualityNames.get(ruleName);
      if (first !== undefined) issues.add([...base, 'name'], `duplicate quality rule name ${ruleName} (also quality[${first}].name); names must be unique`);
      else qualityNames.set(ruleName, i);
    }
    checkOperators(rule, base, issues, 'rule');

    let port: PortInfo | undefined;
    if (rule.port === undefined) {
      if (inputs.length === 1) port = ports[0];
      else if (inputs.length > 1) {
        issues.add(
          [...base, 'port'],
          `is required because the product has ${inputs.length} input ports; set port: to one of: ${knownPorts.join(', ')}`,
        );
      }
    } else {
      const portName = validString([...base, 'port'], rule.port);
      if (portName !== undefined && portNameList.length === ports.length) {
        port = ports.find((p) => p.name === portName);
        if (!port) {
          const guess = closest(portName, knownPorts);
          issues.add(
            [...base, 'port'],
            `${portName} is not an input port${guess ? ` (did you mean ${guess}?)` : ''}; input ports: ${knownPorts.join(', ')}`,
          );
        }
      }
    }
    checkProperty(port, rule.property, [...base, 'property'], issues);
  }

  return { schemas };
}

async function checkTransform(root: Obj, dir: string, issues: IssueList, load: boolean): Promise<Transform | undefined> {
  const rel = root.transform === undefined ? DEFAULT_TRANSFORM : typeof root.transform === 'string' && !issues.has(['transform']) ? root.transform : undefined;
  if (rel === undefined) return undefined;
  const abs = resolve(dir, rel);
  if (!existsSync(abs)) {
    issues.add(
      ['transform'],
      `${rel} does not exist (looked for ${abs}); create it with export default defineTransform((event, ctx) => ...)` +
        (root.transform === undefined ? ' or set transform: to the module path' : ''),
    );
    return undefined;
  }
  if (!load) return undefined;
  const result = await importTransform(abs);
  if ('problem' in result) {
    issues.add(['transform'], `${rel} ${result.problem.message}`);
    return undefined;
  }
  return result.transform;
}

// ---------------------------------------------------------------------------------------------
// Compilation (only called when there is no issue, so the shape is known)

interface RawRule {
  name?: string;
  port?: string;
  property: string;
  onFailure?: OnRuleFailure;
  [op: string]: unknown;
}

interface RawDescriptor {
  id: string;
  name: string;
  domain: string;
  version: string;
  status: ProductStatus;
  description?: { purpose?: string; usage?: string; limitations?: string };
  team: { name: string; members?: { username: string; role: string }[] };
  support?: { channel?: string; url?: string }[];
  inputPorts: {
    name: string;
    topic: string;
    contract: { subject?: string; schema: string; required?: string[]; constraints?: RawRule[] };
    onInvalid?: OnInvalid;
  }[];
  transform?: string;
  outputPorts: {
    name: string;
    topic: string;
    key?: string;
    eventTime?: string;
    schema: string;
    compatibility?: Compatibility;
    classification?: Record<string, string>;
  }[];
  deadLetter?: { topic: string };
  delivery?: Delivery;
  quality?: RawRule[];
  slaProperties?: { property: SlaProperty['property']; value: number; unit?: string; objective?: number }[];
}

function toCheck(rule: RawRule): RuleCheck {
  const op = RULE_OPERATORS.find((o) => o in rule);
  if (op === undefined) throw new Error('internal: rule without operator reached compile');
  const value = rule[op];
  const copy = Array.isArray(value) ? [...(value as unknown[])] : value;
  return { op, value: copy } as RuleCheck;
}

function pick<T extends object, K extends keyof T>(obj: T | undefined, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  if (!obj) return out;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function schemaOf(dir: string, rel: string, loaded: Loaded): { schemaFile: string; schema: AvroSchema } {
  const abs = resolve(dir, rel);
  const file = loaded.schemas.get(abs);
  if (!file?.json) throw new Error(`internal: schema ${abs} not loaded`);
  return { schemaFile: abs, schema: structuredClone(file.json) };
}

function compile(raw: RawDescriptor, dir: string, file: string, loaded: Loaded): ProductDescriptor {
  const major = Number(raw.version.split('.')[0]);
  const inputPorts: InputPort[] = raw.inputPorts.map((p) => {
    const constraints: ContractConstraint[] = [
      ...(p.contract.required ?? []).map((property) => ({
        name: `required-${property}`,
        property,
        check: { op: 'mustNotBeNull' as const, value: true as const },
      })),
      ...(p.contract.constraints ?? []).map((c) => {
        const check = toCheck(c);
        return { name: c.name ?? `${check.op}-${c.property}`, property: c.property, check };
      }),
    ];
    return {
      name: p.name,
      topic: p.topic,
      contract: { subject: p.contract.subject ?? `${p.topic}-value`, ...schemaOf(dir, p.contract.schema, loaded), constraints },
      onInvalid: p.onInvalid ?? DEFAULT_ON_INVALID,
    };
  });
  const outputPorts: OutputPort[] = raw.outputPorts.map((p) => ({
    name: p.name,
    topic: p.topic,
    subject: `${p.topic}-value`,
    ...(p.key === undefined ? {} : { key: p.key }),
    ...(p.eventTime === undefined ? {} : { eventTime: p.eventTime }),
    ...schemaOf(dir, p.schema, loaded),
    compatibility: p.compatibility ?? DEFAULT_COMPATIBILITY,
    classification: { ...(p.classification ?? {}) },
  }));
  const defaultPort = raw.inputPorts[0]?.name ?? '';
  const quality: QualityRule[] = (raw.quality ?? []).map((q) => ({
    name: q.name ?? '',
    port: q.port ?? defaultPort,
    property: q.property,
    check: toCheck(q),
    onFailure: q.onFailure ?? DEFAULT_ON_RULE_FAILURE,
  }));
  const descriptor: ProductDescriptor = {
    dir,
    file,
    id: raw.id,
    name: raw.name,
    domain: raw.domain,
    version: raw.version,
    major,
    status: raw.status,
    description: pick(raw.description, ['purpose', 'usage', 'limitations']),
    team: {
      name: raw.team.name,
      members: (raw.team.members ?? []).map((m) => ({ username: m.username, role: m.role })),
    },
    support: (raw.support ?? []).map((s) => pick(s, ['channel', 'url'])),
    inputPorts,
    transformFile: resolve(dir, raw.transform ?? DEFAULT_TRANSFORM),
    outputPorts,
    deadLetter: { topic: raw.deadLetter?.topic ?? `${raw.domain}.${raw.name}.dlq` },
    delivery: raw.delivery ?? DEFAULT_DELIVERY,
    quality,
    slaProperties: (raw.slaProperties ?? []).map((s) => ({ property: s.property, value: s.value, ...pick(s, ['unit', 'objective']) })),
    consumerGroup: `dataprod.${raw.id}.v${major}`,
  };
  return deepFreeze(descriptor);
}

/** The unit of an event-time field: a (nullable) long with a timestamp logical type. */
function eventTimeKind(type: avsc.Type): 'millis' | 'micros' | undefined {
  const branches = type.typeName === 'union' ? (type as avsc.types.UnwrappedUnionType).types.filter((t: avsc.Type) => t.typeName !== 'null') : [type];
  if (branches.length !== 1) return undefined;
  const schema = branches[0]!.schema() as { type?: string; logicalType?: string } | string;
  if (typeof schema !== 'object' || schema.type !== 'long') return undefined;
  if (schema.logicalType === 'timestamp-millis') return 'millis';
  if (schema.logicalType === 'timestamp-micros') return 'micros';
  return undefined;
}
