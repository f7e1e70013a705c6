import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decimal } from '../../../src/contracts/decimal.js';
import { avroType, signedFromBytes, signedToBytes, unsafeLongPath } from '../../../src/contracts/logical-types.js';
import { incompatibleField } from '../../../src/contracts/resolution.js';
import type { AvroSchema } from '../../../src/product/types.js';

const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });
const record = (fields: { name: string; type: unknown; default?: unknown }[], name = 'R') => ({ type: 'record', name, fields });

/** Every logical type the docs list, one field each. */
const everyType = record([
  { name: 'amount', type: decimal(12, 2) },
  { name: 'fixedAmount', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 } },
  { name: 'tsMillis', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'tsMicros', type: { type: 'long', logicalType: 'timestamp-micros' } },
  { name: 'localMillis', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
  { name: 'localMicros', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
  { name: 'day', type: { type: 'int', logicalType: 'date' } },
  { name: 'timeMillis', type: { type: 'int', logicalType: 'time-millis' } },
  { name: 'timeMicros', type: { type: 'long', logicalType: 'time-micros' } },
  { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
  { name: 'wait', type: { type: 'fixed', name: 'Duration', size: 12, logicalType: 'duration' } },
  { name: 'maybe', type: ['null', decimal(5, 1)], default: null },
]);

const sample = {
  amount: Decimal.parse('1234567890.12'),
  fixedAmount: Decimal.parse('-0.0001'),
  tsMillis: 253402300799999,
  tsMicros: -1,
  localMillis: 0,
  localMicros: 999,
  day: 19723,
  timeMillis: 86_399_999,
  timeMicros: 1,
  id: '0b6f7c1e-2a41-4c4f-9d2e-6b1a3f5e8c90',
  wait: Buffer.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]),
  maybe: Decimal.parse('12.5'),
};

describe('logical types: one value each', () => {
  it('round-trips every logical type to the documented value', () => {
    const type = avroType(everyType);
    const back = type.fromBuffer(type.toBuffer(sample)) as typeof sample;
    assert.ok(back.amount instanceof Decimal && back.amount.toString() === '1234567890.12');
    assert.equal(back.fixedAmount.toString(), '-0.0001');
    assert.equal(back.maybe.toString(), '12.5');
    const { amount, fixedAmount, maybe, ...rest } = back;
    const { amount: a, fixedAmount: f, maybe: m, ...expected } = sample;
    void [amount, fixedAmount, maybe, a, f, m];
    assert.deepEqual({ ...rest }, expected);
  });

  it('encodes decimals from strings, numbers and bigints, at the schema scale', () => {
    const type = avroType(record([{ name: 'amount', type: decimal(12, 2) }]));
    for (const [input, expected] of [
      ['0.29', '0.29'],
      [0.29, '0.29'],
      ['9999999999.99', '9999999999.99'],
      [-0.01, '-0.01'],
      [7n, '7.00'],
      ['12.3', '12.30'],
    ] as const) {
      const back = type.fromBuffer(type.toBuffer({ amount: input })) as { amount: Decimal };
      assert.equal(back.amount.toString(), expected, String(input));
    }
  });

  it('refuses a decimal with too many digits, more scale than the schema, or not a decimal at all, naming the field', () => {
    const type = avroType(record([{ name: 'amount', type: decimal(4, 2) }]));
    for (const bad of ['123.45', '1.234', 'abc', { cents: 1 }, Number.NaN]) {
      const paths: string[] = [];
      assert.equal(type.isValid({ amount: bad }, { errorHook: (p) => paths.push(p.join('.')) }), false, String(bad));
      assert.deepEqual(paths, ['amount']);
    }
  });

  it("writes a decimal as big-endian two's complement, as Avro and Python's Decimal do", () => {
    assert.deepEqual(signedToBytes(-1n), Buffer.from([0xff]));
    assert.deepEqual(signedToBytes(128n), Buffer.from([0x00, 0x80]));
    assert.deepEqual(signedToBytes(-1n, 4), Buffer.from([0xff, 0xff, 0xff, 0xff]));
    for (const n of [0n, 1n, -1n, 127n, -128n, 255n, 999999999999n, -(2n ** 70n)]) assert.equal(signedFromBytes(signedToBytes(n)), n);
    assert.throws(() => signedToBytes(2n ** 64n, 8), /needs 9 bytes/);
  });

  it('checks uuids on output', () => {
    const type = avroType(record([{ name: 'id', type: { type: 'string', logicalType: 'uuid' } }]));
    assert.equal(type.isValid({ id: 'not-a-uuid' }), false);
    assert.equal(type.isValid({ id: sample.id }), true);
  });
});

describe('longs', () => {
  const schema = record([
    { name: 'small', type: 'long' },
    { name: 'inner', type: record([{ name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } }], 'Inner') },
  ]);
  const big = 2n ** 60n;

  it('with longs: number, refuses a long a double cannot hold, and the bigint reading names its field', () => {
    const bigints = avroType(schema, 'bigint');
    const bytes = bigints.toBuffer({ small: 1n, inner: { at: big } });
    const numbers = avroType(schema);
    assert.throws(() => numbers.fromBuffer(bytes), /beyond what a number holds exactly/);
    assert.equal(unsafeLongPath(numbers, bigints.fromBuffer(bytes)), 'inner.at');
    assert.equal(unsafeLongPath(numbers, { small: 5n, inner: { at: 7n } }), undefined, 'safe bigints are not the culprit');
  });

  it('with longs: number, reads and writes every long within +-(2^53 - 1) exactly, the same bytes as a bigint writer', () => {
    const numbers = avroType(schema);
    const bigints = avroType(schema, 'bigint');
    // avsc's own long turned -9007199254740990 into +9007199254740990 (an odd zigzag form rounded by a double).
    const edges = [
      0,
      -1,
      2 ** 52 - 1,
      2 ** 52,
      -(2 ** 52),
      -(2 ** 52) - 1,
      -9007199254740990,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ];
    for (const n of edges) {
      const bytes = numbers.toBuffer({ small: n, inner: { at: n } });
      assert.deepEqual(bytes, bigints.toBuffer({ small: BigInt(n), inner: { at: BigInt(n) } }), `encoding of ${n}`);
      const back = numbers.fromBuffer(bytes) as { small: number; inner: { at: number } };
      assert.deepEqual([back.small, back.inner.at], [n, n]);
    }
    assert.equal(numbers.isValid({ small: 2 ** 53, inner: { at: 0 } }), false);
    assert.throws(
      () => numbers.fromBuffer(bigints.toBuffer({ small: 2n ** 53n, inner: { at: 0n } })),
      /beyond what a number holds exactly/,
    );
  });

  it('with longs: bigint, reads every long exactly, logical types included, and writes bigints or safe numbers', () => {
    const type = avroType(schema, 'bigint');
    for (const value of [big, -(2n ** 63n), 2n ** 63n - 1n, 0n]) {
      const back = type.fromBuffer(type.toBuffer({ small: value, inner: { at: value } })) as { small: bigint; inner: { at: bigint } };
      assert.deepEqual([back.small, back.inner.at], [value, value]);
    }
    const back = type.fromBuffer(type.toBuffer({ small: 5, inner: { at: Number.MAX_SAFE_INTEGER } })) as {
      small: bigint;
      inner: { at: bigint };
    };
    assert.deepEqual([back.small, back.inner.at], [5n, BigInt(Number.MAX_SAFE_INTEGER)]);
    assert.equal(type.isValid({ small: 2n ** 63n, inner: { at: 0n } }), false);
  });
});

describe('resolution keeps meaning', () => {
  const reader = record([
    { name: 'id', type: 'string' },
    { name: 'amount', type: decimal(12, 2) },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ]);
  const withField = (name: string, type: unknown) => record(reader.fields.map((f) => (f.name === name ? { name, type } : f)));
  const refused: [string, AvroSchema, string][] = [
    ['a string amount (string -> bytes promotion)', withField('amount', 'string'), 'amount'],
    ['a plain bytes amount', withField('amount', 'bytes'), 'amount'],
    ['a decimal of another scale', withField('amount', decimal(12, 3)), 'amount'],
    ['a decimal with more digits', withField('amount', decimal(14, 2)), 'amount'],
    ['a fixed amount', withField('amount', { type: 'fixed', name: 'F', size: 8 }), 'amount'],
    ['micros into millis', withField('at', { type: 'long', logicalType: 'timestamp-micros' }), 'at'],
    ['a local timestamp into a timestamp', withField('at', { type: 'long', logicalType: 'local-timestamp-millis' }), 'at'],
    ['an int promoted into a timestamp', withField('at', 'int'), 'at'],
  ];
  for (const [what, writer, field] of refused) {
    it(`refuses ${what}, naming ${field}`, () => {
      assert.throws(() => avroType(reader).createResolver(avroType(writer)));
      assert.equal(incompatibleField(avroType(reader), avroType(writer)), field);
    });
  }

  it('reads the same meaning: same logical type, a decimal with fewer digits, a plain long into a timestamp', () => {
    for (const writer of [reader, withField('amount', decimal(10, 2)), withField('at', 'long')]) {
      assert.equal(incompatibleField(avroType(reader), avroType(writer)), undefined);
    }
  });

  it('names a field nested in records and arrays', () => {
    const nested = (amountType: unknown) =>
      record([
        { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'amount', type: amountType }] } } },
      ]);
    assert.equal(incompatibleField(avroType(nested(decimal(9, 2))), avroType(nested('string'))), 'lines.amount');
  });
});
