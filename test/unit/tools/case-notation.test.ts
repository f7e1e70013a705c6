import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Decimal } from '../../../src/contracts/decimal.js';
import { avroType } from '../../../src/contracts/logical-types.js';
import { loadProduct } from '../../../src/product/load.js';
import { CaseNotationError, fromCaseNotation } from '../../../src/tools/case-notation.js';
import { runCases } from '../../../src/tools/cases.js';

const field = (type: unknown, longs: 'number' | 'bigint' = 'number') =>
  avroType({ type: 'record', name: 'R', fields: [{ name: 'v', type }] }, longs);
const read = (type: unknown, v: unknown, longs: 'number' | 'bigint' = 'number') =>
  (fromCaseNotation(field(type, longs), { v }, 'input') as { v: unknown }).v;
const refused = (type: unknown, v: unknown, ...fragments: RegExp[]) => {
  assert.throws(
    () => read(type, v),
    (err: Error) => err instanceof CaseNotationError && fragments.every((f) => f.test(err.message)),
  );
};

const decimal = { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 };

describe('case notation', () => {
  it('reads decimals from quoted text or numbers, exactly', () => {
    assert.equal((read(decimal, '0.29') as Decimal).toString(), '0.29');
    assert.equal((read(decimal, 12.5) as Decimal).toString(), '12.5');
    refused(decimal, 'twelve', /^input\.v: expected decimal\(12,2\), e\.g\. "1234\.55"; got "twelve"$/);
  });

  it('reads timestamps as epoch numbers in the schema unit or ISO-8601, zoned for instants and bare for local ones', () => {
    const millis = { type: 'long', logicalType: 'timestamp-millis' };
    const micros = { type: 'long', logicalType: 'timestamp-micros' };
    assert.equal(read(millis, '1969-12-31T23:59:59.999Z'), -1);
    assert.equal(read(millis, '9999-12-31T23:59:59.999Z'), 253402300799999);
    assert.equal(read(millis, '2026-01-01T13:00:00.250+01:00'), 1767268800250);
    assert.equal(read(millis, 999), 999);
    assert.equal(read(micros, '1970-01-01T00:00:00.000001Z'), 1);
    assert.equal(read(micros, '2026-01-01T00:00:00Z', 'bigint'), 1767225600000000n);
    assert.equal(read({ type: 'long', logicalType: 'local-timestamp-millis' }, '1970-01-01T00:00:01'), 1000);
    refused(millis, '2026-01-01T00:00:00', /expected timestamp-millis, e\.g\. "2026-01-01T12:00:00\.250Z" or 1767268800250/);
    refused(millis, '2026-01-01T00:00:00.000001Z', /has microseconds, but timestamp-millis holds milliseconds/);
    refused({ type: 'long', logicalType: 'local-timestamp-micros' }, '2026-01-01T00:00:00Z', /expected local-timestamp-micros/);
  });

  it('reads dates, times, uuids, bytes (base64 or !!binary) and durations', () => {
    assert.equal(read({ type: 'int', logicalType: 'date' }, '2026-01-01'), 20454);
    assert.equal(read({ type: 'int', logicalType: 'date' }, '1969-12-31'), -1);
    assert.equal(read({ type: 'int', logicalType: 'time-millis' }, '23:59:59.999'), 86399999);
    assert.equal(read({ type: 'long', logicalType: 'time-micros' }, '00:00:00.000001'), 1);
    assert.deepEqual(read('bytes', 'aGVsbG8='), Buffer.from('hello'));
    assert.deepEqual(read('bytes', new Uint8Array([1, 2])), Buffer.from([1, 2]));
    const duration = { type: 'fixed', name: 'D', size: 12, logicalType: 'duration' };
    assert.deepEqual(read(duration, { months: 1, days: 2, milliseconds: 3 }), Buffer.from('010000000200000003000000', 'hex'));
    refused(
      { type: 'fixed', name: 'F', size: 4 },
      'aGVsbG8=',
      /expected fixed\(4\), e\.g\. base64 of 4 bytes, or !!binary; got "aGVsbG8="/,
    );
    refused({ type: 'string', logicalType: 'uuid' }, 'nope', /expected uuid, e\.g\. "0b6f7c1e-/);
  });

  it('reads longs beyond 2^53 from text only with longs: bigint, and refuses them otherwise', () => {
    assert.equal(read('long', '1152921504606846976', 'bigint'), 2n ** 60n);
    assert.equal(read('long', 5, 'bigint'), 5n);
    refused('long', '1152921504606846976', /expected long, e\.g\. 42/);
  });

  it('takes a union value as any branch, or picks a branch by name, and names every branch when none fits', () => {
    const union = ['null', decimal, 'string'];
    assert.equal(read(union, null), null);
    assert.ok(read(union, '0.01') instanceof Decimal, 'the first branch that fits');
    assert.equal(read(union, { string: '0.01' }), '0.01');
    refused(['null', decimal], 'abc', /input\.v: expected one of null \| decimal\(12,2\), got "abc"; write a value of one branch/);
  });

  it("runs the fixture product's cases: every logical type in notation in and out, a decimal rule dead-letter", async () => {
    const { descriptor, transform } = await loadProduct(fileURLToPath(new URL('../../fixtures/products/logical-types', import.meta.url)));
    const results = await runCases(descriptor, transform!);
    assert.deepEqual(
      results.map((r) => [r.name, r.problems]),
      results.map((r) => [r.name, []]),
    );
    assert.equal(results.length, 2);
  });
});
