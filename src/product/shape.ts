/**
 * The shape check of `product.yaml`: the JSON Schema of ./descriptor-schema.ts run by ajv, each
 * ajv error turned into a path and a message that says the fix.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { descriptorSchema } from './descriptor-schema.js';
import { isObj, jsonType, show, type IssueList, type Obj, type Segment } from './issues.js';
import { closest } from './suggest.js';

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    ajv.addKeyword({ keyword: 'x-messages', schemaType: 'object' });
    validator = ajv.compile(descriptorSchema);
  }
  return validator;
}

/** Example values shown when a required field is missing. */
const REQUIRED_EXAMPLES: Record<string, string> = {
  apiVersion: 'apiVersion: dataprod/v1',
  kind: 'kind: DataProduct',
  id: 'id: <domain>.<name>',
  name: 'name: orders-enriched',
  domain: 'domain: sales',
  version: 'version: 1.0.0',
  status: 'status: draft',
  team: 'team: { name: sales-data }',
  inputPorts: 'inputPorts: [{ name: orders, topic: raw.orders, contract: { schema: schemas/raw-order.avsc } }]',
  outputPorts: 'outputPorts: [{ name: orders-enriched, topic: <domain>.<name>.v1, schema: schemas/out.avsc }]',
  contract: 'contract: { schema: schemas/raw-order.avsc }',
  schema: 'schema: schemas/<name>.avsc',
  topic: 'topic: raw.orders',
  property: 'property: amount',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const segments: Segment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const index = Number(key);
      segments.push(index);
      cur = cur[index];
    } else {
      segments.push(key);
      cur = isObj(cur) ? cur[key] : undefined;
    }
  }
  return segments;
}

function schemaIssue(e: ErrorObject, data: unknown): { segments: Segment[]; message: string } {
  const segments = pointerToSegments(e.instancePath, data);
  const parent = (e.parentSchema ?? {}) as Obj;
  const custom = (parent['x-messages'] as Record<string, string> | undefined)?.[e.keyword];
  const params = e.params as Obj;
  switch (e.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      const example = REQUIRED_EXAMPLES[field];
      return { segments: [...segments, field], message: example ? `is required (add e.g. ${example})` : 'is required' };
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((parent.properties as Obj | undefined) ?? {});
      const guess = closest(field, known);
      return {
        segments: [...segments, field],
        message: guess ? `unknown field (did you mean ${guess}?)` : `unknown field; allowed fields here: ${known.join(', ')}`,
      };
    }
    case 'type':
      return { segments, message: custom ?? `must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)} (got ${jsonType(e.data)})` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const got = `got ${show(e.data)}${guess ? `; did you mean ${guess}?` : ''}`;
      return { segments, message: custom ?? `must be one of: ${allowed.join(', ')} (${got})` };
    }
    case 'const':
      return { segments, message: custom ?? `must be ${String(params.allowedValue)} (got ${show(e.data)})` };
    case 'pattern':
      return { segments, message: custom ?? `must match ${String(params.pattern)} (got ${show(e.data)})` };
    case 'minLength':
      return { segments, message: custom ?? 'must not be empty' };
    case 'minItems': {
      const n = Number(params.limit);
      return { segments, message: custom ?? `must have at least ${n} item${n === 1 ? '' : 's'}` };
    }
    case 'maxItems': {
      const n = Number(params.limit);
      return { segments, message: custom ?? `must have at most ${n} item${n === 1 ? '' : 's'}` };
    }
    case 'exclusiveMinimum':
      return { segments, message: custom ?? `must be greater than ${String(params.limit)} (got ${show(e.data)})` };
    case 'maximum':
      return { segments, message: custom ?? `must be at most ${String(params.limit)} (got ${show(e.data)})` };
    default:
      return { segments, message: custom ?? e.message ?? `is invalid (${e.keyword})` };
  }
}

/** Adds an issue per JSON Schema violation of `data`. */
export function checkShape(data: unknown, issues: IssueList): void {
  const validate = getValidator();
  if (validate(data)) return;
  for (const e of validate.errors ?? []) {
    const { segments, message } = schemaIssue(e, data);
    issues.add(segments, message);
  }
}
