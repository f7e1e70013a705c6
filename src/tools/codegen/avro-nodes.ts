/**
 * The codegen's model of an Avro schema (nodes and named definitions), the Avro -> TypeScript
 * primitive tables and the text helpers the generator renders with (./avro-to-ts.ts).
 */
export const PRIMITIVE_TS: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

/** avsc's bucket of each Avro type: two branches in one bucket make a union ambiguous. */
export const PRIMITIVE_BUCKET: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'buffer',
  string: 'string',
};

/**
 * Names a generated type may not take: TypeScript keywords / predefined types (a syntax or
 * declaration error) and the global types the generated code itself refers to.
 */
export const RESERVED_TYPE_NAMES = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'implements',
  'interface',
  'let',
  'package',
  'private',
  'protected',
  'public',
  'static',
  'yield',
  'await',
  'any',
  'unknown',
  'never',
  'number',
  'bigint',
  'boolean',
  'string',
  'symbol',
  'object',
  'undefined',
  'Buffer',
  'Record',
]);

export const isPrimitive = (name: string): boolean => Object.hasOwn(PRIMITIVE_TS, name);

export const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export type Node =
  | {
      readonly kind: 'primitive';
      readonly type: string;
      readonly logicalType?: string;
      readonly precision?: number;
      readonly scale?: number;
    }
  | { readonly kind: 'array'; readonly items: Node }
  | { readonly kind: 'map'; readonly values: Node }
  | { readonly kind: 'union'; readonly branches: readonly Node[] }
  /** A named type, by reference: `name` as written, `namespace` the enclosing one. */
  | { readonly kind: 'ref'; readonly name: string; readonly namespace: string };

export interface Field {
  readonly name: string;
  readonly type: Node;
  readonly doc?: string;
}

export type NamedDef =
  | { readonly kind: 'record'; readonly fullName: string; readonly doc?: string; readonly fields: readonly Field[] }
  | { readonly kind: 'enum'; readonly fullName: string; readonly doc?: string; readonly symbols: readonly string[] }
  | {
      readonly kind: 'fixed';
      readonly fullName: string;
      readonly doc?: string;
      readonly size: number;
      /** A fixed with logicalType decimal (precision, scale) or duration. */
      readonly logicalType?: string;
      readonly precision?: number;
      readonly scale?: number;
    };

export function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalDoc(value: unknown): { doc?: string } {
  return typeof value === 'string' && value.trim() !== '' ? { doc: value } : {};
}

export function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot === -1 ? '' : fullName.slice(0, dot);
}

export function simpleNameOf(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** `com.acme.raw_events` -> `ComAcmeRawEvents`; also used for port names (`page-views` -> `PageViews`). */
export function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : quoteString(name);
}

export function docComment(lines: readonly string[], indent: string): string[] {
  const text = lines.flatMap((line) => line.split(/\r?\n/)).map((line) => line.replace(/\*\//g, '*\\/').trimEnd());
  while (text.length > 0 && text[text.length - 1] === '') text.pop();
  while (text.length > 0 && text[0] === '') text.shift();
  if (text.length === 0) return [];
  if (text.length === 1) return [`${indent}/** ${text[0]} */`];
  return [`${indent}/**`, ...text.map((line) => (line === '' ? `${indent} *` : `${indent} * ${line}`)), `${indent} */`];
}

/** A TypeScript type expression and whether it needs parentheses inside `T[]`. */
export interface Expr {
  readonly text: string;
  readonly compound: boolean;
}

/**
 * What a transform holds for each logical type dataprod registers (src/contracts/logical-types.ts),
 * as a doc line; the TypeScript type is the underlying one except for decimal (Decimal).
 */
export function logicalTypeNote(logicalType: string, underlying: string, precision?: number, scale?: number): string {
  switch (logicalType) {
    case 'decimal':
      return `Avro decimal(${precision},${scale}) (${underlying}): an exact Decimal, ${precision} digits, ${scale} after the point; outputs also take a string such as "12.34".`;
    case 'timestamp-millis':
    case 'timestamp-micros':
    case 'local-timestamp-millis':
    case 'local-timestamp-micros': {
      const unit = logicalType.endsWith('millis') ? 'milliseconds' : 'microseconds';
      const zone = logicalType.startsWith('local') ? 'local date-time (no time zone) as' : '';
      return `Avro ${logicalType} (${underlying}): ${zone ? `${zone} ` : ''}${unit} since 1970-01-01T00:00:00${zone ? '' : 'Z'}.`;
    }
    case 'date':
      return `Avro date (${underlying}): days since 1970-01-01.`;
    case 'time-millis':
    case 'time-micros':
      return `Avro ${logicalType} (${underlying}): ${logicalType.endsWith('millis') ? 'milliseconds' : 'microseconds'} since midnight.`;
    case 'uuid':
      return `Avro uuid (${underlying}): 8-4-4-4-12 hex text.`;
    case 'duration':
      return 'Avro duration (fixed 12): months, days, milliseconds as three little-endian unsigned 32-bit integers.';
    default:
      return `Avro logical type ${logicalType} (${underlying}), not interpreted: the ${underlying} value itself.`;
  }
}

/** Logical types dataprod registers with avsc: a union branch of one is its own bucket (see isAmbiguous). */
export const REGISTERED_LOGICAL_TYPES: ReadonlySet<string> = new Set([
  'decimal',
  'uuid',
  'date',
  'time-millis',
  'time-micros',
  'timestamp-millis',
  'timestamp-micros',
  'local-timestamp-millis',
  'local-timestamp-micros',
  'duration',
]);
