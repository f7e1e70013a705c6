/**
 * The descriptor changes `dataprod check` reports to consumers: each kind once, and nothing for
 * changes that keep or tighten a promise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descriptorChanges } from '../../../src/evolution/descriptor-changes.js';
import type { ProductDescriptor, QualityRule, SlaProperty } from '../../../src/product/types.js';

const rule = (name: string): QualityRule => ({
  name,
  port: 'orders',
  property: 'amount',
  check: { op: 'mustBeGreaterOrEqualTo', value: 0 },
  onFailure: 'dlq',
});

function product(changes: Partial<ProductDescriptor> & { classification?: Record<string, string> } = {}): ProductDescriptor {
  const { classification = { customer_email: 'pii' }, ...rest } = changes;
  return {
    id: 'sales.orders',
    status: 'active',
    output: { classification, compatibility: 'FULL_TRANSITIVE' },
    delivery: 'exactly-once',
    quality: [rule('amount-non-negative')],
    slaProperties: [
      { property: 'latency', value: 30, unit: 's', objective: 99.5 },
      { property: 'completeness', value: 99.9, unit: 'percent' },
    ] as SlaProperty[],
    ...rest,
  } as unknown as ProductDescriptor;
}

describe('descriptorChanges', () => {
  it('reports nothing for the same descriptor, or a tightened SLA and an added rule', () => {
    assert.deepEqual(descriptorChanges(product(), product()), []);
    const tighter = product({
      quality: [rule('amount-non-negative'), rule('another')],
      slaProperties: [
        { property: 'latency', value: 10, unit: 's', objective: 99.9 },
        { property: 'completeness', value: 99.99, unit: 'percent' },
      ],
    });
    assert.deepEqual(descriptorChanges(product(), tighter), []);
  });

  it('reports a status change, a newly pii field, a removed rule, a loosened and a removed SLA, a sunset', () => {
    const next = product({
      status: 'deprecated',
      lifecycle: { sunset: '2027-03-31', successor: { major: 2, topic: 'sales.orders.v2' } },
      classification: { customer_email: 'pii', customer_id: 'pii', note: 'internal' },
      quality: [],
      slaProperties: [{ property: 'latency', value: 30, unit: 's', objective: 99 }],
    });
    assert.deepEqual(
      descriptorChanges(product(), next).map((n) => n.path),
      [
        'status',
        'sunset',
        'outputPorts[0].classification.customer_id',
        'quality[amount-non-negative]',
        'slaProperties[latency]',
        'slaProperties[completeness]',
      ],
    );
    const messages = descriptorChanges(product(), next).map((n) => n.message);
    assert.match(messages[1]!, /stops on 2027-03-31; its successor is sales\.orders\.v2/);
    assert.match(messages[4]!, /loosened: was 99\.5% .* now 99% /);
    assert.match(messages[5]!, /the completeness SLA is removed/);
  });

  it('reports a weaker compatibility mode and exactly-once given up, not a stricter mode', () => {
    const weaker = product({ delivery: 'at-least-once' });
    (weaker as unknown as { output: object }).output = { classification: { customer_email: 'pii' }, compatibility: 'BACKWARD' };
    assert.deepEqual(
      descriptorChanges(product(), weaker).map((n) => n.path),
      ['outputPorts[0].compatibility', 'delivery'],
    );
    assert.deepEqual(descriptorChanges(weaker, product()), []);
  });

  it('says what a field was classified before it became pii', () => {
    const [notice] = descriptorChanges(product({ classification: { email: 'internal' } }), product({ classification: { email: 'pii' } }));
    assert.match(notice!.message, /email is newly classified pii \(was internal\)/);
  });
});
