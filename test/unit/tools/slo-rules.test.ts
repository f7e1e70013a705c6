import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadProduct } from '../../../src/product/load.js';
import type { SlaProperty } from '../../../src/product/types.js';
import { DescriptorError } from '../../../src/errors.js';
import { LATENCY_BUCKETS } from '../../../src/observability/metrics.js';
import { compileSlos } from '../../../src/product/slo.js';
import {
  BURN_RATE_ALERTS,
  SLI_WINDOWS,
  buildRuleGroups,
  generateRules,
  leMatcher,
  type AlertingRule,
  type RecordingRule,
  type Rule,
  type RuleGroup,
  type RulesProduct,
} from '../../../src/tools/slo-rules.js';

const ORDERS_SLAS: SlaProperty[] = [
  { property: 'latency', value: 30, unit: 's', objective: 99.5 },
  { property: 'freshness', value: 5, unit: 'm' },
  { property: 'completeness', value: 99.9, unit: 'percent' },
  { property: 'errorRate', value: 1, unit: 'percent' },
];

function product(overrides: Partial<RulesProduct> = {}): RulesProduct {
  return {
    id: 'sales.orders-enriched',
    file: '/products/orders-enriched/product.yaml',
    version: '1.4.0',
    team: { name: 'sales-data', members: [] },
    support: [{ channel: '#sales-data', url: 'https://wiki.example.com/orders' }],
    slaProperties: ORDERS_SLAS,
    consumerGroup: 'dataprod.sales.orders-enriched.v1',
    deadLetter: { topic: 'sales.orders-enriched.dlq' },
    ...overrides,
  };
}

const isAlert = (r: Rule): r is AlertingRule => 'alert' in r;
const isRecord = (r: Rule): r is RecordingRule => 'record' in r;
const group = (groups: RuleGroup[], name: string) => {
  const g = groups.find((x) => x.name === name);
  assert.ok(g, `no group ${name} in ${groups.map((x) => x.name).join(', ')}`);
  return g;
};
const alertOf = (rules: Rule[], alert: string, slo?: string) => {
  const r = rules.filter(isAlert).find((x) => x.alert === alert && (slo === undefined || x.labels.slo === slo));
  assert.ok(r, `no alert ${alert} ${slo ?? ''}`);
  return r;
};
const onlySla = (sla: SlaProperty) => compileSlos(product({ slaProperties: [sla] }));

/** The DescriptorError thrown by generateRules, with its issues. */
function issuesOf(products: RulesProduct[]): DescriptorError {
  try {
    generateRules(products);
  } catch (err) {
    assert.ok(err instanceof DescriptorError, `expected DescriptorError, got ${String(err)}`);
    assert.equal(err.code, 'DESCRIPTOR_INVALID');
    return err;
  }
  assert.fail('generateRules did not throw');
}

describe('rule file structure', () => {
  const groups = buildRuleGroups([product({ id: 'web.page-views', team: { name: 'web-analytics', members: [] } }), product()]);

  it('has an slo and an operations group per product, sorted by product id', () => {
    assert.deepEqual(
      groups.map((g) => g.name),
      [
        'dataprod.sales.orders-enriched.slo',
        'dataprod.sales.orders-enriched.operations',
        'dataprod.web.page-views.slo',
        'dataprod.web.page-views.operations',
      ],
    );
  });

  it('records the error ratio of every SLA property over 5m, 30m, 1h, 2h, 6h, 1d and 3d, plus its budget', () => {
    assert.deepEqual([...SLI_WINDOWS], ['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    const records = group(groups, 'dataprod.sales.orders-enriched.slo').rules.filter(isRecord);
    for (const slo of ['latency', 'freshness', 'completeness', 'error_rate']) {
      const names = records.filter((r) => r.record.startsWith(`dataprod:sli_${slo}_error_ratio:`)).map((r) => r.record);
      assert.deepEqual(
        names,
        SLI_WINDOWS.map((w) => `dataprod:sli_${slo}_error_ratio:rate${w}`),
      );
    }
    for (const r of records) {
      assert.equal(r.labels?.product, 'sales.orders-enriched', r.record);
      if (r.record.startsWith('dataprod:sli_') && r.record.includes(':rate')) {
        const window = r.record.split(':rate')[1]!;
        assert.ok(r.expr.includes(`[${window}]`), `${r.record} does not use its window: ${r.expr}`);
        assert.ok(r.expr.includes('product="sales.orders-enriched"'), r.expr);
        assert.ok(!r.expr.includes('web.page-views'), r.expr);
      }
    }
    const budgets = records.filter((r) => r.record === 'dataprod:slo_error_budget:ratio');
    assert.deepEqual(
      budgets.map((r) => [r.labels?.slo, r.expr]),
      [
        ['latency', 'vector(0.005)'],
        ['freshness', 'vector(0.01)'],
        ['completeness', 'vector(0.001)'],
        ['errorRate', 'vector(0.01)'],
      ],
    );
  });

  it('uses the histogram bucket for latency, counters for completeness and errorRate, a staleness series for freshness', () => {
    const rules = group(groups, 'dataprod.sales.orders-enriched.slo').rules.filter(isRecord);
    const expr = (name: string) => rules.find((r) => r.record === name)!.expr;
    const latency = expr('dataprod:sli_latency_error_ratio:rate5m');
    assert.match(latency, /dataprod_append_to_publish_seconds_count\{product="sales.orders-enriched"\}\[5m\]/);
    assert.ok(
      latency.includes('dataprod_append_to_publish_seconds_bucket{product="sales.orders-enriched",le=~"30(\\\\.0)?"}[5m]'),
      latency,
    );
    const completeness = expr('dataprod:sli_completeness_error_ratio:rate1h');
    for (const m of [
      'dataprod_records_published_total',
      'dataprod_dlq_records_total',
      'dataprod_records_filtered_total',
      'dataprod_records_consumed_total',
    ]) {
      assert.ok(completeness.includes(`${m}{product="sales.orders-enriched"}[1h]`), `${m} missing: ${completeness}`);
    }
    const errorRate = expr('dataprod:sli_error_rate_error_ratio:rate1d');
    assert.match(errorRate, /dataprod_records_invalid_total\{product="sales.orders-enriched"\}\[1d\]\)\) or vector\(0\)\)\n\/\n/);
    const stale = expr('dataprod:sli_freshness_stale:bool');
    assert.match(stale, /time\(\) - max\(dataprod_last_event_timestamp_seconds\{product="sales.orders-enriched"\}\) > bool 300/);
    assert.match(stale, /sum\(dataprod_consumer_lag_records\{product="sales.orders-enriched"\}\) > 0/);
    assert.match(stale, /time\(\) - max\(dataprod_source_last_append_timestamp_seconds\{product="sales.orders-enriched"\}\) <= 300/);
    assert.equal(
      expr('dataprod:sli_freshness_error_ratio:rate6h'),
      'avg_over_time(dataprod:sli_freshness_stale:bool{product="sales.orders-enriched"}[6h])',
    );
    // The staleness series is recorded before the windows that average it (rules run in order).
    const names = rules.map((r) => r.record);
    assert.ok(names.indexOf('dataprod:sli_freshness_stale:bool') < names.indexOf('dataprod:sli_freshness_error_ratio:rate5m'));
  });

  it('pages on 1h/5m above 14.4x or 6h/30m above 6x the budget, tickets on 1d/2h above 3x or 3d/6h above 1x', () => {
    assert.deepEqual(
      BURN_RATE_ALERTS.map((a) => [a.severity, a.conditions.map((c) => `${c.long}/${c.short}x${c.factor}`)]),
      [
        ['page', ['1h/5mx14.4', '6h/30mx6']],
        ['ticket', ['1d/2hx3', '3d/6hx1']],
      ],
    );
    const rules = group(groups, 'dataprod.sales.orders-enriched.slo').rules;
    const page = alertOf(rules, 'DataprodSloBurnRatePage', 'latency');
    // objective 99.5 -> budget 0.005: 14.4 x 0.005 = 0.072, 6 x 0.005 = 0.03
    assert.equal(
      page.expr,
      '(\n  dataprod:sli_latency_error_ratio:rate1h{product="sales.orders-enriched"} > 0.072\n  and\n  dataprod:sli_latency_error_ratio:rate5m{product="sales.orders-enriched"} > 0.072\n' +
        '  and on ()\n  sum(increase(dataprod_records_consumed_total{product="sales.orders-enriched"}[1h])) >= 100\n' +
        '  unless on (product)\n  max by (product) (max_over_time(dataprod_product_state{product="sales.orders-enriched",state="backfilling"}[5m])) == 1\n)\n' +
        'or\n(\n  dataprod:sli_latency_error_ratio:rate6h{product="sales.orders-enriched"} > 0.03\n  and\n  dataprod:sli_latency_error_ratio:rate30m{product="sales.orders-enriched"} > 0.03\n' +
        '  and on ()\n  sum(increase(dataprod_records_consumed_total{product="sales.orders-enriched"}[6h])) >= 100\n' +
        '  unless on (product)\n  max by (product) (max_over_time(dataprod_product_state{product="sales.orders-enriched",state="backfilling"}[30m])) == 1\n)',
    );
    const ticket = alertOf(rules, 'DataprodSloBurnRateTicket', 'latency');
    assert.match(ticket.expr, /rate1d\{product="sales.orders-enriched"\} > 0.015\n/);
    assert.match(ticket.expr, /rate2h\{product="sales.orders-enriched"\} > 0.015\n/);
    assert.match(ticket.expr, /rate3d\{product="sales.orders-enriched"\} > 0.005\n/);
    assert.match(ticket.expr, /rate6h\{product="sales.orders-enriched"\} > 0.005\n/);
    assert.equal(page.for, undefined);
    // completeness 99.9% -> budget 0.001 (not 0.0009999999999990906)
    const completeness = alertOf(rules, 'DataprodSloBurnRatePage', 'completeness');
    assert.match(completeness.expr, /rate1h\{product="sales.orders-enriched"\} > 0.0144\n/);
    assert.match(completeness.expr, /rate6h\{product="sales.orders-enriched"\} > 0.006\n/);
    // errorRate 1% is the allowed error ratio: budget 0.01
    const errorRate = alertOf(rules, 'DataprodSloBurnRatePage', 'errorRate');
    assert.match(errorRate.expr, /dataprod:sli_error_rate_error_ratio:rate1h\{product="sales.orders-enriched"\} > 0.144\n/);
    assert.match(alertOf(rules, 'DataprodSloBurnRateTicket', 'errorRate').expr, /rate3d\{product="sales.orders-enriched"\} > 0.01\n/);
    // freshness without objective: the default 99% -> budget 0.01
    assert.match(alertOf(rules, 'DataprodSloBurnRatePage', 'freshness').expr, /rate5m\{product="sales.orders-enriched"\} > 0.144\n/);
  });

  it('labels alerts with severity, product, slo and team, and annotates them with the owners and the runbook', () => {
    const rules = group(groups, 'dataprod.sales.orders-enriched.slo').rules;
    const page = alertOf(rules, 'DataprodSloBurnRatePage', 'latency');
    assert.deepEqual(page.labels, { severity: 'page', product: 'sales.orders-enriched', slo: 'latency', team: 'sales-data' });
    assert.equal(page.annotations.runbook_url, 'https://wiki.example.com/orders');
    assert.match(page.annotations.summary!, /^sales\.orders-enriched: latency error budget burning fast$/);
    assert.match(page.annotations.description!, /99\.5% of records published within 30s/);
    assert.match(
      page.annotations.description!,
      /above 14\.4x the budget \(7\.2%\) over 1h and 5m, or above 6x the budget \(3%\) over 6h and 30m/,
    );
    assert.match(page.annotations.description!, /\{\{ \$value \| humanizePercentage \}\}/);
    assert.match(page.annotations.description!, /Owners: sales-data\. Support: #sales-data https:\/\/wiki\.example\.com\/orders$/);
    assert.equal(alertOf(rules, 'DataprodSloBurnRateTicket', 'latency').labels.severity, 'ticket');
    const web = alertOf(group(groups, 'dataprod.web.page-views.slo').rules, 'DataprodSloBurnRatePage', 'latency');
    assert.deepEqual(web.labels, { severity: 'page', product: 'web.page-views', slo: 'latency', team: 'web-analytics' });
  });

  it('adds the operational alerts of each product', () => {
    const ops = group(groups, 'dataprod.sales.orders-enriched.operations').rules.filter(isAlert);
    assert.deepEqual(
      ops.map((r) => [r.alert, r.for, r.labels.severity]),
      [
        ['DataprodConsumerStalled', '10m', 'page'],
        ['DataprodDeadLetterPublishFailing', '5m', 'page'],
        ['DataprodMetricsAbsent', '10m', 'page'],
        ['DataprodProductNotRunning', '10m', 'page'],
        ['DataprodPartitionStalled', undefined, 'page'],
      ],
    );
    const expr = (alert: string) => ops.find((r) => r.alert === alert)!.expr;
    assert.equal(
      expr('DataprodConsumerStalled'),
      'max by (product, topic) (dataprod_consumer_lag_records{product="sales.orders-enriched"}) > 0\n' +
        'unless on (product, topic)\n' +
        'sum by (product, topic) (increase(dataprod_records_consumed_total{product="sales.orders-enriched"}[10m])) > 0',
    );
    assert.equal(
      expr('DataprodDeadLetterPublishFailing'),
      'sum by (product) (increase(dataprod_dlq_publish_errors_total{product="sales.orders-enriched"}[5m])) > 0',
    );
    assert.equal(expr('DataprodMetricsAbsent'), 'absent(dataprod_build_info{product="sales.orders-enriched"})');
    assert.match(
      expr('DataprodProductNotRunning'),
      /dataprod_product_state\{product="sales.orders-enriched",state!~"running\|backfilling"\}/,
    );
    for (const r of ops) {
      assert.equal(r.labels.product, 'sales.orders-enriched');
      assert.equal(r.labels.team, 'sales-data');
      assert.match(r.annotations.summary!, /^sales\.orders-enriched: /);
      assert.match(r.annotations.description!, /Owners: sales-data/);
    }
    assert.match(ops[0]!.annotations.description!, /dataprod\.sales\.orders-enriched\.v1/);
    assert.match(ops[1]!.annotations.description!, /sales\.orders-enriched\.dlq/);
  });

  it('gives a product without slaProperties only its operations group, and no runbook without a support url', () => {
    const groups = buildRuleGroups([product({ slaProperties: [], support: [{ channel: '#x' }] })]);
    assert.deepEqual(
      groups.map((g) => g.name),
      ['dataprod.sales.orders-enriched.operations'],
    );
    for (const r of groups[0]!.rules.filter(isAlert)) {
      assert.equal(r.annotations.runbook_url, undefined);
      assert.match(r.annotations.description!, /Owners: sales-data\. Support: #x$/);
    }
  });
});

describe('units and objectives', () => {
  it('converts latency thresholds to the bucket boundary in seconds', () => {
    const cases: [SlaProperty, number][] = [
      [{ property: 'latency', value: 30, unit: 's', objective: 99 }, 30],
      [{ property: 'latency', value: 30, objective: 99 }, 30], // no unit: seconds
      [{ property: 'latency', value: 250, unit: 'ms', objective: 99 }, 0.25],
      [{ property: 'latency', value: 5, unit: 'ms', objective: 99 }, 0.005],
      [{ property: 'latency', value: 0.5, unit: 'm', objective: 99 }, 30],
      [{ property: 'latency', value: 2, unit: 'm', objective: 99 }, 120],
      [{ property: 'latency', value: 10, unit: 'Minutes', objective: 99 }, 600],
    ];
    for (const [sla, seconds] of cases) {
      const { slos, issues } = onlySla(sla);
      assert.deepEqual(issues, [], JSON.stringify(sla));
      assert.equal(slos[0]!.bucket, seconds, JSON.stringify(sla));
      assert.equal(slos[0]!.thresholdSeconds, seconds, JSON.stringify(sla));
    }
  });

  it('matches the le label as prom-client writes it and as Prometheus 3 normalises it', () => {
    assert.equal(leMatcher(30), 'le=~"30(\\\\.0)?"');
    assert.equal(leMatcher(0.005), 'le=~"0\\\\.005"');
    assert.equal(leMatcher(2.5), 'le=~"2\\\\.5"');
    const rules = buildRuleGroups([
      product({ slaProperties: [{ property: 'latency', value: 250, unit: 'ms', objective: 99.9 }] }),
    ])[0]!.rules.filter(isRecord);
    assert.ok(rules[0]!.expr.includes('le=~"0\\\\.25"'), rules[0]!.expr);
  });

  it('converts freshness thresholds to seconds', () => {
    const cases: [SlaProperty, number][] = [
      [{ property: 'freshness', value: 5, unit: 'm' }, 300],
      [{ property: 'freshness', value: 90 }, 90],
      [{ property: 'freshness', value: 90, unit: 's' }, 90],
      [{ property: 'freshness', value: 2, unit: 'h' }, 7200],
      [{ property: 'freshness', value: 1, unit: 'd' }, 86400],
      [{ property: 'freshness', value: 1500, unit: 'ms' }, 1.5],
    ];
    for (const [sla, seconds] of cases) {
      const { slos, issues } = onlySla(sla);
      assert.deepEqual(issues, [], JSON.stringify(sla));
      assert.equal(slos[0]!.thresholdSeconds, seconds, JSON.stringify(sla));
    }
    const stale = buildRuleGroups([product({ slaProperties: [{ property: 'freshness', value: 2, unit: 'h' }] })])[0]!.rules.filter(
      isRecord,
    )[0]!;
    assert.equal(stale.record, 'dataprod:sli_freshness_stale:bool');
    assert.match(stale.expr, /> bool 7200\n/);
    assert.match(stale.expr, /<= 7200\n/);
  });

  it('computes budgets without floating-point noise', () => {
    const budget = (sla: SlaProperty) => onlySla(sla).slos[0]!.budget;
    assert.equal(budget({ property: 'latency', value: 30, objective: 99.5 }), 0.005);
    assert.equal(budget({ property: 'latency', value: 30, objective: 99.9 }), 0.001);
    assert.equal(budget({ property: 'latency', value: 30, objective: 99.99 }), 0.0001);
    assert.equal(budget({ property: 'freshness', value: 5, unit: 'm', objective: 95 }), 0.05);
    assert.equal(budget({ property: 'freshness', value: 5, unit: 'm' }), 0.01);
    assert.equal(budget({ property: 'completeness', value: 99.9, unit: 'percent' }), 0.001);
    assert.equal(budget({ property: 'completeness', value: 99.9 }), 0.001);
    assert.equal(budget({ property: 'completeness', value: 100, unit: '%' }), 0);
    assert.equal(budget({ property: 'errorRate', value: 1, unit: 'percent' }), 0.01);
    assert.equal(budget({ property: 'errorRate', value: 0.1 }), 0.001);
  });

  it('notes the default objective of latency and freshness in the rule file', () => {
    assert.equal(onlySla({ property: 'freshness', value: 5, unit: 'm' }).slos[0]!.objectiveDefaulted, true);
    assert.equal(onlySla({ property: 'latency', value: 30, objective: 99.5 }).slos[0]!.objectiveDefaulted, false);
    const text = generateRules([product()]);
    assert.match(
      text,
      /# freshness \(slaProperties\[1\]\): .*error budget 1%\n\s+# objective not set in the descriptor: the default 99% applies\n/,
    );
    assert.match(
      text,
      /# latency \(slaProperties\[0\]\): 99\.5% of records published within 30s .*\n\s+# threshold = bucket le="30" of dataprod_append_to_publish_seconds\n/,
    );
  });
});

describe('budgets at the edges', () => {
  it('says in the file when a burn-rate condition can never hold, or when any error fires', () => {
    const text = generateRules([
      product({
        slaProperties: [
          { property: 'errorRate', value: 20, unit: 'percent' },
          { property: 'completeness', value: 100, unit: 'percent' },
        ],
      }),
    ]);
    assert.match(text, /# note: 14\.4 x 20% >= 100%: the 1h\/5m condition can never hold\n/);
    assert.match(text, /# note: 6 x 20% >= 100%: the 6h\/30m condition can never hold\n/);
    assert.doesNotMatch(text, /the 1d\/2h condition/);
    assert.match(text, /# note: an error budget of 0 means any error at all fires every burn-rate alert\n/);
    const rules = buildRuleGroups([product({ slaProperties: [{ property: 'completeness', value: 100 }] })])[0]!.rules;
    assert.match(alertOf(rules, 'DataprodSloBurnRatePage', 'completeness').expr, /rate1h\{product="sales.orders-enriched"\} > 0\n/);
  });
});

describe('unsupported SLA properties', () => {
  it('refuses a latency threshold that is not a bucket boundary, naming the product, the property and the valid values', () => {
    const err = issuesOf([product({ slaProperties: [{ property: 'latency', value: 45, unit: 's', objective: 99 }] })]);
    assert.equal(err.file, '/products/orders-enriched/product.yaml');
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]!.path, 'slaProperties[0].value');
    assert.match(
      err.issues[0]!.message,
      /^product sales\.orders-enriched, latency: 45 s is not a bucket boundary of dataprod_append_to_publish_seconds/,
    );
    assert.match(
      err.issues[0]!.message,
      /use one of 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2\.5s, 5s, 10s, 30s, 1m, 2m, 5m, 10m$/,
    );
    assert.equal(LATENCY_BUCKETS.length, 16);
    assert.match(err.message, /slaProperties\[0\]\.value: product sales\.orders-enriched, latency: 45 s/);
    // above the largest bucket, and in another unit
    assert.match(
      issuesOf([product({ slaProperties: [{ property: 'latency', value: 1, unit: 'h', objective: 99 }] })]).issues[0]!.message,
      /1 h is not a bucket boundary/,
    );
    assert.match(
      issuesOf([product({ slaProperties: [{ property: 'latency', value: 45, objective: 99 }] })]).issues[0]!.message,
      /45 \(seconds\) is not a bucket boundary/,
    );
  });

  it('refuses unknown units, percentages above 100, an objective on completeness/errorRate and a repeated property', () => {
    const err = issuesOf([
      product({
        slaProperties: [
          { property: 'latency', value: 30, unit: 'fortnights', objective: 99 },
          { property: 'freshness', value: 5, unit: 'weeks' },
          { property: 'completeness', value: 0.999, unit: 'ratio' },
          { property: 'errorRate', value: 120, unit: 'percent' },
        ],
      }),
    ]);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['slaProperties[0].unit', 'slaProperties[1].unit', 'slaProperties[2].unit', 'slaProperties[3].value'],
    );
    assert.match(err.issues[0]!.message, /unknown duration unit "fortnights"; use ms, s, m, h or d/);
    assert.match(err.issues[2]!.message, /completeness is a percentage: use percent/);
    assert.match(err.issues[3]!.message, /120 is not a percentage/);
    const more = issuesOf([
      product({
        slaProperties: [
          { property: 'errorRate', value: 1, objective: 99 },
          { property: 'completeness', value: 99 },
          { property: 'completeness', value: 99.9 },
        ],
      }),
    ]);
    assert.deepEqual(
      more.issues.map((i) => i.path),
      ['slaProperties[0].objective', 'slaProperties[2].property'],
    );
    assert.match(more.issues[0]!.message, /objective is not used for errorRate/);
    assert.match(more.issues[1]!.message, /a second completeness entry \(the first is slaProperties\[1\]\)/);
  });

  it('reports the problems of every product at once', () => {
    const err = issuesOf([
      product({ slaProperties: [{ property: 'latency', value: 45, objective: 99 }] }),
      product({
        id: 'web.page-views',
        file: '/products/page-views/product.yaml',
        slaProperties: [{ property: 'freshness', value: 5, unit: 'x' }],
      }),
    ]);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['/products/orders-enriched/product.yaml: slaProperties[0].value', '/products/page-views/product.yaml: slaProperties[0].unit'],
    );
  });
});

describe('the YAML text', () => {
  it('parses back to the same groups, without anchors, and does not depend on input order', () => {
    const a = product();
    const b = product({ id: 'web.page-views', team: { name: 'web-analytics', members: [] } });
    const text = generateRules([b, a]);
    assert.equal(text, generateRules([a, b]));
    assert.deepEqual(parse(text), { groups: buildRuleGroups([a, b]) });
    assert.doesNotMatch(text, /[&*]a\d/);
    assert.match(text, /^# Prometheus rules for dataprod data products, generated by `dataprod rules`/);
    assert.match(text, /^# Products: sales\.orders-enriched 1\.4\.0, web\.page-views 1\.4\.0$/m);
  });

  it('keeps descriptor text from opening Go template actions in annotations', () => {
    const groups = buildRuleGroups([product({ team: { name: 'team {{ evil }}', members: [] }, slaProperties: [] })]);
    const description = groups[0]!.rules.filter(isAlert)[0]!.annotations.description!;
    assert.match(description, /Owners: team \{\{ "\{\{" \}\} evil \}\}\./);
  });

  it('generates rules for the example products', async () => {
    const root = fileURLToPath(new URL('../../../products/', import.meta.url));
    const descriptors = await Promise.all(
      ['orders-enriched', 'page-views'].map(async (d) => (await loadProduct(root + d, { loadTransform: false })).descriptor),
    );
    const groups = buildRuleGroups(descriptors);
    assert.deepEqual(
      groups.map((g) => [g.name, g.rules.filter(isRecord).length, g.rules.filter(isAlert).length]),
      [
        // 4 SLOs x (7 windows + budget) + the freshness staleness series; 4 SLOs x (page + ticket)
        ['dataprod.sales.orders-enriched.slo', 33, 8],
        ['dataprod.sales.orders-enriched.operations', 0, 5],
        ['dataprod.web.page-views.slo', 33, 8],
        ['dataprod.web.page-views.operations', 0, 5],
      ],
    );
  });
});

describe('two majors of one product', () => {
  it('gives v1 and v2 their own groups and product label (the majorId), so their SLOs are apart', () => {
    const v2 = product({
      version: '2.0.0',
      majorId: 'sales.orders-enriched.v2',
      consumerGroup: 'dataprod.sales.orders-enriched.v2',
      file: '/products/orders-enriched-v2/product.yaml',
    });
    const groups = buildRuleGroups([product({ majorId: 'sales.orders-enriched' }), v2]);
    assert.deepEqual(
      groups.map((g) => g.name),
      [
        'dataprod.sales.orders-enriched.slo',
        'dataprod.sales.orders-enriched.operations',
        'dataprod.sales.orders-enriched.v2.slo',
        'dataprod.sales.orders-enriched.v2.operations',
      ],
    );
    for (const r of group(groups, 'dataprod.sales.orders-enriched.v2.slo').rules) {
      assert.equal(r.labels?.product, 'sales.orders-enriched.v2');
      assert.doesNotMatch(r.expr, /product="sales\.orders-enriched"/, r.expr);
    }
    assert.match(
      alertOf(group(groups, 'dataprod.sales.orders-enriched.v2.slo').rules, 'DataprodSloBurnRatePage', 'latency').expr,
      /dataprod_product_state\{product="sales\.orders-enriched\.v2",state="backfilling"\}\[5m\]/,
    );
  });

  it('refuses the same major twice', () => {
    const err = issuesOf([product({ majorId: 'sales.orders-enriched' }), product({ majorId: 'sales.orders-enriched', version: '1.5.0' })]);
    assert.match(err.issues[0]!.message, /sales\.orders-enriched \(sales\.orders-enriched 1\.\d\.0\) is given twice/);
  });
});
