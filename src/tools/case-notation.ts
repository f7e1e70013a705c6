/**
 * How a case file (cases/*.yaml) writes each Avro type, turned into the value the runtime's avsc
 * type takes (docs/contracts.md has the table):
 * - decimal: "12.34" (quoted: YAML would make 12.34 a float) or a number; a Decimal results;
 * - timestamp-*: epoch number in the schema's unit, or ISO-8601 with a zone ("2026-01-01T12:00:00.250Z");
 *   local-timestamp-*: the same without a zone; date: days or "2026-01-01"; time-*: number or "12:30:00.250";
 * - bytes and fixed: base64 text or YAML `!!binary`; duration also { months, days, milliseconds };
 * - long: a number, or with `longs: bigint` also a string of digits (YAML numbers lose digits past 2^53);
 * - a union: the value of any branch (tried in order), or { <branch name>: value } to pick one.
 * A value that fits none gives an error naming the field, the expected type and an example.
 */
import type avsc from 'avsc';
import { Decimal } from '../contracts/decimal.js';

export class CaseNotationError extends Error {}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type Fields = { fields: { name: string; type: avsc.Type }[] };

/** The runtime value of a case-file value, or a CaseNotationError naming `path` and the notation. */
export function fromCaseNotation(type: avsc.Type, value: unknown, path: string): unknown {
  const name = type.typeName;
  if (name.startsWith('union')) return fromUnion(type as avsc.types.UnwrappedUnionType, value, path);
  if (name === 'record' || name === 'error') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notation(type, value, path);
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of (type as unknown as Fields).fields) {
      if (field.name in out) out[field.name] = fromCaseNotation(field.type, out[field.name], `${path}.${field.name}`);
    }
    return out;
  }
  if (name === 'array') {
    if (!Array.isArray(value)) throw notation(type, value, path);
    const items = (type as avsc.types.ArrayType).itemsType;
    return value.map((v, i) => fromCaseNotation(items, v, `${path}[${i}]`));
  }
  if (name === 'map') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notation(type, value, path);
    const values = (type as avsc.types.MapType).valuesType;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCaseNotation(values, v, `${path}.${k}`)]));
  }
  const converted = convertScalar(type, value, path);
  if (!type.isValid(converted)) throw notation(type, value, path);
  return converted;
}

function fromUnion(type: avsc.types.UnwrappedUnionType, value: unknown, path: string): unknown {
  const branches = type.types;
  if (value === null && branches.some((b) => b.typeName === 'null')) return null;
  const wrapped = type.typeName === 'union:wrapped';
  // { <branch name>: value } picks a branch; a wrapped union takes nothing else.
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1) {
    const [key, inner] = Object.entries(value)[0]!;
    const branch = branches.find((b) => branchName(b) === key);
    if (branch) {
      const converted = fromCaseNotation(branch, inner, `${path}.${key}`);
      return wrapped ? { [key]: converted } : converted;
    }
  }
  for (const branch of branches) {
    if (branch.typeName === 'null') continue;
    try {
      const converted = fromCaseNotation(branch, value, path);
      return wrapped ? { [branchName(branch)]: converted } : converted;
    } catch {
      // try the next branch
    }
  }
  throw new CaseNotationError(
    `${path}: expected one of ${branches.map(describeType).join(' | ')}, got ${shown(value)}; ` +
      `write a value of one branch (${branches.map(example).join(', ')}) or pick one with { <branch name>: value }`,
  );
}

function convertScalar(type: avsc.Type, value: unknown, path: string): unknown {
  const name = type.typeName;
  const logical = name.startsWith('logical:') ? name.slice('logical:'.length) : undefined;
  const underlying = logical === undefined ? type : (type as avsc.types.LogicalType).underlyingType;
  const bigintLongs = underlying.typeName === 'abstract:long';
  // A number long takes only what a double holds exactly: a larger bigint stays one and is refused.
  const asLong = (n: number | bigint) =>
    bigintLongs ? BigInt(n) : typeof n === 'bigint' && n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n;
  switch (logical) {
    case 'decimal':
      if (!Decimal.isDecimalLike(value)) throw notation(type, value, path);
      return Decimal.from(value);
    case 'timestamp-millis':
    case 'timestamp-micros':
    case 'local-timestamp-millis':
    case 'local-timestamp-micros': {
      if (typeof value !== 'string') return typeof value === 'number' ? asLong(value) : value;
      const micros = isoMicros(value, !logical.startsWith('local'));
      if (micros === undefined) throw notation(type, value, path);
      if (logical.endsWith('micros')) return asLong(micros);
      if (micros % 1000n !== 0n) throw new CaseNotationError(`${path}: ${value} has microseconds, but ${logical} holds milliseconds`);
      return asLong(micros / 1000n);
    }
    case 'date': {
      if (typeof value !== 'string') return value;
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!m) throw notation(type, value, path);
      return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
    }
    case 'time-millis':
    case 'time-micros': {
      if (typeof value !== 'string') return typeof value === 'number' && logical === 'time-micros' ? asLong(value) : value;
      const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(value);
      if (!m) throw notation(type, value, path);
      const micros = ((BigInt(m[1]!) * 60n + BigInt(m[2]!)) * 60n + BigInt(m[3]!)) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0'));
      if (logical === 'time-micros') return asLong(micros);
      if (micros % 1000n !== 0n) throw new CaseNotationError(`${path}: ${value} has microseconds, but time-millis holds milliseconds`);
      return Number(micros / 1000n);
    }
    case 'duration':
      if (typeof value === 'object' && value !== null && 'months' in value) {
        const { months, days, milliseconds } = value as { months?: unknown; days?: unknown; milliseconds?: unknown };
        const buf = Buffer.alloc(12);
        try {
          buf.writeUInt32LE(Number(months ?? 0), 0);
          buf.writeUInt32LE(Number(days ?? 0), 4);
          buf.writeUInt32LE(Number(milliseconds ?? 0), 8);
        } catch {
          throw notation(type, value, path);
        }
        return buf;
      }
      return bytesOf(value);
  }
  if (name === 'bytes' || name === 'fixed') return bytesOf(value);
  if ((name === 'long' || name === 'abstract:long') && typeof value === 'string' && /^-?\d+$/.test(value)) return asLong(BigInt(value));
  if (name === 'abstract:long' && typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return value;
}

/** base64 text or YAML !!binary (a Uint8Array) as a Buffer; anything else unchanged (and refused by isValid). */
function bytesOf(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string' && /^[A-Za-z0-9+/\s]*={0,2}$/.test(value) && value.replace(/\s/g, '').length % 4 === 0) {
    return Buffer.from(value, 'base64');
  }
  return value;
}

/** Microseconds since the epoch of an ISO-8601 date-time; `zoned`: a Z or offset is required, else refused. */
function isoMicros(text: string, zoned: boolean): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m || (m[8] !== undefined) !== zoned) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return BigInt(ms) * 1000n + BigInt(fraction.padEnd(6, '0'));
}

function branchName(type: avsc.Type): string {
  const named = (type as { name?: string }).name;
  if (named) return named;
  const base = type.typeName.startsWith('logical:') ? (type as avsc.types.LogicalType).underlyingType : type;
  return base.typeName === 'abstract:long' ? 'long' : base.typeName;
}

function describeType(type: avsc.Type): string {
  const name = type.typeName;
  if (name === 'logical:decimal') {
    const d = type as unknown as { precision: number; scale: number };
    return `decimal(${d.precision},${d.scale})`;
  }
  if (name.startsWith('logical:')) return name.slice('logical:'.length);
  if (name === 'abstract:long') return 'long';
  if (name === 'fixed') return `fixed(${(type as unknown as { size: number }).size})`;
  return (type as { name?: string }).name ?? name;
}

/** The notation of a type, as the error shows it. */
function example(type: avsc.Type): string {
  switch (type.typeName) {
    case 'logical:decimal': {
      const { precision, scale } = type as unknown as { precision: number; scale: number };
      const whole = '1234567890'.slice(0, Math.max(1, Math.min(precision - scale, 4)));
      return scale === 0 ? `"${whole}"` : `"${whole}.${'5'.repeat(scale)}"`;
    }
    case 'logical:timestamp-millis':
      return '"2026-01-01T12:00:00.250Z" or 1767268800250';
    case 'logical:timestamp-micros':
      return '"2026-01-01T12:00:00.250001Z" or 1767268800250001';
    case 'logical:local-timestamp-millis':
      return '"2026-01-01T12:00:00.250" or 1767268800250';
    case 'logical:local-timestamp-micros':
      return '"2026-01-01T12:00:00.250001" or 1767268800250001';
    case 'logical:date':
      return '"2026-01-01" or 20454';
    case 'logical:time-millis':
      return '"12:30:00.250" or 45000250';
    case 'logical:time-micros':
      return '"12:30:00.250001" or 45000250001';
    case 'logical:uuid':
      return '"0b6f7c1e-2a41-4c4f-9d2e-6b1a3f5e8c90"';
    case 'logical:duration':
      return '{ months: 1, days: 2, milliseconds: 3 }';
    case 'bytes':
      return '"aGVsbG8=" (base64) or !!binary aGVsbG8=';
    case 'fixed':
      return `base64 of ${(type as unknown as { size: number }).size} bytes, or !!binary`;
    case 'long':
      return '42';
    case 'abstract:long':
      return '42 or "1152921504606846976"';
    case 'int':
      return '42';
    case 'float':
    case 'double':
      return '1.5';
    case 'boolean':
      return 'true';
    case 'string':
      return '"text"';
    case 'enum':
      return (type as unknown as { symbols: string[] }).symbols.slice(0, 3).join(' | ');
    case 'array':
      return '[ ... ]';
    default:
      return '{ field: value, ... }';
  }
}

function notation(type: avsc.Type, value: unknown, path: string): CaseNotationError {
  return new CaseNotationError(`${path}: expected ${describeType(type)}, e.g. ${example(type)}; got ${shown(value)}`);
}

function shown(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  const text = typeof value === 'bigint' ? `${value}` : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
