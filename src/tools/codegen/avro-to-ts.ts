/**
 * Avro schemas (parsed JSON) -> TypeScript declarations describing the values the runtime's avsc
 * types produce (src/contracts/logical-types.ts): what a product's transform receives and must return.
 *
 * Mapping (`wrapUnions: 'auto'`):
 *   null -> null, boolean -> boolean, int/float/double -> number, long -> number (or bigint with
 *   `longs: bigint`), bytes -> Buffer, string -> string, array -> T[], map -> Record<string, T>,
 *   record -> interface, enum -> union of string literals, fixed -> Buffer alias,
 *   decimal (bytes or fixed) -> Decimal (from 'dataprod'), any other logical type -> its
 *   underlying type, with what it means in a doc line (docs/contracts.md),
 *   union -> `A | B` when unambiguous (avsc "unwrapped" unions).
 *
 * Ambiguous unions: avsc in `auto` mode unwraps a union only when each branch has its own kind of
 * JS value (at most one number type, one of string/enum, one of bytes/fixed, one of map/record,
 * one array, ...; a registered logical type is a kind of its own). Otherwise it WRAPS the union: null stays `null`, any other branch's value is
 * an object with one key, the branch name (full name of a named type, else the Avro type name):
 * `{ int: 1 }`, `{ 'com.acme.Card': {...} }`. Such a union is typed here as the union of those
 * single-key objects.
 *
 * Every field of a record is required in the generated interface: decoded values always carry
 * every field (defaults are filled in by schema resolution), and outputs are expected complete.
 */

import {
  PRIMITIVE_TS,
  PRIMITIVE_BUCKET,
  RESERVED_TYPE_NAMES,
  isPrimitive,
  describe,
  isObject,
  optionalDoc,
  namespaceOf,
  simpleNameOf,
  pascalCase,
  quoteString,
  propertyKey,
  docComment,
  type Node,
  type Field,
  type NamedDef,
  type Expr,
  logicalTypeNote,
  REGISTERED_LOGICAL_TYPES,
} from './avro-nodes.js';

/**
 * Collects the named types of one or more schemas, then renders declarations and type
 * expressions. Used by avroToTypeScript and by generateProductTypes (which also needs the type
 * expression of each port's top-level schema).
 */
export class AvroTypeScriptGenerator {
  private readonly defs = new Map<string, NamedDef>();
  private readonly repeats: { def: NamedDef; at: string }[] = [];
  private names: Map<string, string> | undefined;

  /**
   * @param reservedNames identifiers the declarations must not take (e.g. aliases the caller
   *   will declare next to them); a named type that wants one gets another name.
   */
  constructor(
    private readonly reservedNames: ReadonlySet<string> = new Set(),
    private readonly longs: 'number' | 'bigint' = 'number',
  ) {}

  /** True when a rendered type mentions Decimal: the file must import it from 'dataprod'. */
  usesDecimal = false;

  /** Registers every named type defined in `schema`; returns a handle for typeOf. */
  add(schema: unknown): SchemaHandle {
    if (this.names !== undefined) throw new Error('AvroTypeScriptGenerator: add() after rendering');
    return { node: this.parse(schema, '', '$') };
  }

  /** The TypeScript type of a schema passed to add(). */
  typeOf(handle: SchemaHandle): string {
    return this.expr(handle.node, this.typeNames()).text;
  }

  /** `export` declarations of every named type, in order of first definition, blank-line separated. */
  declarations(): string {
    const names = this.typeNames();
    const blocks = [...this.defs.values()].map((def) => this.declaration(def, names).join('\n'));
    return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
  }

  // ---- parsing -------------------------------------------------------------------------------

  private parse(schema: unknown, namespace: string, path: string): Node {
    if (typeof schema === 'string') {
      if (isPrimitive(schema)) return { kind: 'primitive', type: schema };
      return { kind: 'ref', name: schema, namespace };
    }
    if (Array.isArray(schema)) {
      return { kind: 'union', branches: schema.map((branch, i) => this.parse(branch, namespace, `${path}[${i}]`)) };
    }
    if (!isObject(schema)) throw new Error(`${path}: not an Avro schema: ${describe(schema)}`);
    const type = schema.type;
    if (typeof type !== 'string') {
      // `{ "type": { ... } }` / `{ "type": [ ... ] }`: the nested schema is the type.
      if (type === undefined) throw new Error(`${path}: Avro schema without "type": ${describe(schema)}`);
      return this.parse(type, namespace, `${path}.type`);
    }
    switch (type) {
      case 'array':
        return { kind: 'array', items: this.parse(schema.items, namespace, `${path}.items`) };
      case 'map':
        return { kind: 'map', values: this.parse(schema.values, namespace, `${path}.values`) };
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.parseNamed(schema, type, namespace, path);
      default:
        if (isPrimitive(type)) {
          const logicalType = schema.logicalType;
          if (typeof logicalType !== 'string') return { kind: 'primitive', type };
          return { kind: 'primitive', type, logicalType, ...decimalPart(schema) };
        }
        // `{ "type": "com.acme.Money" }`: a reference written as an object.
        return { kind: 'ref', name: type, namespace };
    }
  }

  private parseNamed(schema: Record<string, unknown>, type: string, enclosing: string, path: string): Node {
    const name = schema.name;
    if (typeof name !== 'string' || name === '') throw new Error(`${path}: ${type} without a name`);
    let fullName: string;
    if (name.includes('.')) {
      fullName = name;
    } else {
      const declared = schema.namespace;
      const namespace = typeof declared === 'string' ? declared : enclosing;
      fullName = namespace === '' ? name : `${namespace}.${name}`;
    }
    const namespace = namespaceOf(fullName);
    const at = `${path}(${fullName})`;
    let def: NamedDef;
    if (type === 'enum') {
      const symbols = schema.symbols;
      if (!Array.isArray(symbols) || !symbols.every((s): s is string => typeof s === 'string')) {
        throw new Error(`${at}: enum symbols must be an array of strings`);
      }
      def = { kind: 'enum', fullName, ...optionalDoc(schema.doc), symbols };
    } else if (type === 'fixed') {
      const size = schema.size;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
        throw new Error(`${at}: fixed size must be a non-negative integer`);
      const logicalType = schema.logicalType === 'decimal' || schema.logicalType === 'duration' ? schema.logicalType : undefined;
      def = { kind: 'fixed', fullName, ...optionalDoc(schema.doc), size, ...(logicalType ? { logicalType, ...decimalPart(schema) } : {}) };
    } else {
      const rawFields = schema.fields;
      if (!Array.isArray(rawFields)) throw new Error(`${at}: record fields must be an array`);
      // Registered before its fields are parsed, so that the record comes before its nested
      // types in the output and a recursive reference finds it.
      const fields: Field[] = [];
      def = { kind: 'record', fullName, ...optionalDoc(schema.doc), fields };
      this.register(def, at);
      rawFields.forEach((raw: unknown, i) => {
        if (!isObject(raw) || typeof raw.name !== 'string') throw new Error(`${at}.fields[${i}]: a field needs a name`);
        fields.push({ name: raw.name, ...optionalDoc(raw.doc), type: this.parse(raw.type, namespace, `${at}.${raw.name}`) });
      });
      return { kind: 'ref', name: fullName, namespace };
    }
    this.register(def, at);
    return { kind: 'ref', name: fullName, namespace };
  }

  /**
   * Keeps the first definition of each full name. A repeat (e.g. a type shared by an input and an
   * output schema) is accepted when its structure is the same, checked before rendering since a
   * record's fields are only complete once parsed.
   */
  private register(def: NamedDef, at: string): void {
    const existing = this.defs.get(def.fullName);
    if (existing === undefined) {
      this.defs.set(def.fullName, def);
    } else {
      if (existing.kind !== def.kind) throw new Error(`${at}: ${def.fullName} is already defined as a ${existing.kind}`);
      this.repeats.push({ def, at });
    }
  }

  /** A structural fingerprint (docs left out) to compare two definitions of one name. */
  private fingerprint(def: NamedDef): string {
    const node = (n: Node): string => {
      switch (n.kind) {
        case 'primitive':
          return n.logicalType === undefined ? n.type : `${n.type}/${n.logicalType}`;
        case 'array':
          return `array<${node(n.items)}>`;
        case 'map':
          return `map<${node(n.values)}>`;
        case 'union':
          return `union<${n.branches.map(node).join(',')}>`;
        case 'ref':
          return `ref<${this.resolve(n).fullName}>`;
      }
    };
    switch (def.kind) {
      case 'enum':
        return `enum{${def.symbols.join(',')}}`;
      case 'fixed':
        return `fixed(${def.size})${def.logicalType === undefined ? '' : `/${def.logicalType}(${def.precision},${def.scale})`}`;
      case 'record':
        return `record{${def.fields.map((f) => `${f.name}:${node(f.type)}`).join(';')}}`;
    }
  }

  // ---- naming --------------------------------------------------------------------------------

  /** Full name -> TypeScript identifier, fixed at the first render. */
  private typeNames(): Map<string, string> {
    if (this.names !== undefined) return this.names;
    for (const { def, at } of this.repeats) {
      const first = this.defs.get(def.fullName);
      if (first !== undefined && this.fingerprint(first) !== this.fingerprint(def)) {
        throw new Error(`${at}: ${def.fullName} is defined twice with different definitions`);
      }
    }
    const bySimpleName = new Map<string, Set<string>>();
    for (const fullName of this.defs.keys()) {
      const simple = simpleNameOf(fullName);
      const group = bySimpleName.get(simple) ?? new Set<string>();
      group.add(fullName);
      bySimpleName.set(simple, group);
    }
    const names = new Map<string, string>();
    const taken = new Set(this.reservedNames);
    for (const fullName of this.defs.keys()) {
      const simple = simpleNameOf(fullName);
      const shared = (bySimpleName.get(simple)?.size ?? 0) > 1;
      let wanted = shared ? `${pascalCase(namespaceOf(fullName))}${simple}` : simple;
      if (RESERVED_TYPE_NAMES.has(wanted)) wanted = `${wanted}Type`;
      let candidate = wanted;
      for (let n = 2; taken.has(candidate); n++) candidate = `${wanted}${n}`;
      taken.add(candidate);
      names.set(fullName, candidate);
    }
    this.names = names;
    return names;
  }

  private resolve(ref: Extract<Node, { kind: 'ref' }>): NamedDef {
    const candidates = ref.name.includes('.') || ref.namespace === '' ? [ref.name] : [`${ref.namespace}.${ref.name}`, ref.name];
    for (const candidate of candidates) {
      const def = this.defs.get(candidate);
      if (def !== undefined) return def;
    }
    throw new Error(`unknown Avro type ${JSON.stringify(ref.name)}${ref.namespace === '' ? '' : ` (namespace ${ref.namespace})`}`);
  }

  // ---- rendering -----------------------------------------------------------------------------

  private declaration(def: NamedDef, names: Map<string, string>): string[] {
    const name = names.get(def.fullName) as string;
    switch (def.kind) {
      case 'enum':
        return [
          ...docComment([def.doc ?? ''], ''),
          `export type ${name} = ${def.symbols.length === 0 ? 'never' : def.symbols.map(quoteString).join(' | ')};`,
        ];
      case 'fixed':
        if (def.logicalType === 'decimal') {
          this.usesDecimal = true;
          const note = logicalTypeNote('decimal', `fixed ${def.size}`, def.precision, def.scale);
          return [...docComment([def.doc ?? '', note], ''), `export type ${name} = Decimal;`];
        }
        if (def.logicalType === 'duration') {
          return [...docComment([def.doc ?? '', logicalTypeNote('duration', 'fixed')], ''), `export type ${name} = Buffer;`];
        }
        return [...docComment([def.doc ?? '', `Avro fixed: ${def.size} bytes.`], ''), `export type ${name} = Buffer;`];
      case 'record': {
        const head = docComment([def.doc ?? ''], '');
        // An empty interface is a lint error (no-empty-object-type); an empty record is `{}` anyway.
        if (def.fields.length === 0) return [...head, `export type ${name} = Record<string, never>;`];
        const body = def.fields.flatMap((field) => [
          ...docComment([field.doc ?? '', ...this.notes(field.type)], '  '),
          `  ${propertyKey(field.name)}: ${this.expr(field.type, names).text};`,
        ]);
        return [...head, `export interface ${name} {`, ...body, '}'];
      }
    }
  }

  /** Extra doc lines for a field: its logical type, or that its union is wrapped. */
  private notes(node: Node): string[] {
    const branches = node.kind === 'union' ? node.branches : [node];
    const notes: string[] = [];
    for (const branch of branches) {
      if (branch.kind === 'primitive' && branch.logicalType !== undefined) {
        notes.push(logicalTypeNote(branch.logicalType, branch.type, branch.precision, branch.scale));
      }
    }
    if (node.kind === 'union' && this.isAmbiguous(node)) {
      notes.push('Ambiguous union: avsc wraps the value as { <branch name>: value } (null stays null).');
    }
    return notes;
  }

  private bucket(node: Node): string {
    switch (node.kind) {
      case 'primitive':
        if (node.logicalType !== undefined && REGISTERED_LOGICAL_TYPES.has(node.logicalType)) return `logical:${node.logicalType}`;
        return PRIMITIVE_BUCKET[node.type] ?? node.type;
      case 'array':
        return 'array';
      case 'map':
        return 'object';
      case 'union':
        return 'union';
      case 'ref': {
        const def = this.resolve(node);
        if (def.kind === 'fixed' && def.logicalType !== undefined) return `logical:${def.logicalType}`;
        return def.kind === 'enum' ? 'string' : def.kind === 'fixed' ? 'buffer' : 'object';
      }
    }
  }

  /** avsc's rule (isAmbiguous in lib/types.js): two branches whose values share a JS kind. */
  private isAmbiguous(union: Extract<Node, { kind: 'union' }>): boolean {
    const seen = new Set<string>();
    for (const branch of union.branches) {
      const bucket = this.bucket(branch);
      if (seen.has(bucket)) return true;
      seen.add(bucket);
    }
    return false;
  }

  /** The key avsc uses for a branch of a wrapped union. */
  private branchName(node: Node): string {
    switch (node.kind) {
      case 'primitive':
        return node.type;
      case 'array':
      case 'map':
      case 'union':
        return node.kind;
      case 'ref':
        return this.resolve(node).fullName;
    }
  }

  private expr(node: Node, names: Map<string, string>): Expr {
    switch (node.kind) {
      case 'primitive':
        if (node.logicalType === 'decimal') {
          this.usesDecimal = true;
          return { text: 'Decimal', compound: false };
        }
        if (node.type === 'long' && this.longs === 'bigint') return { text: 'bigint', compound: false };
        return { text: PRIMITIVE_TS[node.type] ?? 'unknown', compound: false };
      case 'ref':
        return { text: names.get(this.resolve(node).fullName) as string, compound: false };
      case 'array': {
        const items = this.expr(node.items, names);
        return { text: items.compound ? `(${items.text})[]` : `${items.text}[]`, compound: false };
      }
      case 'map':
        return { text: `Record<string, ${this.expr(node.values, names).text}>`, compound: false };
      case 'union': {
        if (node.branches.length === 0) return { text: 'never', compound: false };
        const wrapped = this.isAmbiguous(node);
        const texts: string[] = [];
        for (const branch of node.branches) {
          const inner = this.expr(branch, names).text;
          const text =
            !wrapped || (branch.kind === 'primitive' && branch.type === 'null')
              ? inner
              : `{ ${propertyKey(this.branchName(branch))}: ${inner} }`;
          if (!texts.includes(text)) texts.push(text);
        }
        return { text: texts.join(' | '), compound: texts.length > 1 };
      }
    }
  }
}

/** What AvroTypeScriptGenerator.add returns: pass it to typeOf. */
export interface SchemaHandle {
  readonly node: Node;
}

/**
 * TypeScript declarations for every named type (records, enums, fixed) defined in the given
 * schemas, each once, in order of first definition. Types sharing a simple name across
 * namespaces are prefixed with their namespace in PascalCase (`ComAcmeRawItem`).
 */
export function avroToTypeScript(schemas: readonly { schema: unknown }[]): string {
  const generator = new AvroTypeScriptGenerator();
  for (const { schema } of schemas) generator.add(schema);
  return generator.declarations();
}

/** A decimal's precision and scale (scale 0 when absent, as the spec says); nothing for other types. */
function decimalPart(schema: Record<string, unknown>): { precision?: number; scale?: number } {
  return schema.logicalType === 'decimal' ? { precision: Number(schema.precision), scale: Number(schema.scale ?? 0) } : {};
}
