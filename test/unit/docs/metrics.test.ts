/**
 * docs/metrics.md cannot drift from the metrics of src/observability/metrics.ts: every metric a
 * Metrics registers has its table row with the same type and label names, every dataprod_* name
 * the page uses exists, and prom-client's process collectors are covered by their one wildcard row.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { LATENCY_BUCKETS, Metrics } from '../../../src/observability/metrics.js';

const DOC = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');

interface Spec {
  type: string;
  labels: string[];
}

/**
 * The metrics of a Metrics on a fresh Registry: name, type and label names (prom-client's Counter
 * and Gauge keep theirs in labelNames; a ProductHistogram's are read from a series it exposes).
 */
async function metricsOf(options: { processMetrics: boolean }): Promise<Map<string, Spec>> {
  const registry = new Registry();
  const metrics = new Metrics(registry, options);
  for (const histogram of [metrics.appendToPublish, metrics.eventToPublish, metrics.batchDuration])
    histogram.labels({ product: 'p' }).observe(1);
  const json = (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
  const specs = new Map<string, Spec>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    const declared = (metric as unknown as { labelNames?: string[] }).labelNames;
    const exposed = json.find((m) => m.name === name)!.values.flatMap((v) => Object.keys(v.labels));
    const labels = declared ?? [...new Set(exposed.filter((l) => l !== 'le'))];
    specs.set(name, { type, labels: [...labels].sort() });
  }
  return specs;
}

/** Rows of the metric tables (first cell a backquoted dataprod_ name), by that cell. */
function tableRows(markdown: string): Map<string, { type: string; labels: string[]; section: string }> {
  const rows = new Map<string, { type: string; labels: string[]; section: string }>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1]!.trim();
    if (!line.startsWith('| `dataprod_')) continue;
    const [metric, type, labels] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    assert.ok(!rows.has(metric!), `two rows for ${metric}`);
    rows.set(metric!, { type: type!, labels: [...labels!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!).sort(), section });
  }
  return rows;
}

/** `dataprod_process_*` -> /^dataprod_process_/ */
const wildcard = (cell: string) => new RegExp(`^${cell.replace(/\*/g, '.*')}$`);

describe('docs/metrics.md', async () => {
  const code = await metricsOf({ processMetrics: false });
  const withProcess = await metricsOf({ processMetrics: true });
  const rows = tableRows(text);
  /** The row documenting the process collectors: wildcard names, no type or labels. */
  const wildcardRows = [...rows.keys()].filter((cell) => cell.includes('*'));
  const wildcards = wildcardRows.flatMap((cell) => [...cell.matchAll(/`(dataprod_[a-z_]*\*)`/g)].map((m) => m[1]!));

  it('reads the metrics of the code', () => {
    assert.ok(code.size >= 20, `only ${code.size} metrics found`);
    assert.equal(code.get('dataprod_append_to_publish_seconds')?.type, 'histogram');
  });

  for (const [name, spec] of code) {
    it(`documents ${name} (${spec.type}; ${spec.labels.join(', ')})`, () => {
      const row = rows.get(`\`${name}\``);
      assert.ok(row, `no table row starting with \`${name}\``);
      assert.equal(row.type, spec.type, 'type');
      assert.deepEqual(row.labels, spec.labels, 'labels');
    });
  }

  it('has no row for a metric that does not exist', () => {
    const unknown = [...rows.keys()].filter((cell) => !cell.includes('*') && !code.has(cell.replace(/`/g, '')));
    assert.deepEqual(unknown, []);
  });

  it('covers the process and Node.js collectors with one wildcard row', () => {
    assert.equal(wildcardRows.length, 1, 'one row of dataprod_*_* names');
    const process = [...withProcess.keys()].filter((name) => !code.has(name));
    assert.ok(process.length > 5, "processMetrics adds prom-client's collectors");
    assert.deepEqual(
      process.filter((name) => !wildcards.some((w) => wildcard(w).test(name))),
      [],
      'collector metrics no wildcard covers',
    );
    assert.deepEqual(
      wildcards.filter((w) => !process.some((name) => wildcard(w).test(name))),
      [],
      'wildcards that match no collector',
    );
    assert.deepEqual(
      [...code.keys()].filter((name) => wildcards.some((w) => wildcard(w).test(name))),
      [],
      'documented metrics a wildcard also matches',
    );
    // The row says the nodejs_active_*_total gauges are removed.
    assert.deepEqual(
      [...withProcess.keys()].filter((name) => /^dataprod_nodejs_active_.*_total$/.test(name)),
      [],
    );
  });

  it('names only metrics that exist (tables, prose and PromQL)', () => {
    const series = new Set(
      [...code].flatMap(([name, spec]) => (spec.type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])),
    );
    const named = [...text.matchAll(/\bdataprod_[a-z0-9_]*[a-z0-9](?![a-z0-9_]*\*)/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(named.filter((n) => !series.has(n)))], []);
  });

  it('lists the label names the metrics use in its intro', () => {
    const intro = text.slice(0, text.indexOf('\n\n', text.indexOf('keep labels')));
    const listed = [...intro.slice(intro.indexOf('keep labels')).matchAll(/`([a-z_]+)`/g)]
      .map((m) => m[1]!)
      .filter((l) => !l.startsWith('dataprod_'));
    const used = [...new Set([...code.values()].flatMap((s) => s.labels))];
    assert.deepEqual([...listed].sort(), used.sort());
  });

  it('gives the histogram buckets of LATENCY_BUCKETS', () => {
    const line = /^Buckets: (.+)\.$/m.exec(text);
    assert.ok(line, 'a "Buckets: ..." line');
    const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60 };
    const seconds = line[1]!.split(', ').map((b) => {
      const [, n, u] = /^([\d.]+) (ms|s|m)$/.exec(b) ?? [];
      assert.ok(n && u, `bucket "${b}"`);
      return Math.round(Number(n) * unit[u]! * 1000) / 1000;
    });
    assert.deepEqual(seconds, LATENCY_BUCKETS);
  });
});
