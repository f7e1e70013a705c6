/**
 * Contract constraints and quality rules: exactly one valid operator each, properties that are
 * fields of the port's schema, unique names, and a port for every quality rule.
 */
import { fieldTypes, findField, missingFieldMessage } from './avro-fields.js';
import { ruleTypeProblem } from './check-rule-types.js';
import { RULE_OPERATORS } from './descriptor-schema.js';
import { formatPath, isObj, list, type IssueList, type Obj, type Segment } from './issues.js';
import type { PortInfo, SemanticContext } from './semantic-context.js';
import { closest } from './suggest.js';
import type { RuleOperator } from './types.js';

const RULE_KEYS = new Set<string>(['name', 'property', 'port', 'onFailure', ...RULE_OPERATORS]);

export function checkRules(ctx: SemanticContext, ports: readonly PortInfo[]): void {
  const inputs = list(ctx.root.inputPorts);
  for (let i = 0; i < inputs.length; i++) {
    const port = inputs[i];
    if (isObj(port) && isObj(port.contract)) checkContract(ctx, ports[i]!, port.contract, ['inputPorts', i, 'contract']);
  }
  checkQuality(ctx, ports);
}

/** `required` and `constraints` of one input contract; their names (explicit or derived) are unique in the port. */
function checkContract(ctx: SemanticContext, info: PortInfo, contract: Obj, cbase: Segment[]): void {
  const { issues } = ctx;
  const constraintNames = new Map<string, string>();
  const claimName = (constraintName: string, segments: Segment[], explicit: boolean) => {
    const first = constraintNames.get(constraintName);
    if (first !== undefined) {
      issues.add(
        segments,
        `duplicate constraint name ${constraintName} in this port (also ${first})` +
          (explicit ? '; names must be unique' : '; set a distinct name: on one of them'),
      );
    } else constraintNames.set(constraintName, formatPath(segments));
  };
  const required = list(contract.required);
  for (let j = 0; j < required.length; j++) {
    const segments: Segment[] = [...cbase, 'required', j];
    checkProperty(info, required[j], segments, issues);
    checkRuleType(info, required[j], 'required', segments, issues);
    if (typeof required[j] === 'string') claimName(`required-${String(required[j])}`, segments, false);
  }
  const constraints = list(contract.constraints);
  for (let j = 0; j < constraints.length; j++) {
    const c = constraints[j];
    if (!isObj(c)) continue;
    const segments: Segment[] = [...cbase, 'constraints', j];
    const op = checkOperators(c, segments, issues, 'constraint');
    checkProperty(info, c.property, [...segments, 'property'], issues);
    if (op !== undefined) checkRuleType(info, c.property, op, [...segments, op], issues);
    const explicitName = ctx.validString([...segments, 'name'], c.name);
    if (explicitName !== undefined) claimName(explicitName, [...segments, 'name'], true);
    else if (op !== undefined && typeof c.property === 'string') claimName(`${op}-${c.property}`, segments, false);
  }
}

function checkQuality(ctx: SemanticContext, ports: readonly PortInfo[]): void {
  const { issues, validString } = ctx;
  const qualityNames = new Map<string, number>();
  const rules = list(ctx.root.quality);
  const inputCount = list(ctx.root.inputPorts).length;
  const portNameList = ports.map((p) => p.name).filter((n): n is string => n !== undefined);
  const knownPorts = [...new Set(portNameList)];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!isObj(rule)) continue;
    const base: Segment[] = ['quality', i];
    const ruleName = validString([...base, 'name'], rule.name);
    if (ruleName !== undefined) {
      const first = qualityNames.get(ruleName);
      if (first !== undefined)
        issues.add([...base, 'name'], `duplicate quality rule name ${ruleName} (also quality[${first}].name); names must be unique`);
      else qualityNames.set(ruleName, i);
    }
    const op = checkOperators(rule, base, issues, 'rule');

    let port: PortInfo | undefined;
    if (rule.port === undefined) {
      if (inputCount === 1) port = ports[0];
      else if (inputCount > 1) {
        issues.add(
          [...base, 'port'],
          `is required because the product has ${inputCount} input ports; set port: to one of: ${knownPorts.join(', ')}`,
        );
      }
    } else {
      const portName = validString([...base, 'port'], rule.port);
      if (portName !== undefined && portNameList.length === ports.length) {
        port = ports.find((p) => p.name === portName);
        if (!port) {
          const guess = closest(portName, knownPorts);
          issues.add(
            [...base, 'port'],
            `${portName} is not an input port${guess ? ` (did you mean ${guess}?)` : ''}; input ports: ${knownPorts.join(', ')}`,
          );
        }
      }
    }
    checkProperty(port, rule.property, [...base, 'property'], issues);
    if (op !== undefined) checkRuleType(port, rule.property, op, [...base, op], issues);
  }
}

/** A rule whose operator cannot apply to its field's type (the field exists; checkProperty said so otherwise). */
function checkRuleType(
  port: PortInfo | undefined,
  property: unknown,
  op: RuleOperator | 'required',
  segments: Segment[],
  issues: IssueList,
): void {
  const schema = port?.schema;
  if (typeof property !== 'string' || !schema?.type || issues.has(segments)) return;
  const problem = ruleTypeProblem(
    op,
    fieldTypes(schema.type, property),
    property,
    `input port ${port?.name ?? `inputPorts[${port?.index}]`} (${schema.rel})`,
  );
  if (problem !== undefined) issues.add(segments, problem);
}

/** Reports an operator problem; returns the operator when the entry has exactly one. */
function checkOperators(entry: Obj, segments: Segment[], issues: IssueList, what: string): RuleOperator | undefined {
  const ops = RULE_OPERATORS.filter((op) => op in entry);
  for (const op of ops) {
    const value = entry[op];
    if (op === 'mustMatch' && typeof value === 'string') {
      try {
        new RegExp(value);
      } catch (err) {
        issues.add([...segments, op], `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    if (op === 'mustBeBetween' && Array.isArray(value) && value.length === 2) {
      const [min, max] = value as unknown[];
      if (typeof min === 'number' && typeof max === 'number' && min > max) {
        issues.add([...segments, op], `min ${min} is greater than max ${max}; write [min, max], e.g. [${max}, ${min}]`);
      }
    }
  }
  if (ops.length === 0) {
    // An unknown key (likely a misspelt operator) was already reported with a suggestion.
    if (Object.keys(entry).some((k) => !RULE_KEYS.has(k))) return undefined;
    issues.add(segments, `${what} has no operator; add exactly one of: ${RULE_OPERATORS.join(', ')}`);
    return undefined;
  }
  if (ops.length > 1) {
    issues.add(
      segments,
      `${what} has ${ops.length} operators (${ops.join(', ')}); use exactly one per ${what}: split it into ${ops.length} entries` +
        (ops.every((op) => /^mustBe(Greater|Less)/.test(op)) ? ' or use mustBeBetween: [min, max]' : ''),
    );
    return undefined;
  }
  return ops[0];
}

function checkProperty(port: PortInfo | undefined, property: unknown, segments: Segment[], issues: IssueList): void {
  if (typeof property !== 'string' || issues.has(segments)) return;
  const schema = port?.schema;
  if (!schema?.type) return;
  const missing = findField(schema.type, property);
  if (!missing) return;
  const where = `input port ${port?.name ?? `inputPorts[${port?.index}]`} (${schema.rel})`;
  issues.add(segments, missingFieldMessage(property, where, missing, schema.type));
}
