/**
 * The JSON Schema of `product.yaml` (see docs/descriptor.md), the one place its shape is written:
 * ajv checks it (./shape.ts), and RawDescriptor, the type of a descriptor that passed, is derived
 * from it (./schema-type.ts), as are the enum and rule types of ./types.ts. It checks the shape:
 * types, enums, patterns, unknown keys. What needs more than one field or the file system (topic
 * suffix vs version, schema files, property paths, "exactly one operator") is checked in
 * ./semantics.ts.
 *
 * `x-messages` is our own annotation keyword: per failing JSON Schema keyword, the human message
 * to show instead of ajv's (e.g. `{ pattern: 'must be kebab-case ...' }`).
 */
import type { FromSchema, JsonSchema } from './schema-type.js';

export const API_VERSION = 'dataprod/v1';
export const KIND = 'DataProduct';

export const PRODUCT_STATUSES = ['draft', 'active', 'deprecated', 'retired'] as const;
export const ON_INVALID = ['dlq', 'drop', 'fail'] as const;
export const ON_RULE_FAILURE = ['dlq', 'drop', 'warn'] as const;
export const COMPATIBILITIES = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;
export const DELIVERIES = ['at-least-once', 'exactly-once'] as const;
export const CLASSIFICATIONS = ['pii', 'confidential', 'internal', 'public'] as const;
export const SLA_PROPERTIES = ['latency', 'freshness', 'completeness', 'errorRate'] as const;
/** How Avro longs reach the transform (docs/contracts.md): numbers, or bigints for the full 64-bit range. */
export const LONGS = ['number', 'bigint'] as const;
export const LOOKUP_STORES = ['memory', 'disk'] as const;

export const DEFAULT_TRANSFORM = 'transform.ts';
export const DEFAULT_ON_INVALID: (typeof ON_INVALID)[number] = 'dlq';
export const DEFAULT_ON_RULE_FAILURE: (typeof ON_RULE_FAILURE)[number] = 'dlq';
export const DEFAULT_COMPATIBILITY: (typeof COMPATIBILITIES)[number] = 'BACKWARD_TRANSITIVE';
export const DEFAULT_DELIVERY: (typeof DELIVERIES)[number] = 'at-least-once';
export const DEFAULT_LONGS: (typeof LONGS)[number] = 'number';
export const DEFAULT_LOOKUP_STORE: (typeof LOOKUP_STORES)[number] = 'memory';

export const NAME_PATTERN = '^[a-z][a-z0-9-]*$';
export const TOPIC_PATTERN = '^[a-zA-Z0-9._-]{1,249}$';
/** A calendar day, YYYY-MM-DD (./check-lifecycle.ts checks that the day exists). */
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
export const SEMVER_PATTERN = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

const kebabName = (what: string) =>
  ({
    type: 'string',
    pattern: NAME_PATTERN,
    'x-messages': {
      pattern:
        'must be kebab-case: a lowercase letter, then lowercase letters, digits or "-" (e.g. orders-enriched); ' + `it is used in ${what}`,
    },
  }) as const satisfies JsonSchema;

const topic = {
  type: 'string',
  pattern: TOPIC_PATTERN,
  not: { enum: ['.', '..'] },
  'x-messages': {
    pattern: 'must be a valid Kafka topic name: 1 to 249 characters among letters, digits, ".", "_" and "-"',
    not: 'must not be "." or ".." (Kafka rejects these topic names)',
  },
} as const satisfies JsonSchema;

const relativeFile = (example: string) =>
  ({
    type: 'string',
    minLength: 1,
    'x-messages': { minLength: `must be a file path relative to the product folder, e.g. ${example}` },
  }) as const satisfies JsonSchema;

/**
 * One property per operator, in the order they are listed to the user; a rule or constraint must
 * use exactly one (checked in ./check-rules.ts). RuleCheck in ./types.ts is derived from it.
 */
export const OPERATOR_PROPERTIES = {
  mustBe: {},
  mustNotBe: {},
  mustBeGreaterThan: { type: 'number' },
  mustBeGreaterOrEqualTo: { type: 'number' },
  mustBeLessThan: { type: 'number' },
  mustBeLessOrEqualTo: { type: 'number' },
  mustBeBetween: {
    type: 'array',
    minItems: 2,
    maxItems: 2,
    items: { type: 'number' },
    'x-messages': {
      type: 'must be [min, max]: a list of two numbers',
      minItems: 'must be [min, max]: a list of two numbers',
      maxItems: 'must be [min, max]: a list of two numbers',
    },
  },
  mustNotBeNull: { const: true, 'x-messages': { const: 'must be true (mustNotBeNull: true); to allow nulls, remove the rule' } },
  mustMatch: { type: 'string', 'x-messages': { type: 'must be a regular expression as a string, e.g. "^[A-Z]{3}$"' } },
  mustBeOneOf: {
    type: 'array',
    minItems: 1,
    'x-messages': {
      type: 'must be a list of allowed values, e.g. [EUR, USD]',
      minItems: 'must list at least one allowed value',
    },
  },
} as const satisfies Record<string, JsonSchema>;

export type RuleOperator = keyof typeof OPERATOR_PROPERTIES;
export const RULE_OPERATORS = Object.keys(OPERATOR_PROPERTIES) as readonly RuleOperator[];

const property = {
  type: 'string',
  minLength: 1,
  'x-messages': { minLength: 'must be a field path of the record, e.g. amount or customer.email' },
} as const satisfies JsonSchema;

export const descriptorSchema = {
  $id: 'https://dataprod.dev/schemas/product-v1.json',
  title: 'dataprod product descriptor (product.yaml)',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'id', 'name', 'domain', 'version', 'status', 'team', 'inputPorts', 'outputPorts'],
  properties: {
    apiVersion: { const: API_VERSION },
    kind: { const: KIND },
    id: {
      type: 'string',
      minLength: 1,
      'x-messages': { minLength: 'must be <domain>.<name>, e.g. sales.orders-enriched' },
    },
    name: kebabName('the product topic <domain>.<name>.v<major>'),
    domain: kebabName('the product topic <domain>.<name>.v<major>'),
    version: {
      type: 'string',
      pattern: SEMVER_PATTERN,
      'x-messages': {
        type: 'must be a semantic version as a string, e.g. 1.4.0',
        pattern: 'must be a semantic version MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.4.0 or 2.0.0-rc.1',
      },
    },
    status: { enum: PRODUCT_STATUSES },
    description: {
      type: 'object',
      additionalProperties: false,
      properties: {
        purpose: { type: 'string' },
        usage: { type: 'string' },
        limitations: { type: 'string' },
      },
    },
    team: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        members: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['username', 'role'],
            properties: {
              username: { type: 'string', minLength: 1 },
              role: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
    support: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          channel: { type: 'string' },
          url: { type: 'string' },
        },
      },
    },
    inputPorts: {
      type: 'array',
      minItems: 1,
      'x-messages': { minItems: 'must list at least one input port' },
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'topic', 'contract'],
        properties: {
          name: kebabName('DLQ headers, metrics and quality rules'),
          topic,
          contract: {
            type: 'object',
            additionalProperties: false,
            required: ['schema'],
            properties: {
              subject: { type: 'string', minLength: 1 },
              schema: relativeFile('schemas/raw-order.avsc'),
              required: { type: 'array', items: property },
              constraints: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['property'],
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    property,
                    ...OPERATOR_PROPERTIES,
                  },
                },
              },
            },
          },
          onInvalid: { enum: ON_INVALID },
        },
      },
    },
    transform: relativeFile(DEFAULT_TRANSFORM),
    outputPorts: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      'x-messages': {
        minItems: 'must list exactly one output port',
        maxItems: 'only one output port per product is supported for now; keep one and move the others to their own products',
      },
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'topic', 'schema'],
        properties: {
          name: kebabName('metrics and logs'),
          topic,
          key: { type: 'string', minLength: 1 },
          eventTime: { type: 'string', minLength: 1 },
          schema: relativeFile('schemas/orders-enriched.avsc'),
          compatibility: { enum: COMPATIBILITIES },
          classification: {
            type: 'object',
            additionalProperties: { enum: CLASSIFICATIONS },
          },
        },
      },
    },
    deadLetter: {
      type: 'object',
      additionalProperties: false,
      required: ['topic'],
      properties: { topic },
    },
    delivery: { enum: DELIVERIES },
    longs: { enum: LONGS },
    quality: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'property'],
        properties: {
          name: { type: 'string', minLength: 1 },
          port: { type: 'string', minLength: 1 },
          property,
          ...OPERATOR_PROPERTIES,
          onFailure: { enum: ON_RULE_FAILURE },
        },
      },
    },
    sunset: {
      type: 'string',
      pattern: DATE_PATTERN,
      'x-messages': {
        type: 'must be a date YYYY-MM-DD in quotes or not, e.g. 2027-03-31: the day the product stops',
        pattern: 'must be a date YYYY-MM-DD, e.g. 2027-03-31: the day the product stops',
      },
    },
    successor: {
      type: 'integer',
      exclusiveMinimum: 0,
      'x-messages': {
        type: 'must be the major version number that replaces this one, e.g. 2 (its topic is <domain>.<name>.v2)',
        exclusiveMinimum: 'must be the major version number that replaces this one, e.g. 2 (its topic is <domain>.<name>.v2)',
      },
    },
    slaProperties: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['property', 'value'],
        properties: {
          property: { enum: SLA_PROPERTIES },
          value: { type: 'number', exclusiveMinimum: 0 },
          unit: { type: 'string', minLength: 1 },
          objective: {
            type: 'number',
            exclusiveMinimum: 0,
            maximum: 100,
            'x-messages': {
              exclusiveMinimum: 'must be a percentage: greater than 0 and at most 100, e.g. 99.5',
              maximum: 'must be a percentage: greater than 0 and at most 100, e.g. 99.5',
            },
          },
        },
      },
    },
    lookups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'topic', 'schema'],
        properties: {
          name: kebabName('ctx.lookup(name, key) and the lookup metrics'),
          topic,
          schema: relativeFile('schemas/customer.avsc'),
          store: { enum: LOOKUP_STORES },
        },
      },
    },
  },
} as const satisfies JsonSchema;

/** A `product.yaml` that passed the shape check, as read from YAML: before defaults and compilation. */
export type RawDescriptor = FromSchema<typeof descriptorSchema>;
