/**
 * `ctx.lookup` and `ctx.requireLookup` through the real processor and `dataprod test`'s case
 * runner, on the example product that uses a lookup (products/orders-by-tier).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import avsc from 'avsc';
import { SchemaCache, StaticSchemaSource } from '../../../src/contracts/schema-cache.js';
import { frame } from '../../../src/contracts/wire.js';
import { FixtureLookups } from '../../../src/lookups/fixtures.js';
import { DLQ_REASONS, ProductProcessor, type SourceRecord } from '../../../src/pipeline/processor.js';
import { loadProduct } from '../../../src/product/load.js';
import { runCases } from '../../../src/tools/cases.js';
import { defineTransform, type TransformFn } from '../../../src/transform.js';

const EXAMPLE = fileURLToPath(new URL('../../../products/orders-by-tier', import.meta.url));
const { descriptor, transform } = await loadProduct(EXAMPLE);
const port = descriptor.inputPorts[0]!;
const orderType = avsc.Type.forSchema(port.contract.schema as avsc.Schema);

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function order(customerId: string): SourceRecord {
  const value = orderType.toBuffer({
    order_id: 'o-1',
    customer_id: customerId,
    customer_email: null,
    currency: 'eur',
    items: [{ sku: 'SKU-1', quantity: 1, unit_price: 5 }],
    shipping_cost: 0,
    discount: null,
    coupon_code: null,
    channel: 'WEB',
    payment_method: 'CARD',
    shipping_country: 'DE',
    store_id: null,
    is_test: false,
    created_at: 0,
  });
  return { topic: port.topic, partition: 0, offset: '0', timestamp: '0', key: null, value: frame(1, value) };
}

async function processorWith(fn: TransformFn<unknown, unknown>, tables: Record<string, Record<string, unknown>>) {
  const fixtures = new FixtureLookups(descriptor.lookups ?? []);
  const problems: string[] = [];
  fixtures.use(fixtures.parse(tables, new Map(), problems));
  assert.deepEqual(problems, []);
  const cache = new SchemaCache(new StaticSchemaSource(new Map([[1, port.contract.schema]])), new Map([[port.name, port.contract.schema]]));
  await cache.fetch([1]);
  return new ProductProcessor(descriptor, defineTransform(fn), cache, { outputSchemaId: 9, maxOutputBytes: 1e6, lookups: fixtures });
}

describe('ctx.lookup in the transform', () => {
  it('lists lookup-miss among the closed dead-letter reasons', () => {
    assert.ok((DLQ_REASONS as readonly string[]).includes('lookup-miss'));
  });

  it('enriches from the table, and dead-letters a required miss as lookup-miss naming the lookup', async () => {
    const processor = await processorWith(transform.fn, { customers: { 'c-1': { customer_id: 'c-1', name: 'A', tier: 'GOLD' } } });
    const hit = processor.process(order('c-1'));
    assert.equal(hit.kind, 'published');
    assert.equal(hit.kind === 'published' && (hit.outputs[0]!.event as { tier: string }).tier, 'GOLD');
    const miss = processor.process(order('c-2'));
    assert.deepEqual(miss, { kind: 'dead-lettered', error: { reason: 'lookup-miss', stage: 'transform', rule: 'customers', schemaId: 1 } });
  });

  it('returns undefined from ctx.lookup on a miss (the transform decides), and a bad table name is a transform error', async () => {
    const seen: unknown[] = [];
    const processor = await processorWith((_e, ctx) => {
      seen.push(ctx.lookup('customers', 'nobody'));
      return null;
    }, {});
    assert.equal(processor.process(order('c-1')).kind, 'filtered');
    assert.deepEqual(seen, [undefined]);
    const typo = await processorWith((_e, ctx) => ctx.lookup('customer', 'c-1') as never, {});
    const outcome = typo.process(order('c-1'));
    assert.equal(outcome.kind === 'dead-lettered' && outcome.error.reason, 'transform');
    assert.match(outcome.kind === 'dead-lettered' ? outcome.error.detail! : '', /no lookup named "customer"; lookups: customers/);
  });
});

describe('lookup fixtures in case files', () => {
  it('runs the example product cases offline, hits, updates and tombstones included', async () => {
    const results = await runCases(descriptor, transform);
    assert.equal(results.length, 4);
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [],
    );
  });

  it('names a fixture that does not match the lookup schema, and a lookup the product does not declare', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-lookup-cases-'));
    temps.push(dir);
    cpSync(EXAMPLE, dir, { recursive: true });
    writeFileSync(
      join(dir, 'cases', 'outputs.yaml'),
      ['lookups:', '  customers:', '    c-1: { customer_id: c-1, name: A, tier: DIAMOND }', '  suppliers: {}', 'cases: []', ''].join('\n'),
    );
    // Outside the repository `import 'dataprod'` does not resolve: the example's own transform is used.
    const copy = await loadProduct(dir, { loadTransform: false });
    const results = await runCases(copy.descriptor, transform);
    assert.deepEqual(results, [
      {
        file: 'cases/outputs.yaml',
        name: '(file)',
        ok: false,
        problems: [
          'lookups.customers.c-1: does not match the schema of lookup customers at tier',
          'lookups.suppliers: no lookup named "suppliers"; lookups: customers',
        ],
      },
    ]);
  });
});
