import { isDeepStrictEqual } from 'node:util';
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
 */
export function compileCheck(check: RuleCheck): (value: unknown) => boolean {
  const absent = (v: unknown) => v === null || v === undefined;
  switch (check.op) {
    case 'mustBe':
      return (v) => isDeepStrictEqual(v ?? null, check.value);
    case 'mustNotBe':
      return (v) => !isDeepStrictEqual(v ?? null, check.value);
    case 'mustNotBeNull':
      return (v) => !absent(v);
    case 'mustBeGreaterThan':
      return (v) => absent(v) || (typeof v === 'number' && v > check.value);
    case 'mustBeGreaterOrEqualTo':
      return (v) => absent(v) || (typeof v === 'number' && v >= check.value);
    case 'mustBeLessThan':
      return (v) => absent(v) || (typeof v === 'number' && v < check.value);
    case 'mustBeLessOrEqualTo':
      return (v) => absent(v) || (typeof v === 'number' && v <= check.value);
    case 'mustBeBetween': {
      const [min, max] = check.value;
      return (v) => absent(v) || (typeof v === 'number' && v >= min && v <= max);
    }
    case 'mustMatch': {
      const re = new RegExp(check.value);
      return (v) => absent(v) || (typeof v === 'string' && re.test(v));
    }
    case 'mustBeOneOf': {
      const allowed = check.value;
      return (v) => absent(v) || allowed.some((a) => isDeepStrictEqual(a, v));
    }
  }
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
