import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { LookupSnapshot } from '../../../src/lookups/tables.js';
import { Metrics } from '../../../src/observability/metrics.js';

const snapshot = (over: Partial<LookupSnapshot>): LookupSnapshot => ({
  name: 'customers',
  topic: 'crm.customers',
  store: 'memory',
  restored: false,
  restoredRecords: 0,
  restoreTotal: 0,
  entries: 0,
  bytes: 0,
  lagRecords: 0,
  lagSeconds: 0,
  lastUpdateSeconds: null,
  ...over,
});

async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.product}/${v.labels.lookup}`, v.value]));
}

describe('lookup metrics', () => {
  it('reads every tracked table at scrape time: size, lag, restore progress, last update', async () => {
    const registry = new Registry();
    const metrics = new Metrics(registry);
    let tables = [snapshot({ restoredRecords: 250, restoreTotal: 1000, entries: 240, bytes: 9000, lagRecords: 750, lagSeconds: 12 })];
    metrics.lookups.track('sales.a', () => tables);
    metrics.lookups.track('sales.b', () => [snapshot({ name: 'products', restored: true, lastUpdateSeconds: 1_700_000_000 })]);

    assert.deepEqual(await values(registry, 'dataprod_lookup_restore_ratio'), { 'sales.a/customers': 0.25, 'sales.b/products': 1 });
    assert.deepEqual(await values(registry, 'dataprod_lookup_entries'), { 'sales.a/customers': 240, 'sales.b/products': 0 });
    assert.deepEqual(await values(registry, 'dataprod_lookup_lag_records'), { 'sales.a/customers': 750, 'sales.b/products': 0 });
    // Absent before the first change, rather than a misleading 0 (1970).
    assert.deepEqual(await values(registry, 'dataprod_lookup_last_update_timestamp_seconds'), { 'sales.b/products': 1_700_000_000 });

    // The next scrape sees the table as it is then.
    tables = [snapshot({ restored: true, restoredRecords: 1000, restoreTotal: 1000, entries: 1000 })];
    assert.equal((await values(registry, 'dataprod_lookup_restore_ratio'))['sales.a/customers'], 1);
    assert.equal((await values(registry, 'dataprod_lookup_entries'))['sales.a/customers'], 1000);
  });

  it('counts skipped table records by lookup and reason', async () => {
    const registry = new Registry();
    const metrics = new Metrics(registry);
    metrics.lookups.skipped.inc({ product: 'sales.a', lookup: 'customers', reason: 'not-avro' });
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'dataprod_lookup_records_skipped_total')!;
    assert.deepEqual(
      metric.values.map((v) => [v.labels, v.value]),
      [[{ product: 'sales.a', lookup: 'customers', reason: 'not-avro' }, 1]],
    );
  });
});
