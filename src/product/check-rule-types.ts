/**
 * A rule or constraint must be able to pass on its field's type: `validate` says so before a
 * worker dead-letters every record (a numeric rule on a string field, a pattern on a decimal).
 * Numeric operators compare int, long, float, double and decimal values (decimals exactly);
 * mustMatch tests strings (enum symbols and uuids are strings); timestamps, dates and times compare
 * as the numbers they are (epoch ms, days); `required` only means something
 * on a field that can be null.
 */
import type avsc from 'avsc';
import type { RuleOperator } from './types.js';

const NUMERIC_OPERATORS = new Set<string>([
  'mustBeGreaterThan',
  'mustBeGreaterOrEqualTo',
  'mustBeLessThan',
  'mustBeLessOrEqualTo',
  'mustBeBetween',
]);
const NUMERIC_TYPES = new Set(['int', 'long', 'abstract:long', 'float', 'double', 'logical:decimal']);
const TEXT_TYPES = new Set(['string', 'enum']);

/** A logical type other than decimal is compared as its underlying value (epoch ms, days, a uuid's text). */
function comparedAs(type: avsc.Type): string {
  if (!type.typeName.startsWith('logical:') || type.typeName === 'logical:decimal') return type.typeName;
  return comparedAs((type as avsc.types.LogicalType).underlyingType);
}

/** Branches of a union (null included), or the type itself. */
function branches(types: readonly avsc.Type[]): avsc.Type[] {
  return types.flatMap((t) => (t.typeName.startsWith('union') ? (t as avsc.types.UnwrappedUnionType).types : [t]));
}

/** How the docs and messages name a type: `string`, `bytes/decimal(12,2)`, `long/timestamp-millis`. */
export function describeType(type: avsc.Type): string {
  if (!type.typeName.startsWith('logical:')) return type.typeName === 'abstract:long' ? 'long' : type.typeName;
  const logical = type as avsc.types.LogicalType & { precision?: number; scale?: number };
  const underlying = describeType(logical.underlyingType);
  const name = type.typeName.slice('logical:'.length);
  return name === 'decimal' ? `${underlying}/decimal(${logical.precision},${logical.scale})` : `${underlying}/${name}`;
}

/**
 * Why `op` cannot work on a field of these types (with the fix), or undefined when it can.
 * `types` are what the property path reaches; `property` and `where` only word the message.
 */
export function ruleTypeProblem(
  op: RuleOperator | 'required',
  types: readonly avsc.Type[],
  property: string,
  where: string,
): string | undefined {
  if (types.length === 0) return undefined;
  const present = branches(types).filter((t) => t.typeName !== 'null');
  const described = [...new Set(branches(types).map(describeType))].join(' | ');
  if (op === 'required') {
    if (branches(types).some((t) => t.typeName === 'null')) return undefined;
    return `${property} is ${described} in ${where}, which cannot be null, so required: adds nothing; remove it from required (a required field is one whose type includes null)`;
  }
  if (NUMERIC_OPERATORS.has(op)) {
    if (present.every((t) => NUMERIC_TYPES.has(comparedAs(t)))) return undefined;
    return (
      `${op} compares numbers, but ${property} is ${described} in ${where}; numeric operators apply to int, long, float, double and ` +
      `decimal fields (a decimal is compared exactly). Compare a numeric field, or use mustMatch / mustBeOneOf for text`
    );
  }
  if (op === 'mustMatch') {
    if (present.every((t) => TEXT_TYPES.has(comparedAs(t)))) return undefined;
    return (
      `mustMatch tests text, but ${property} is ${described} in ${where}; it applies to string, enum and uuid fields. ` +
      `For a number use mustBeBetween: [min, max] (or mustBeGreaterThan and friends)`
    );
  }
  return undefined;
}
