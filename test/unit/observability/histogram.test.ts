import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { ProductHistogram } from '../../../src/observability/histogram.js';
import { LATENCY_BUCKETS } from '../../../src/observability/metrics.js';

describe('ProductHistogram', () => {
  it('renders exactly what prom-client renders for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const mine = new ProductHistogram('x_seconds', 'How long', LATENCY_BUCKETS, [ours]);
    const reference = new Histogram({
      name: 'x_seconds',
      help: 'How long',
      labelNames: ['product'],
      buckets: LATENCY_BUCKETS,
      registers: [theirs],
    });
    // Values on, just under and just over bucket bounds, below the first and above the last.
    const values = [0, 0.001, 0.005, 0.0050001, 0.01, 0.3, 1, 2.5, 599.9, 600, 601, 1e6, ...LATENCY_BUCKETS.map((b) => b * 0.999)];
    for (const [i, v] of values.entries()) {
      const product = i % 3 === 0 ? 'a.one' : 'b.two';
      mine.labels({ product }).observe(v);
      reference.labels({ product }).observe(v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('resets with the registry and keeps its series', async () => {
    const registry = new Registry();
    const h = new ProductHistogram('y_seconds', 'y', [1, 2], [registry]);
    h.labels({ product: 'p' }).observe(1.5);
    registry.resetMetrics();
    assert.match(await registry.metrics(), /y_seconds_count\{product="p"\} 0/);
  });

  it('refuses buckets that do not increase', () => {
    assert.throws(() => new ProductHistogram('z', 'z', [1, 1], []), /buckets must increase/);
  });
});
