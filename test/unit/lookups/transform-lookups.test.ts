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
import { Decimal } from '../../../src/contracts/decimal.js';
import { avroType } from '../../../src/contracts/logical-types.js';
import { SchemaCache, StaticSchemaSource } from '../../../src/contracts/schema-cache.js';
import { frame } from '../../../src/contracts/wire.js';
import { DiskStore } from '../../../src/lookups/disk-store.js';
import { FixtureLookups } from '../../../src/lookups/fixtures.js';
import { decodeTableRecord, tableReading } from '../../../src/lookups/table-codec.js';
import { DLQ_REASONS, ProductProcessor, type SourceRecord } from '../../../src/pipeline/processor.js';
import { loadProduct } from '../../../src/product/load.js';
import { runCases } from '../../../src/tools/cases.js';
import { defineTransform, type TransformFn } from '../../../src/transform.js';

const EXAMPLE = fileURLToPath(new URL('../../../products/orders-by-tier', import.meta.url));
const { descriptor, transform } = await loadProduct(EXAMPLE);
const port = descriptor.inputPorts[0]!;
const orderType = avsc.Type.forSchema(port.contract.schema as avsc.Schema);

const ACCOUNT = {
  type: 'record',
  name: 'Account',
  fields: [
    { name: 'credit', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'since', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'visits', type: 'long' },
  ],
};

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
          'lookups.customers.c-1.tier: expected com.shop.crm.CustomerTier, e.g. BRONZE | SILVER | GOLD; got "DIAMOND"',
          'lookups.suppliers: no lookup named "suppliers"; lookups: customers',
        ],
      },
    ]);
  });

  it('reads fixture values in the case notation of logical types and longs, as a table record would decode', () => {
    const lookups = [{ name: 'accounts', topic: 't', schemaFile: 'a.avsc', schema: ACCOUNT, store: 'memory' as const }];
    for (const longs of ['number', 'bigint'] as const) {
      const fixtures = new FixtureLookups(lookups, longs);
      const problems: string[] = [];
      const big = longs === 'bigint' ? '9007199254740993' : 12;
      fixtures.use(
        fixtures.parse({ accounts: { a: { credit: '12.30', since: '2026-01-01T00:00:00.250Z', visits: big } } }, new Map(), problems),
      );
      assert.deepEqual(problems, []);
      const value = fixtures.get('accounts', 'a') as { credit: Decimal; since: unknown; visits: unknown };
      assert.ok(value.credit instanceof Decimal);
      assert.equal(value.credit.toString(), '12.30');
      assert.equal(value.since, longs === 'bigint' ? 1767225600250n : 1767225600250);
      assert.equal(value.visits, longs === 'bigint' ? 9007199254740993n : 12);
    }
    const problems: string[] = [];
    new FixtureLookups(lookups).parse({ accounts: { a: { credit: 'lots', since: 0, visits: 1 } } }, new Map(), problems);
    assert.deepEqual(problems, ['lookups.accounts.a.credit: expected decimal(9,2), e.g. "1234.55"; got "lots"']);
  });
});

describe('lookup table records', () => {
  it('decode with the product longs, and a disk store keeps what they decode to', async () => {
    const source = new StaticSchemaSource(new Map([[1, ACCOUNT]]));
    const body = avroType(ACCOUNT, 'bigint').toBuffer({ credit: Decimal.parse('1.50'), since: 0n, visits: 9007199254740993n });
    for (const longs of ['number', 'bigint'] as const) {
      const { schemas, type } = tableReading({ name: 'accounts', schema: ACCOUNT }, source, longs);
      await schemas.fetch([1]);
      const decoded = decodeTableRecord('accounts', schemas, { key: Buffer.from('a'), value: frame(1, body) });
      if (longs === 'number') {
        // A long a number cannot hold is not rounded into the table: the record is skipped.
        assert.deepEqual(decoded, { skip: 'avro-decode' });
        continue;
      }
      assert.ok('change' in decoded);
      const value = decoded.change.value as { credit: Decimal; visits: bigint };
      assert.equal(value.visits, 9007199254740993n);
      assert.equal(value.credit.toString(), '1.50');
      const dir = mkdtempSync(join(tmpdir(), 'dataprod-lookup-longs-'));
      temps.push(dir);
      const store = new DiskStore(dir, 'accounts', type);
      await store.apply([decoded.change]);
      assert.equal((store.get('a') as { visits: bigint }).visits, 9007199254740993n);
      await store.close();
    }
  });
});
