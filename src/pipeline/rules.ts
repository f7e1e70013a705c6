import { isDeepStrictEqual } from 'node:util';
import { Decimal } from '../contracts/decimal.js';
import type { RuleCheck } from '../product/types.js';

/** Reads a dotted path through nested records (avsc gives plain objects, unions unwrapped). */
export function propertyGetter(path: string): (record: unknown) => unknown {
  const parts = path.split('.');
  if (parts.length === 1) {
    const [name] = parts as [string];
    return (record) => (record as Record<string, unknown> | null)?.[name];
  }
  return (record) => {
    let value: unknown = record;
    for (const part of parts) {
      if (value === null || value === undefined || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
}

/**
 * A predicate for a check: true when the value passes. A null or missing value only fails
 * mustNotBeNull (and mustBe/mustNotBe by equality): comparisons and patterns apply to values
 * that are present, so "amount >= 0" on an optional amount does not also mean "required".
 * Numeric operators compare numbers, bigints (longs: bigint) and Decimals exactly: the bound is
 * taken as the decimal written in the descriptor, never as a float against a decimal.
 */
export function compileCheck(check: RuleCheck): (value: unknown) => boolean {
  const absent = (v: unknown) => v === null || v === undefined;
  switch (check.op) {
    case 'mustBe':
      return (v) => sameValue(v ?? null, check.value);
    case 'mustNotBe':
      return (v) => !sameValue(v ?? null, check.value);
    case 'mustNotBeNull':
      return (v) => !absent(v);
    case 'mustBeGreaterThan': {
      const order = orderAgainst(check.value);
      return (v) => absent(v) || order(v) > 0;
    }
    case 'mustBeGreaterOrEqualTo': {
      const order = orderAgainst(check.value);
      return (v) => absent(v) || order(v) >= 0;
    }
    case 'mustBeLessThan': {
      const order = orderAgainst(check.value);
      return (v) => absent(v) || order(v) < 0;
    }
    case 'mustBeLessOrEqualTo': {
      const order = orderAgainst(check.value);
      return (v) => absent(v) || order(v) <= 0;
    }
    case 'mustBeBetween': {
      const [min, max] = check.value;
      const fromMin = orderAgainst(min);
      const fromMax = orderAgainst(max);
      return (v) => absent(v) || (fromMin(v) >= 0 && fromMax(v) <= 0);
    }
    case 'mustMatch': {
      const re = new RegExp(check.value);
      return (v) => absent(v) || (typeof v === 'string' && re.test(v));
    }
    case 'mustBeOneOf': {
      const allowed = check.value;
      return (v) => absent(v) || allowed.some((a) => sameValue(v, a));
    }
  }
}

/**
 * The sign of (value - bound), exactly, for a number, bigint or Decimal value; NaN for anything
 * else (every comparison with NaN is false, so a value of the wrong type fails the rule).
 */
function orderAgainst(bound: number): (value: unknown) => number {
  const exact = Decimal.from(bound);
  return (v) => {
    if (typeof v === 'number') return v - bound;
    if (v instanceof Decimal) return v.compare(exact);
    if (typeof v === 'bigint') return new Decimal(v).compare(exact);
    return Number.NaN;
  };
}

/** Equality as a rule means it: a Decimal or bigint equals the number or string written in the descriptor. */
function sameValue(value: unknown, expected: unknown): boolean {
  if ((value instanceof Decimal || typeof value === 'bigint') && Decimal.isDecimalLike(expected)) {
    return Decimal.from(value).equals(expected);
  }
  return isDeepStrictEqual(value, expected);
}

export interface CompiledCheck {
  readonly name: string;
  readonly property: string;
  /** True when the record passes. */
  readonly passes: (record: unknown) => boolean;
}

export function compileRule(rule: { name: string; property: string; check: RuleCheck }): CompiledCheck {
  const get = propertyGetter(rule.property);
  const test = compileCheck(rule.check);
  return { name: rule.name, property: rule.property, passes: (record) => test(get(record)) };
}
