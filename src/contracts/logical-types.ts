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
    // avsc builds the underlying long of a logical type itself, bypassing the registry's custom long.
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

/** The avsc type of a schema with dataprod's logical types and long mode. */
export function avroType(schema: AvroSchema, longs: Longs = 'number'): avsc.Type {
  const registry: Record<string, avsc.Type> = longs === 'bigint' ? { long: BIGINT_LONG } : {};
  return avsc.Type.forSchema(schema as avsc.Schema, { logicalTypes: LOGICAL_TYPES, registry });
}

/** The largest long avsc reads into a number exactly (its zigzag decoding is exact below this). */
export const MAX_NUMBER_LONG = 9007199254740990;

/** True for avsc's refusal to read a long beyond MAX_NUMBER_LONG into a number. */
export function isLongPrecisionLoss(err: unknown): boolean {
  return err instanceof Error && err.message === 'potential precision loss';
}

/**
 * The dotted path of the first long beyond MAX_NUMBER_LONG in a value decoded with bigint longs
 * (what the number-long type of the same schema refuses), or undefined.
 */
export function unsafeLongPath(numberType: avsc.Type, bigintValue: unknown): string | undefined {
  let found: string | undefined;
  numberType.isValid(bigintValue, {
    errorHook: (path, value) => {
      if (found === undefined && typeof value === 'bigint' && (value > BigInt(MAX_NUMBER_LONG) || value < -BigInt(MAX_NUMBER_LONG))) {
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
