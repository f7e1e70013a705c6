/**
 * The one place an Avro schema becomes an avsc type, so every logical type has the same value in
 * the worker, `dataprod test`, validation and the demo (docs/contracts.md lists them):
 * - decimal (bytes or fixed) -> Decimal (exact); outputs also take "12.34", bigints and numbers;
 * - timestamp-*, local-timestamp-*, date, time-* -> the number on the wire (epoch ms/us, days,
 *   ms/us of the day), uuid -> string, duration -> the 12-byte Buffer;
 * - long -> number, refusing values beyond what a double holds exactly; or bigint when the
 *   product opts in (`longs: bigint`).
 * The logical types exist for resolution as much as for values: a writer whose value would be
 * promoted into a reader field of another meaning (a string or plain bytes into a decimal, a
 * decimal of another scale, micros into millis) fails to resolve instead of being misread.
 */
import avsc from 'avsc';
import { Decimal } from './decimal.js';
import type { AvroSchema, Longs } from '../product/types.js';

interface DecimalSchema {
  type: unknown;
  precision?: unknown;
  scale?: unknown;
  size?: unknown;
}

class DecimalType extends avsc.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  /** Bytes of a fixed decimal; undefined for bytes. */
  private readonly size: number | undefined;

  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    const s = schema as DecimalSchema;
    const precision = s.precision;
    const scale = s.scale ?? 0;
    // An invalid decimal is, per the Avro spec, read as its underlying type (avsc falls back when this throws).
    if (!Number.isInteger(precision) || (precision as number) < 1) throw new Error('decimal precision must be a positive integer');
    if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) {
      throw new Error('decimal scale must be an integer between 0 and precision');
    }
    const underlying = this.underlyingType.typeName;
    if (underlying !== 'bytes' && underlying !== 'fixed') throw new Error('decimal must be bytes or fixed');
    this.precision = precision as number;
    this.scale = scale as number;
    this.size = underlying === 'fixed' ? (this.underlyingType as unknown as { size: number }).size : undefined;
  }

  protected override _fromValue(buf: Buffer): Decimal {
    return new Decimal(signedFromBytes(buf), this.scale);
  }

  protected override _toValue(value: unknown): Buffer {
    const decimal = Decimal.from(value as Decimal).rescale(this.scale);
    if (decimal.precision > this.precision) throw new RangeError(`${decimal.toString()} has more than ${this.precision} digits`);
    return signedToBytes(decimal.unscaled, this.size);
  }

  protected override _resolve(writer: avsc.Type): ((value: unknown) => unknown) | undefined {
    // Same scale and no more digits than we allow: the value means the same. A plain bytes,
    // fixed or string writer would be reinterpreted as two's-complement digits: refused.
    if (writer instanceof DecimalType && writer.scale === this.scale && writer.precision <= this.precision) return (v) => v;
    return undefined;
  }

  protected override _export(schema: avsc.Schema): void {
    Object.assign(schema as object, { precision: this.precision, scale: this.scale });
  }
}

/**
 * A logical type whose value is the underlying value itself (a number, string or Buffer): it is
 * here so resolution can tell one meaning from another. A writer with the same logical type, or
 * with the plain underlying type (the same bits, not yet annotated), is read; a writer of another
 * logical type or one that needs a promotion (int into a long timestamp) is refused.
 */
class AnnotatedType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    // avsc builds the underlying long of a logical type itself, bypassing the registry's long.
    const customLong = (opts as { registry?: Record<string, avsc.Type> } | undefined)?.registry?.long;
    if (customLong && this.underlyingType.typeName === 'long')
      (this as unknown as { _underlyingType: avsc.Type })._underlyingType = customLong;
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    return value;
  }

  protected override _resolve(writer: avsc.Type): ((value: unknown) => unknown) | undefined {
    const name = (this as unknown as { _logicalTypeName: string })._logicalTypeName;
    if (writer instanceof AnnotatedType) {
      return (writer as unknown as { _logicalTypeName: string })._logicalTypeName === name ? (v) => v : undefined;
    }
    const own = baseTypeName(this.underlyingType);
    if (baseTypeName(writer) !== own) return undefined;
    if (own === 'fixed' && (writer as unknown as { size: number }).size !== (this.underlyingType as unknown as { size: number }).size) {
      return undefined;
    }
    return (v) => v;
  }
}

/** A uuid: a string in the canonical 8-4-4-4-12 hex form (what Python's uuid.UUID prints). */
class UuidType extends AnnotatedType {
  protected override _toValue(value: unknown): unknown {
    return typeof value === 'string' && UUID_TEXT.test(value) ? value : undefined;
  }
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function baseTypeName(type: avsc.Type): string {
  return type.typeName === 'abstract:long' ? 'long' : type.typeName;
}

const LOGICAL_TYPES: Record<string, new (schema: avsc.Schema, opts?: unknown) => avsc.types.LogicalType> = {
  decimal: DecimalType,
  uuid: UuidType,
  date: AnnotatedType,
  'time-millis': AnnotatedType,
  'time-micros': AnnotatedType,
  'timestamp-millis': AnnotatedType,
  'timestamp-micros': AnnotatedType,
  'local-timestamp-millis': AnnotatedType,
  'local-timestamp-micros': AnnotatedType,
  duration: AnnotatedType,
};

/** Longs as bigints, exact over the whole 64-bit range; outputs may also give safe integer numbers. */
const BIGINT_LONG = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n), 0);
    return buf;
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()),
  isValid: (n: unknown) =>
    (typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n) || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** avsc's reading and writing position in a buffer. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  writeLong(n: number): void;
}

const LONG_PRECISION = 'long beyond what a number holds exactly';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Below 2^52 in magnitude a long's zigzag form stays under 2^53, where avsc's float arithmetic is exact. */
const FAST_LONG = 2 ** 52;

/**
 * Longs as numbers, exact over +-(2^53 - 1), refusing anything beyond. avsc's own long type
 * claims +-(2^53 - 2) but decodes and encodes negative longs below -2^52 through doubles that
 * round their odd zigzag form: -9007199254740990 came back as +9007199254740990 from Confluent's
 * Python client. Small values take avsc's fast path; only 8 or more varint bytes go through a bigint.
 */
class NumberLongType extends avsc.types.LongType {
  _read(tap: Tap): number {
    const start = tap.pos;
    const n = tap.readLong();
    // Seven varint bytes carry 49 bits; a truncated buffer is the caller's to report.
    if (tap.pos - start <= 7 || tap.pos > tap.buf.length) return n;
    const exact = readVarLong(tap.buf, start);
    if (exact > MAX_SAFE || exact < -MAX_SAFE) throw new Error(LONG_PRECISION);
    return Number(exact);
  }

  _check(value: unknown, _flags: unknown, hook?: (value: unknown, type: avsc.Type) => void): boolean {
    const valid = Number.isSafeInteger(value);
    if (!valid && hook) hook(value, this);
    return valid;
  }

  _write(tap: Tap, value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`invalid "long": ${String(value)} is not an integer within +-(2^53 - 1)`);
    if (value < FAST_LONG && value > -FAST_LONG) tap.writeLong(value);
    else writeVarLong(tap, BigInt(value));
  }
}

/** A zigzag varint long starting at `pos`, exactly. */
function readVarLong(buf: Buffer, pos: number): bigint {
  let zigzag = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos++]!;
    zigzag |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) break;
  }
  return zigzag & 1n ? -(zigzag >> 1n) - 1n : zigzag >> 1n;
}

/** Writes like avsc's Tap: past the end of the buffer only the position moves, so the caller can grow it. */
function writeVarLong(tap: Tap, n: bigint): void {
  let zigzag = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  do {
    const low = Number(zigzag & 0x7fn);
    zigzag >>= 7n;
    if (tap.pos < tap.buf.length) tap.buf[tap.pos] = zigzag > 0n ? low | 0x80 : low;
    tap.pos++;
  } while (zigzag > 0n);
}

const NUMBER_LONG = new NumberLongType();

/** The avsc type of a schema with dataprod's logical types and long mode. */
export function avroType(schema: AvroSchema, longs: Longs = 'number'): avsc.Type {
  const registry: Record<string, avsc.Type> = { long: longs === 'bigint' ? BIGINT_LONG : NUMBER_LONG };
  return avsc.Type.forSchema(withLongsByName(schema) as avsc.Schema, { logicalTypes: LOGICAL_TYPES, registry });
}

/**
 * avsc takes the registry's long for `"long"` but builds its own for `{"type": "long"}`: write
 * every plain long by name (its other attributes mean nothing to reading or writing).
 */
function withLongsByName(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withLongsByName);
  if (typeof schema !== 'object' || schema === null) return schema;
  const obj = schema as Record<string, unknown>;
  if (obj.type === 'long' && !(typeof obj.logicalType === 'string' && obj.logicalType in LOGICAL_TYPES)) return 'long';
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'type' || key === 'items' || key === 'values') out[key] = withLongsByName(value);
    else if (key === 'fields' && Array.isArray(value)) {
      out[key] = value.map((field: Record<string, unknown>) => ({ ...field, type: withLongsByName(field.type) }));
    } else out[key] = value;
  }
  return out;
}

/** True for the refusal to read a long beyond +-(2^53 - 1) into a number. */
export function isLongPrecisionLoss(err: unknown): boolean {
  return err instanceof Error && err.message === LONG_PRECISION;
}

/**
 * The dotted path of the first long beyond +-(2^53 - 1) in a value decoded with bigint longs
 * (what the number-long type of the same schema refuses), or undefined.
 */
export function unsafeLongPath(numberType: avsc.Type, bigintValue: unknown): string | undefined {
  let found: string | undefined;
  numberType.isValid(bigintValue, {
    errorHook: (path, value) => {
      if (found === undefined && typeof value === 'bigint' && (value > MAX_SAFE || value < -MAX_SAFE)) {
        found = path.join('.') || '(root)';
      }
    },
  });
  return found;
}

/** Big-endian two's complement, as Avro stores a decimal's unscaled value. */
export function signedFromBytes(buf: Buffer): bigint {
  if (buf.length === 0) return 0n;
  let n = BigInt(`0x${buf.toString('hex')}`);
  if (buf[0]! & 0x80) n -= 1n << BigInt(buf.length * 8);
  return n;
}

/** The shortest big-endian two's complement of `n`, or exactly `size` bytes (sign-extended); throws when it does not fit. */
export function signedToBytes(n: bigint, size?: number): Buffer {
  let bytes = 1;
  while (n < -(1n << BigInt(bytes * 8 - 1)) || n >= 1n << BigInt(bytes * 8 - 1)) bytes++;
  if (size !== undefined && bytes > size) throw new RangeError(`needs ${bytes} bytes, the fixed holds ${size}`);
  const length = size ?? bytes;
  const unsigned = n < 0n ? (1n << BigInt(length * 8)) + n : n;
  return Buffer.from(unsigned.toString(16).padStart(length * 2, '0'), 'hex');
}
