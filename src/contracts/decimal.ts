/**
 * An exact decimal number: an unscaled bigint and a scale (value = unscaled / 10^scale), which is
 * what an Avro `decimal` carries on the wire. A transform reads decimals as this type and may
 * return one (or a string such as "12.34") for a decimal output field. Nothing here goes through
 * a float: comparison, rescaling and printing are done on the bigint.
 */
export type DecimalLike = Decimal | string | bigint | number;

/** Plain decimal notation, as written in case files and accepted from transforms: -12.34, 0.29, 7. */
const DECIMAL_TEXT = /^([+-])?(\d+)(?:\.(\d+))?$/;

export class Decimal {
  /** The digits without the point: 1234n for 12.34 at scale 2. */
  readonly unscaled: bigint;
  /** Digits after the point (Avro's `scale`). */
  readonly scale: number;

  constructor(unscaled: bigint, scale = 0) {
    if (typeof unscaled !== 'bigint') throw new TypeError('Decimal: unscaled must be a bigint');
    if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`Decimal: scale must be a non-negative integer, got ${scale}`);
    this.unscaled = unscaled;
    this.scale = scale;
  }

  /** Parses plain notation ("12.34", "-0.01", "7"); the scale is the number of digits written after the point. */
  static parse(text: string): Decimal {
    const m = DECIMAL_TEXT.exec(text.trim());
    if (!m) throw new SyntaxError(`not a decimal number: ${JSON.stringify(text)} (write it like "12.34" or "-0.01")`);
    const [, sign, whole, fraction = ''] = m;
    const unscaled = BigInt(whole! + fraction);
    return new Decimal(sign === '-' ? -unscaled : unscaled, fraction.length);
  }

  /**
   * A Decimal from any accepted form. A number is taken as the decimal it prints as (0.1 is "0.1",
   * not the binary fraction nearest to it), so a rule bound written in YAML means what it says.
   */
  static from(value: DecimalLike): Decimal {
    if (value instanceof Decimal) return value;
    // A Decimal made by another copy of this module (a product bundling its own dataprod).
    if (isDecimalShape(value)) return new Decimal(value.unscaled, value.scale);
    if (typeof value === 'bigint') return new Decimal(value, 0);
    if (typeof value === 'string') return Decimal.parse(value);
    if (typeof value === 'number' && Number.isFinite(value)) return Decimal.parse(numberText(value));
    throw new TypeError(`not a decimal: ${String(value)} (use a Decimal, a string like "12.34", a bigint or a finite number)`);
  }

  /** True for the forms `from` accepts without throwing. */
  static isDecimalLike(value: unknown): value is DecimalLike {
    if (value instanceof Decimal || isDecimalShape(value) || typeof value === 'bigint') return true;
    if (typeof value === 'number') return Number.isFinite(value);
    return typeof value === 'string' && DECIMAL_TEXT.test(value.trim());
  }

  /** Number of significant digits of the unscaled value (Avro's `precision` bounds it). */
  get precision(): number {
    const digits = (this.unscaled < 0n ? -this.unscaled : this.unscaled).toString().length;
    return Math.max(digits, 1);
  }

  /** The same value at another scale; throws RangeError when that would drop non-zero digits. */
  rescale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    const factor = 10n ** BigInt(this.scale - scale);
    if (this.unscaled % factor !== 0n) {
      throw new RangeError(`${this.toString()} has more than ${scale} digits after the point; round it in the transform first`);
    }
    return new Decimal(this.unscaled / factor, scale);
  }

  /** The value in minor units at `scale` digits (cents at 2): 12.34 -> 1234n. Exact, or RangeError. */
  toMinorUnits(scale = this.scale): bigint {
    return this.rescale(scale).unscaled;
  }

  /** -1, 0 or 1, exactly, whatever the two scales. */
  compare(other: DecimalLike): -1 | 0 | 1 {
    const that = Decimal.from(other);
    const scale = Math.max(this.scale, that.scale);
    const a = this.rescale(scale).unscaled;
    const b = that.rescale(scale).unscaled;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Same value (12.3 equals 12.30). */
  equals(other: DecimalLike): boolean {
    return this.compare(other) === 0;
  }

  /** The nearest double: for display or maths that may round, never for comparing or storing. */
  toNumber(): number {
    return Number(this.toString());
  }

  /** Plain notation with exactly `scale` digits after the point: "12.30", "-0.01", "7". */
  toString(): string {
    const negative = this.unscaled < 0n;
    const digits = (negative ? -this.unscaled : this.unscaled).toString().padStart(this.scale + 1, '0');
    const text = this.scale === 0 ? digits : `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    return negative ? `-${text}` : text;
  }

  /** JSON has no exact decimal: a string keeps every digit. */
  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Decimal(${this.toString()})`;
  }
}

/** Plain notation of a finite number (String gives 1e-7 and 1e21 for small and large ones). */
function numberText(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa, exponentText] = text.split(/e/i) as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const [whole, fraction = ''] = mantissa.replace('-', '').split('.') as [string, string?];
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}

function isDecimalShape(value: unknown): value is { unscaled: bigint; scale: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Decimal).unscaled === 'bigint' &&
    Number.isInteger((value as Decimal).scale)
  );
}
