/**
 * Backfill progress and its end (src/runtime/backfill.ts), with the clock passed in: records
 * behind, the estimated time to catch up at the net rate, and caught up only when every held
 * partition's lag is known and at or near 0; plus the state it gives the product
 * (src/runtime/product-state.ts): `running` reads `backfilling` until the backfill ends, also
 * after a back-off in between.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry, Gauge } from 'prom-client';
import { Backfill, CAUGHT_UP_SECONDS } from '../../../src/runtime/backfill.js';
import { ProductStatus } from '../../../src/runtime/product-state.js';
import type { PartitionLag } from '../../../src/observability/progress.js';

const lag = (partition: number, records: number, seconds: number | undefined): PartitionLag => ({
  topic: 'raw',
  partition,
  records,
  seconds,
});

describe('Backfill', () => {
  it('is not caught up while a held partition has no known lag', () => {
    const b = new Backfill(0);
    assert.equal(b.observe(1_000, [lag(0, 0, 0)], 2), false);
    assert.equal(b.progress, undefined);
  });

  it('reports records behind and the time to catch up at the net rate since it started', () => {
    const b = new Backfill(0);
    assert.equal(b.observe(1_000, [lag(0, 30_000, 3600), lag(1, 20_000, 3600)], 2), false);
    assert.deepEqual(b.progress, { recordsBehind: 50_000, etaSeconds: null, startedAt: 0 });
    // 10 s later 20,000 fewer behind: 2,000/s net, 30,000 left -> 15 s.
    assert.equal(b.observe(11_000, [lag(0, 18_000, 1800), lag(1, 12_000, 1800)], 2), false);
    assert.deepEqual(b.progress, { recordsBehind: 30_000, etaSeconds: 15, startedAt: 0 });
    // Live input outran it: no positive net rate, no estimate.
    assert.equal(b.observe(21_000, [lag(0, 40_000, 1800), lag(1, 20_000, 1800)], 2), false);
    assert.deepEqual(b.progress, { recordsBehind: 60_000, etaSeconds: null, startedAt: 0 });
  });

  it('is caught up when every partition has no lag, or only records at most CAUGHT_UP_SECONDS old', () => {
    const b = new Backfill(0);
    assert.equal(b.observe(1_000, [lag(0, 0, 0), lag(1, 5, CAUGHT_UP_SECONDS + 1)], 2), false);
    assert.equal(b.observe(2_000, [lag(0, 0, 0), lag(1, 5, undefined)], 2), false);
    assert.equal(b.observe(3_000, [lag(0, 0, 0), lag(1, 5, CAUGHT_UP_SECONDS)], 2), true);
    assert.equal(new Backfill(0).observe(1_000, [lag(0, 0, 0), lag(1, 0, 0)], 2), true);
  });
});

describe('ProductStatus while backfilling', () => {
  const status = () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'state', help: 'h', labelNames: ['product', 'state'], registers: [registry] });
    const s = new ProductStatus('p', gauge, 30_000, pino({ level: 'silent' }));
    const current = async () => (await gauge.get()).values.filter((v) => v.value === 1).map((v) => v.labels.state);
    return { s, current };
  };

  it('reads backfilling instead of running until the backfill ends, across a back-off, and exports it', async () => {
    const { s, current } = status();
    s.beginBackfill(); // before the first join completes: still starting
    assert.equal(s.state, 'starting');
    s.set('running');
    assert.equal(s.state, 'backfilling');
    assert.ok(s.processing);
    assert.deepEqual(await current(), ['backfilling']);
    s.set('backing-off', 'registry down', 'REGISTRY_UNAVAILABLE');
    assert.ok(!s.processing);
    s.set('running');
    assert.equal(s.state, 'backfilling');
    s.endBackfill();
    assert.equal(s.state, 'running');
    assert.deepEqual(await current(), ['running']);
    s.set('running');
    assert.equal(s.state, 'running');
  });

  it('leaves a product that is not processing in its state when the backfill ends', () => {
    const { s } = status();
    s.set('running');
    s.beginBackfill();
    assert.equal(s.state, 'backfilling');
    s.set('blocked', 'topic gone', 'TOPIC_WRITE_REFUSED');
    s.endBackfill();
    assert.equal(s.state, 'blocked');
    s.set('running');
    assert.equal(s.state, 'running');
  });
});
