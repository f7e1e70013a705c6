import type { Metric, MetricValueWithName, Registry } from 'prom-client';

/**
 * One product's series of a histogram. `observe` is a bucket search and three additions: the
 * worker calls it once per published record, where prom-client's child `observe` (which checks
 * and hashes its labels on every call) cost about 0.2 µs, a noticeable share of a record's path.
 */
export class HistogramSeries {
  /** Non-cumulative: counts[i] holds observations in (bounds[i-1], bounds[i]]; the last one +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/**
 * A Prometheus histogram labelled by product, exposed through a prom-client Registry in the same
 * text prom-client's own Histogram renders (cumulative `_bucket{le}`, `_sum`, `_count`).
 */
export class ProductHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registers: Registry[],
  ) {
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`${name}: buckets must increase`);
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The product's series, created on first use (and kept: it is the product's for the process's life). */
  labels({ product }: { product: string }): HistogramSeries {
    let s = this.series.get(product);
    if (!s) this.series.set(product, (s = new HistogramSeries(this.bounds)));
    return s;
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  /** What prom-client's Registry reads of a metric at every scrape. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricValueWithName<string>[] } {
    const values: MetricValueWithName<string>[] = [];
    for (const [product, s] of this.series) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, product }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', product }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { product }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { product }, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
