import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decimal } from '../../../src/index.js';

describe('Decimal', () => {
  it('parses plain notation and prints it back with its scale', () => {
    for (const text of ['0.29', '1234567890.12', '9999999999.99', '-0.01', '7', '0.00', '-12.30']) {
      assert.equal(Decimal.parse(text).toString(), text);
    }
    assert.deepEqual([Decimal.parse('-0.01').unscaled, Decimal.parse('-0.01').scale], [-1n, 2]);
    assert.equal(Decimal.parse('+3.5').toString(), '3.5');
  });

  it('refuses what is not plain decimal notation, with an example', () => {
    for (const text of ['', '1e3', '12,34', '.5', '1.', 'abc', '--1']) {
      assert.throws(() => Decimal.parse(text), /not a decimal number: .* \(write it like "12\.34"/);
    }
  });

  it('compares exactly across scales, without floating point', () => {
    assert.equal(Decimal.parse('12.3').compare('12.30'), 0);
    assert.ok(Decimal.parse('12.3').equals(new Decimal(1230n, 2)));
    assert.equal(Decimal.parse('0.1').compare(0.1), 0, 'a number bound means the decimal it prints as');
    assert.equal(Decimal.parse('0.30').compare(0.1 + 0.2), -1, '0.1 + 0.2 prints as 0.30000000000000004');
    assert.equal(Decimal.parse('-0.01').compare(0), -1);
    assert.equal(Decimal.parse('9007199254740993.01').compare('9007199254740993.00'), 1, 'beyond 2^53');
  });

  it('converts to minor units exactly, or refuses to drop digits', () => {
    assert.equal(Decimal.parse('12.34').toMinorUnits(), 1234n);
    assert.equal(Decimal.parse('12.3').toMinorUnits(2), 1230n);
    assert.equal(Decimal.parse('12.00').rescale(0).toString(), '12');
    assert.throws(() => Decimal.parse('12.345').toMinorUnits(2), /more than 2 digits after the point/);
  });

  it('takes numbers, bigints and strings through from(), including exponent forms of numbers', () => {
    assert.equal(Decimal.from(1e-7).toString(), '0.0000001');
    assert.equal(Decimal.from(1.5e21).toString(), '1500000000000000000000');
    assert.equal(Decimal.from(-2.5e-3).toString(), '-0.0025');
    assert.equal(Decimal.from(12n).toString(), '12');
    assert.throws(() => Decimal.from(Number.NaN), /not a decimal/);
    assert.equal(Decimal.parse('0.5').precision, 1);
    assert.equal(Decimal.parse('-123.45').precision, 5);
  });

  it('serialises to JSON as a string, keeping every digit', () => {
    assert.equal(JSON.stringify({ amount: Decimal.parse('1234567890.12') }), '{"amount":"1234567890.12"}');
  });
});
