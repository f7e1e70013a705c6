/**
 * Avro schema evolution, change by change. `diffSchemas(previous, next)` walks both schemas side
 * by side and lists every change (field added, type promoted, enum symbol removed, ...), each with
 * its verdict in both directions of Avro schema resolution:
 *
 * - backward: a reader of `next` reads data written with `previous` (new consumers, old data);
 * - forward:  a reader of `previous` reads data written with `next` (old consumers, new data).
 *
 * The rules are the Avro specification's "Schema Resolution" (the ones the Java library's
 * SchemaCompatibility and so Confluent's and Apicurio's registries apply), with one deliberate
 * difference: a changed, added or removed logical type is breaking in both directions. The
 * registries compare the underlying types only, so `timestamp-millis` -> `timestamp-micros` passes
 * there, yet every reader would then read the same long as a date a thousand times further away
 * (DESIGN.md: no promotion that changes a value's meaning). docs/evolution.md lists the rules.
 *
 * Pure: no I/O. `readable(reader, writer)` is the same walk read in one direction, for the input
 * port check (does our reader schema resolve what upstream registered?).
 */
import type { AvroSchema } from '../product/types.js';

/** Why a change breaks a direction; a closed list, one fix each (./fixes.ts). */
export const BREAK_REASONS = [
  'field-added-without-default',
  'field-removed-without-default',
  'field-renamed-without-alias',
  'type-changed',
  'type-promoted',
  'logical-type-changed',
  'enum-symbol-removed',
  'enum-symbol-added',
  'union-branch-removed',
  'union-branch-added',
  'name-changed',
  'fixed-size-changed',
] as const;
export type BreakReason = (typeof BREAK_REASONS)[number];

export interface Break {
  reason: BreakReason;
  /** One sentence: who cannot read what. */
  message: string;
}

export interface SchemaChange {
  /** Dotted field path from the top record (`customer.email`; `[]` array items, `{}` map values); `.` is the top. */
  path: string;
  /** What changed, e.g. `added with default null`, `int -> long`. */
  change: string;
  /** Set when a reader of the next schema cannot read data of the previous one. */
  backward?: Break;
  /** Set when a reader of the previous schema cannot read data of the next one. */
  forward?: Break;
}

type Named = { name: string; fullName: string; aliases: string[] };
type Field = { name: string; aliases: string[]; hasDefault: boolean; defaultText: string; type: Node };
type Node =
  | { kind: 'primitive'; type: string; logical?: string }
  | (Named & { kind: 'record'; fields: Field[] })
  | (Named & { kind: 'enum'; symbols: string[]; hasDefault: boolean })
  | (Named & { kind: 'fixed'; size: number; logical?: string })
  | { kind: 'array'; items: Node }
  | { kind: 'map'; values: Node }
  | { kind: 'union'; branches: Node[] };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Writer type -> reader types that read it (Avro spec, "Schema Resolution"). */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function logicalOf(obj: Record<string, unknown>): string | undefined {
  const logical = obj.logicalType;
  if (typeof logical !== 'string') return undefined;
  return logical === 'decimal' ? `decimal(${String(obj.precision)},${String(obj.scale ?? 0)})` : logical;
}

/** Parses a schema into a graph of nodes; named types are shared, so recursive types are cycles. */
export function parseSchema(schema: AvroSchema): Node {
  const names = new Map<string, Node>();
  const parse = (s: unknown, namespace: string | undefined): Node => {
    if (typeof s === 'string') {
      if (PRIMITIVES.has(s)) return { kind: 'primitive', type: s };
      const found = names.get(s.includes('.') || !namespace ? s : `${namespace}.${s}`) ?? names.get(s);
      if (!found) throw new Error(`unknown type ${s}`);
      return found;
    }
    if (Array.isArray(s)) return { kind: 'union', branches: s.map((b) => parse(b, namespace)) };
    const obj = s as Record<string, unknown>;
    const type = obj.type;
    if (typeof type === 'string' && PRIMITIVES.has(type)) {
      const logical = logicalOf(obj);
      return logical === undefined ? { kind: 'primitive', type } : { kind: 'primitive', type, logical };
    }
    if (type === 'array') return { kind: 'array', items: parse(obj.items, namespace) };
    if (type === 'map') return { kind: 'map', values: parse(obj.values, namespace) };
    if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
      const raw = String(obj.name);
      const ns = raw.includes('.') ? raw.slice(0, raw.lastIndexOf('.')) : typeof obj.namespace === 'string' ? obj.namespace : namespace;
      const name = raw.includes('.') ? raw.slice(raw.lastIndexOf('.') + 1) : raw;
      const fullName = ns ? `${ns}.${name}` : name;
      const aliases = ((obj.aliases as string[] | undefined) ?? []).map((a) => (a.includes('.') || !ns ? a : `${ns}.${a}`));
      const named = { name, fullName, aliases };
      if (type === 'enum') {
        const node: Node = { kind: 'enum', ...named, symbols: [...(obj.symbols as string[])], hasDefault: 'default' in obj };
        names.set(fullName, node);
        return node;
      }
      if (type === 'fixed') {
        const logical = logicalOf(obj);
        const node: Node = { kind: 'fixed', ...named, size: Number(obj.size), ...(logical === undefined ? {} : { logical }) };
        names.set(fullName, node);
        return node;
      }
      const node: Node & { kind: 'record' } = { kind: 'record', ...named, fields: [] };
      names.set(fullName, node);
      for (const f of obj.fields as Record<string, unknown>[]) {
        node.fields.push({
          name: String(f.name),
          aliases: (f.aliases as string[] | undefined) ?? [],
          hasDefault: 'default' in f,
          defaultText: 'default' in f ? JSON.stringify(f.default) : '',
          type: parse(f.type, ns),
        });
      }
      return node;
    }
    // { "type": "com.x.Named" } or { "type": { ... } }
    return parse(type, namespace);
  };
  return parse(schema, undefined);
}

/** How a type reads in a change line: `long`, `long (timestamp-millis)`, `record Address`, `["null", "string"]`. */
export function describe(node: Node): string {
  switch (node.kind) {
    case 'primitive':
      return node.logical ? `${node.type} (${node.logical})` : node.type;
    case 'record':
    case 'enum':
      return `${node.kind} ${node.name}`;
    case 'fixed':
      return `fixed ${node.name}[${node.size}]${node.logical ? ` (${node.logical})` : ''}`;
    case 'array':
      return `array<${describe(node.items)}>`;
    case 'map':
      return `map<${describe(node.values)}>`;
    case 'union':
      return `[${node.branches.map(describe).join(', ')}]`;
  }
}

/** What identifies a union branch: Avro allows one branch per primitive type, per container kind, per name. */
const branchKey = (node: Node) =>
  node.kind === 'primitive' ? node.type : node.kind === 'array' || node.kind === 'map' ? node.kind : `${node.kind}:${(node as Named).name}`;

const sameName = (reader: Named, writer: Named) => reader.name === writer.name || reader.aliases.includes(writer.fullName);

const join = (path: string, field: string) => (path === '.' ? field : `${path}.${field}`);

/**
 * Every change between two schemas. `seen` guards recursive named types: a pair of nodes already
 * being compared adds nothing.
 */
export function diffSchemas(previous: AvroSchema, next: AvroSchema): SchemaChange[] {
  return diffNodes(parseSchema(previous), parseSchema(next), '.', new Set());
}

/** True when data written with `writer` resolves to `reader` (the backward direction of the walk). */
export function readable(reader: AvroSchema, writer: AvroSchema): { ok: boolean; breaks: SchemaChange[] } {
  const breaks = diffSchemas(writer, reader).filter((c) => c.backward);
  return { ok: breaks.length === 0, breaks };
}

function nodeReadable(reader: Node, writer: Node, seen: Set<string>): boolean {
  return diffNodes(writer, reader, '.', new Set(seen)).every((c) => !c.backward);
}

/** A number per node, so a pair of named types being compared can be remembered in a Set of strings. */
const pairIds = new WeakMap<object, number>();
let nextPairId = 0;
const idOf = (node: object) => {
  let id = pairIds.get(node);
  if (id === undefined) pairIds.set(node, (id = nextPairId++));
  return id;
};

function diffNodes(prev: Node, next: Node, path: string, seen: Set<string>): SchemaChange[] {
  if (prev.kind === 'record' || prev.kind === 'enum' || prev.kind === 'fixed') {
    const key = `${idOf(prev)}:${idOf(next)}`;
    if (seen.has(key)) return [];
    seen.add(key);
  }
  if (prev.kind === 'union' || next.kind === 'union') return diffUnions(prev, next, path, seen);
  if (prev.kind !== next.kind) return [typeChange(prev, next, path)];
  switch (prev.kind) {
    case 'primitive': {
      const n = next as typeof prev;
      if (prev.type !== n.type) return [typeChange(prev, next, path)];
      if (prev.logical !== n.logical) return [logicalChange(prev, next, path)];
      return [];
    }
    case 'array':
      return diffNodes(prev.items, (next as typeof prev).items, `${path === '.' ? '' : path}[]`, seen);
    case 'map':
      return diffNodes(prev.values, (next as typeof prev).values, `${path === '.' ? '' : path}{}`, seen);
    case 'fixed': {
      const n = next as typeof prev;
      const out = nameChanges(prev, n, path);
      if (prev.size !== n.size) {
        const message = `fixed ${prev.name} is ${prev.size} bytes before and ${n.size} after: neither reads the other`;
        out.push({
          path,
          change: `size ${prev.size} -> ${n.size}`,
          backward: { reason: 'fixed-size-changed', message },
          forward: { reason: 'fixed-size-changed', message },
        });
      }
      if (prev.logical !== n.logical) out.push(logicalChange(prev, n, path));
      return out;
    }
    case 'enum':
      return [...nameChanges(prev, next as typeof prev, path), ...diffEnums(prev, next as typeof prev, path)];
    case 'record':
      return [...nameChanges(prev, next as typeof prev, path), ...diffRecords(prev, next as typeof prev, path, seen)];
    default:
      return [];
  }
}

function typeChange(prev: Node, next: Node, path: string): SchemaChange {
  const from = describe(prev);
  const to = describe(next);
  const promotable = (writer: Node, reader: Node) =>
    writer.kind === 'primitive' && reader.kind === 'primitive' && (PROMOTIONS[writer.type] ?? []).includes(reader.type);
  const backwardOk = promotable(prev, next);
  const forwardOk = promotable(next, prev);
  // Avro would promote the number, but a logical type on either side changes what it means (a date read as an instant).
  const logical = (n: Node) => n.kind === 'primitive' && n.logical !== undefined;
  if ((backwardOk || forwardOk) && (logical(prev) || logical(next))) return logicalChange(prev, next, path);
  const reason: BreakReason = backwardOk || forwardOk ? 'type-promoted' : 'type-changed';
  const change: SchemaChange = { path, change: `${backwardOk || forwardOk ? 'type promoted' : 'type changed'} ${from} -> ${to}` };
  if (!backwardOk) change.backward = { reason, message: `a reader of ${to} cannot read ${from} written before` };
  if (!forwardOk) change.forward = { reason, message: `a reader of ${from} cannot read ${to} written after` };
  return change;
}

function logicalChange(prev: Node, next: Node, path: string): SchemaChange {
  const logical = (n: Node) => ('logical' in n && n.logical) || 'none';
  const message = `the logical type changes from ${logical(prev)} to ${logical(next)}: the same bytes would mean another value`;
  return {
    path,
    change: `logical type ${describe(prev)} -> ${describe(next)}`,
    backward: { reason: 'logical-type-changed', message },
    forward: { reason: 'logical-type-changed', message },
  };
}

function nameChanges(prev: Named, next: Named, path: string): SchemaChange[] {
  if (prev.name === next.name) return [];
  const change: SchemaChange = { path, change: `named type renamed ${prev.name} -> ${next.name}` };
  if (!sameName(next, prev))
    change.backward = { reason: 'name-changed', message: `a reader of ${next.name} cannot read ${prev.name} (no alias ${prev.fullName})` };
  if (!sameName(prev, next))
    change.forward = { reason: 'name-changed', message: `a reader of ${prev.name} cannot read ${next.name} written after` };
  return [change];
}

function diffEnums(prev: Node & { kind: 'enum' }, next: Node & { kind: 'enum' }, path: string): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (const symbol of prev.symbols.filter((s) => !next.symbols.includes(s))) {
    const change: SchemaChange = { path, change: `enum symbol ${symbol} removed${next.hasDefault ? ' (the enum has a default)' : ''}` };
    if (!next.hasDefault)
      change.backward = {
        reason: 'enum-symbol-removed',
        message: `a reader of the new ${next.name} cannot read ${symbol} written before, and the enum has no default`,
      };
    out.push(change);
  }
  for (const symbol of next.symbols.filter((s) => !prev.symbols.includes(s))) {
    const change: SchemaChange = { path, change: `enum symbol ${symbol} added${prev.hasDefault ? ' (the old enum has a default)' : ''}` };
    if (!prev.hasDefault)
      change.forward = {
        reason: 'enum-symbol-added',
        message: `a reader of the previous ${prev.name} cannot read ${symbol}, and that enum had no default`,
      };
    out.push(change);
  }
  return out;
}

function diffRecords(prev: Node & { kind: 'record' }, next: Node & { kind: 'record' }, path: string, seen: Set<string>): SchemaChange[] {
  const out: SchemaChange[] = [];
  const matched = new Set<Field>();
  const added: Field[] = [];
  for (const field of next.fields) {
    // Avro looks a reader field up by its name, then by its aliases.
    const byName = prev.fields.find((f) => f.name === field.name);
    const byAlias = byName ? undefined : prev.fields.find((f) => field.aliases.includes(f.name) && !matched.has(f));
    const old = byName ?? byAlias;
    if (!old) {
      added.push(field);
      continue;
    }
    matched.add(old);
    const at = join(path, field.name);
    if (byAlias) {
      // A reader of the previous schema looks `old.name` up in the new data: found only through its own aliases.
      const change: SchemaChange = { path: at, change: `renamed from ${old.name} (with alias)` };
      if (!old.aliases.includes(field.name) && !old.hasDefault)
        change.forward = {
          reason: 'field-renamed-without-alias',
          message: `a reader of the previous schema looks for ${old.name}, which new data does not have, and it had no default`,
        };
      out.push(change);
    }
    out.push(...diffNodes(old.type, field.type, at, seen));
  }
  const removed = prev.fields.filter((f) => !matched.has(f));
  for (const field of added) {
    // The same type in the same place under another name, without an alias: most likely a rename.
    const twin = removed.find((r) => describe(r.type) === describe(field.type) && !r.hasDefault);
    const at = join(path, field.name);
    const change: SchemaChange = {
      path: at,
      change: twin
        ? `renamed from ${twin.name} without alias`
        : `added ${field.hasDefault ? `with default ${field.defaultText}` : 'without default'}`,
    };
    if (!field.hasDefault)
      change.backward = twin
        ? {
            reason: 'field-renamed-without-alias',
            message: `a reader of the new schema looks for ${field.name} in old data, which has ${twin.name}; no alias, no default`,
          }
        : {
            reason: 'field-added-without-default',
            message: `a reader of the new schema finds no ${field.name} in old data, and it has no default`,
          };
    if (twin) {
      removed.splice(removed.indexOf(twin), 1);
      change.forward = {
        reason: 'field-renamed-without-alias',
        message: `a reader of the previous schema looks for ${twin.name} in new data, which has ${field.name}; no default`,
      };
    }
    out.push(change);
  }
  for (const field of removed) {
    const change: SchemaChange = {
      path: join(path, field.name),
      change: `removed (it ${field.hasDefault ? `had default ${field.defaultText}` : 'had no default'})`,
    };
    if (!field.hasDefault)
      change.forward = {
        reason: 'field-removed-without-default',
        message: `a reader of the previous schema finds no ${field.name} in new data, and it had no default`,
      };
    out.push(change);
  }
  return out;
}

function diffUnions(prev: Node, next: Node, path: string, seen: Set<string>): SchemaChange[] {
  const prevBranches = prev.kind === 'union' ? prev.branches : [prev];
  const nextBranches = next.kind === 'union' ? next.branches : [next];
  const out: SchemaChange[] = [];
  for (const p of prevBranches) {
    const n = nextBranches.find((b) => branchKey(b) === branchKey(p));
    if (n) {
      out.push(...diffNodes(p, n, path, seen));
      continue;
    }
    // Gone from the union: data of the previous schema in that branch must still resolve to some new branch.
    const change: SchemaChange = { path, change: `union branch ${describe(p)} removed (now ${describe(next)})` };
    if (!nextBranches.some((b) => nodeReadable(b, p, seen)))
      change.backward = { reason: 'union-branch-removed', message: `a reader of the new schema cannot read ${describe(p)} written before` };
    out.push(change);
  }
  for (const n of nextBranches.filter((b) => !prevBranches.some((p) => branchKey(p) === branchKey(b)))) {
    const change: SchemaChange = { path, change: `union branch ${describe(n)} added (was ${describe(prev)})` };
    if (!prevBranches.some((p) => nodeReadable(p, n, seen)))
      change.forward = {
        reason: 'union-branch-added',
        message: `a reader of the previous schema cannot read ${describe(n)} written after`,
      };
    out.push(change);
  }
  return out;
}
