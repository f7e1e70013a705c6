import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCheck, compileRule, propertyGetter } from '../../../src/pipeline/rules.js';

describe('rule checks', () => {
  it('reads dotted paths through nested records and nulls', () => {
    const get = propertyGetter('customer.address.city');
    assert.equal(get({ customer: { address: { city: 'Lyon' } } }), 'Lyon');
    assert.equal(get({ customer: null }), undefined);
    assert.equal(propertyGetter('amount')({ amount: 3 }), 3);
  });

  it('compares numbers and lets absent values pass everything but mustNotBeNull', () => {
    const gte = compileCheck({ op: 'mustBeGreaterOrEqualTo', value: 0 });
    assert.equal(gte(0), true);
    assert.equal(gte(-0.01), false);
    assert.equal(gte(null), true);
    assert.equal(gte('5'), false, 'a string is not a number');
    assert.equal(compileCheck({ op: 'mustNotBeNull', value: true })(null), false);
    assert.equal(compileCheck({ op: 'mustNotBeNull', value: true })(0), true);
    const between = compileCheck({ op: 'mustBeBetween', value: [1, 3] });
    assert.deepEqual([0, 1, 3, 4].map(between), [false, true, true, false]);
    assert.equal(compileCheck({ op: 'mustBeGreaterThan', value: 1 })(1), false);
    assert.equal(compileCheck({ op: 'mustBeLessThan', value: 1 })(0.5), true);
    assert.equal(compileCheck({ op: 'mustBeLessOrEqualTo', value: 1 })(1.5), false);
  });

  it('matches patterns, sets and exact values', () => {
    const iso = compileCheck({ op: 'mustMatch', value: '^[A-Za-z]{3}$' });
    assert.equal(iso('eur'), true);
    assert.equal(iso('euro'), false);
    assert.equal(iso(42), false);
    const oneOf = compileCheck({ op: 'mustBeOneOf', value: ['web', 'app'] });
    assert.equal(oneOf('web'), true);
    assert.equal(oneOf('store'), false);
    assert.equal(compileCheck({ op: 'mustBe', value: true })(true), true);
    assert.equal(compileCheck({ op: 'mustBe', value: null })(undefined), true);
    assert.equal(compileCheck({ op: 'mustNotBe', value: 'test' })('test'), false);
  });

  it('compiles a named rule against a property', () => {
    const rule = compileRule({
      name: 'shipping-non-negative',
      property: 'shipping.cost',
      check: { op: 'mustBeGreaterOrEqualTo', value: 0 },
    });
    assert.equal(rule.passes({ shipping: { cost: 1 } }), true);
    assert.equal(rule.passes({ shipping: { cost: -1 } }), false);
  });
});
