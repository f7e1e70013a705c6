/**
 * The descriptor's shape is written once, as the JSON Schema of src/product/descriptor-schema.ts;
 * RawDescriptor is derived from it by FromSchema. These checks fail when the two drift: half of
 * them at compile time (`npm run typecheck`), half when ajv runs here.
 * - FULL sets every field the type allows, at every depth (DeepRequired), and ajv accepts it: a
 *   field the type has but the schema refuses, or types differently, fails here; a field added to
 *   the schema fails to compile until FULL sets it.
 * - Each BROKEN entry is refused by the type (@ts-expect-error, which fails to compile once the
 *   type accepts it) and by ajv at the given path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descriptorSchema, OPERATOR_PROPERTIES, type RawDescriptor } from '../../../src/product/descriptor-schema.js';
import { IssueList } from '../../../src/product/issues.js';
import { checkShape } from '../../../src/product/shape.js';
import type { RuleCheck, RuleOperator } from '../../../src/product/types.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type DeepRequired<T> = T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;
type RawRule = NonNullable<RawDescriptor['quality']>[number];
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

export type _TypeChecks = [
  Expect<Equal<RequiredKeys<RawDescriptor>, (typeof descriptorSchema.required)[number]>>,
  Expect<Equal<keyof RawDescriptor, keyof typeof descriptorSchema.properties>>,
  Expect<Equal<RuleOperator, keyof typeof OPERATOR_PROPERTIES>>,
  Expect<Equal<Extract<RuleCheck, { op: 'mustBeBetween' }>['value'], [number, number]>>,
  Expect<Equal<Extract<RuleCheck, { op: 'mustNotBeNull' }>['value'], true>>,
];

/** Every operator at once: the schema allows it, "exactly one" is a semantic check. */
const ALL_OPERATORS = {
  mustBe: 'EUR',
  mustNotBe: 0,
  mustBeGreaterThan: 0,
  mustBeGreaterOrEqualTo: 0,
  mustBeLessThan: 100,
  mustBeLessOrEqualTo: 100,
  mustBeBetween: [0, 100],
  mustNotBeNull: true,
  mustMatch: '^[A-Z]{3}$',
  mustBeOneOf: ['EUR', 'USD'],
} satisfies Required<Pick<RawRule, RuleOperator>>;

const FULL: DeepRequired<RawDescriptor> = {
  apiVersion: 'dataprod/v1',
  kind: 'DataProduct',
  id: 'sales.orders-enriched',
  name: 'orders-enriched',
  domain: 'sales',
  version: '1.4.0-rc.1',
  status: 'active',
  description: { purpose: 'Orders in EUR.', usage: 'Join on order_id.', limitations: 'None.' },
  team: { name: 'sales-data', members: [{ username: 'ada', role: 'owner' }] },
  support: [{ channel: '#sales-data', url: 'https://example.com/sales-data' }],
  inputPorts: [
    {
      name: 'orders',
      topic: 'raw.orders',
      contract: {
        subject: 'raw.orders-value',
        schema: 'schemas/raw-order.avsc',
        required: ['order_id'],
        constraints: [{ name: 'positive-amount', property: 'amount', ...ALL_OPERATORS }],
      },
      onInvalid: 'fail',
    },
  ],
  transform: 'transform.ts',
  outputPorts: [
    {
      name: 'orders-enriched',
      topic: 'sales.orders-enriched.v1',
      key: 'order_id',
      eventTime: 'created_at',
      schema: 'schemas/orders-enriched.avsc',
      compatibility: 'FULL',
      classification: { customer_email: 'pii' },
    },
  ],
  deadLetter: { topic: 'sales.orders-enriched.dlq' },
  delivery: 'exactly-once',
  longs: 'bigint',
  quality: [{ name: 'known-currency', port: 'orders', property: 'currency', ...ALL_OPERATORS, onFailure: 'warn' }],
  slaProperties: [{ property: 'latency', value: 2, unit: 's', objective: 99.5 }],
  sunset: '2027-03-31',
  successor: 2,
  lookups: [{ name: 'customers', topic: 'ref.customers', schema: 'schemas/customer.avsc', store: 'disk' }],
};

function shapeIssues(data: unknown): string[] {
  const issues = new IssueList();
  checkShape(data, issues);
  return issues.items.map((i) => i.path);
}

/** A copy of FULL with one change, made through the RawDescriptor type so that its verdict is checked too. */
function broken(change: (d: RawDescriptor) => void): unknown {
  const copy = structuredClone(FULL);
  change(copy);
  return copy;
}

const BROKEN: [path: string, data: unknown][] = [
  // @ts-expect-error a required field missing
  ['team', broken((d) => delete d.team)],
  // @ts-expect-error an unknown field
  ['team.lead', broken((d) => (d.team.lead = 'ada'))],
  // @ts-expect-error a value outside an enum
  ['status', broken((d) => (d.status = 'live'))],
  // @ts-expect-error a const
  ['apiVersion', broken((d) => (d.apiVersion = 'dataprod/v2'))],
  // @ts-expect-error a string where a number belongs
  ['slaProperties[0].value', broken((d) => (d.slaProperties![0]!.value = '2'))],
  // @ts-expect-error an unknown lookup store
  ['lookups[0].store', broken((d) => (d.lookups![0]!.store = 'redis'))],
  // @ts-expect-error a second output port
  ['outputPorts', broken((d) => (d.outputPorts[1] = d.outputPorts[0]))],
  // @ts-expect-error an unknown classification
  ['outputPorts[0].classification.customer_email', broken((d) => (d.outputPorts[0].classification!.customer_email = 'secret'))],
  // @ts-expect-error mustBeBetween with three bounds
  ['quality[0].mustBeBetween', broken((d) => (d.quality![0]!.mustBeBetween = [0, 1, 2]))],
  // @ts-expect-error mustNotBeNull: false
  ['quality[0].mustNotBeNull', broken((d) => (d.quality![0]!.mustNotBeNull = false))],
  // @ts-expect-error a quality rule without a name
  ['quality[0].name', broken((d) => delete d.quality![0]!.name)],
];

describe('descriptor schema and RawDescriptor (derived from it) agree', () => {
  it('ajv accepts a descriptor that sets every field RawDescriptor allows', () => {
    assert.deepEqual(shapeIssues(FULL), []);
  });

  for (const [path, data] of BROKEN) {
    it(`ajv refuses what RawDescriptor refuses: ${path}`, () => {
      assert.ok(shapeIssues(data).includes(path), `expected a shape issue at ${path}; got ${shapeIssues(data).join(', ') || 'none'}`);
    });
  }
});
