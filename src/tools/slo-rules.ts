/**
 * Prometheus rules for the SLOs of data products (`dataprod rules`, docs/slo-rules.md).
 *
 * Pure: descriptors in, one rule file (YAML text) out; no I/O. For each product and each of its
 * `slaProperties`:
 * - recording rules of the SLI error ratio over 5m, 30m, 1h, 2h, 6h, 1d and 3d
 *   (`dataprod:sli_<slo>_error_ratio:rate<window>{product}`) and its error budget
 *   (`dataprod:slo_error_budget:ratio{product,slo}`);
 * - the multi-window multi-burn-rate alerts of the Google SRE workbook (chapter "Alerting on
 *   SLOs"): page when the 1h and 5m error ratios are above 14.4x the budget, or 6h and 30m above
 *   6x; ticket when 1d and 2h are above 3x, or 3d and 6h above 1x.
 * Plus, per product, the operational alerts of ./operations-rules.ts (stalled consumer, dead-letter writes failing, metrics
 * absent, product not running, stalled partition) and the sunset ticket of ./sunset-rules.ts.
 *
 * Everything is per product (`{product="<id>"}` selectors, one group pair per product), summed
 * over the worker replicas that export it. Output is deterministic: products sorted by id,
 * SLOs in descriptor order, fixed rule order.
 */
import { Document, type YAMLMap } from 'yaml';
import { DescriptorError } from '../errors.js';
import { DEFAULT_OBJECTIVE_PERCENT, clean, compileSlos, type Slo, type SloName } from '../product/slo.js';
import type { ProductDescriptor } from '../product/types.js';
import { DATAPROD_VERSION } from '../version.js';
import { operationsRules, type OperationsContext } from './operations-rules.js';
import type { RecordingRule, Rule } from './rule-types.js';
import { sunsetAlert } from './sunset-rules.js';

/** What the generator reads of a descriptor. */
export type RulesProduct = Pick<ProductDescriptor, 'id' | 'file' | 'version' | 'team' | 'support' | 'slaProperties'> &
  Partial<Pick<ProductDescriptor, 'consumerGroup' | 'deadLetter' | 'lifecycle' | 'majorId'>>;

/** The `product` label value of a product's metrics: its majorId (src/product/majors.ts), so v1 and v2 get rules apart. */
const labelOf = (product: RulesProduct): string => product.majorId ?? product.id;

/** SLI windows, shortest first. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];

export interface BurnRateCondition {
  long: SliWindow;
  short: SliWindow;
  /** Burn rate: how many times faster than allowed the budget is spent. */
  factor: number;
}

export interface BurnRateAlert {
  severity: 'page' | 'ticket';
  alert: string;
  /** Fires when any condition holds (both of its windows above factor x budget). */
  conditions: readonly BurnRateCondition[];
}

/** Google SRE workbook, "Alerting on SLOs", recommendation 6 (for a 30-day SLO window). */
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  {
    severity: 'page',
    alert: 'DataprodSloBurnRatePage',
    conditions: [
      { long: '1h', short: '5m', factor: 14.4 },
      { long: '6h', short: '30m', factor: 6 },
    ],
  },
  {
    severity: 'ticket',
    alert: 'DataprodSloBurnRateTicket',
    conditions: [
      { long: '1d', short: '2h', factor: 3 },
      { long: '3d', short: '6h', factor: 1 },
    ],
  },
];

const pct = (ratio: number) => `${clean(ratio * 100)}%`;

// ---------------------------------------------------------------------------------------------
// PromQL

/** A PromQL double-quoted string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** Go-template safe: descriptor text must not open a template action in an annotation. */
function templateSafe(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}

/**
 * Matcher of the `le` label of a bucket: prom-client writes `le="30"`, Prometheus 3 normalises
 * classic-histogram `le` values on ingestion to `le="30.0"`; the regex accepts both.
 */
export function leMatcher(bucket: number): string {
  const text = String(bucket).replace(/\./g, '\\\\.');
  return Number.isInteger(bucket) ? `le=~"${text}(\\\\.0)?"` : `le=~"${text}"`;
}

/** Snake case in metric names: errorRate -> error_rate. */
export const sloMetricName = (slo: SloName) => slo.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const recordName = (slo: SloName, window: SliWindow) => `dataprod:sli_${sloMetricName(slo)}_error_ratio:rate${window}`;
export const FRESHNESS_STALE_RECORD = 'dataprod:sli_freshness_stale:bool';
export const ERROR_BUDGET_RECORD = 'dataprod:slo_error_budget:ratio';

/** The SLI error ratio of `slo` over `window`, for one product. */
export function sliExpression(productId: string, slo: Slo, window: SliWindow): string {
  const p = `product=${promString(productId)}`;
  const rate = (metric: string, extra = '') => `sum(rate(${metric}{${p}${extra}}[${window}]))`;
  const orZero = (metric: string) => `(${rate(metric)} or vector(0))`;
  switch (slo.slo) {
    case 'latency': {
      const count = rate('dataprod_append_to_publish_seconds_count');
      const within = rate('dataprod_append_to_publish_seconds_bucket', `,${leMatcher(slo.bucket!)}`);
      return `(\n  ${count}\n  -\n  ${within}\n)\n/\n${count}`;
    }
    case 'completeness':
      return (
        `clamp_min(\n  1 - (\n` +
        `    ${orZero('dataprod_records_published_total')}\n` +
        `    + ${orZero('dataprod_dlq_records_total')}\n` +
        `    + ${orZero('dataprod_records_filtered_total')}\n` +
        `  )\n  / ${rate('dataprod_records_consumed_total')},\n  0\n)`
      );
    case 'errorRate':
      return `${orZero('dataprod_records_invalid_total')}\n/\n${rate('dataprod_records_consumed_total')}`;
    case 'freshness':
      return `avg_over_time(${FRESHNESS_STALE_RECORD}{${p}}[${window}])`;
  }
}

/**
 * Freshness, evaluated at every rule evaluation: 1 when the newest published event is older than
 * the threshold, 0 when it is younger; no sample at all while the input is idle, i.e. no partition
 * has lag AND the newest input record read was appended more than the threshold ago (upstream
 * silence is not our staleness).
 */
export function freshnessStaleExpression(productId: string, thresholdSeconds: number): string {
  const p = `product=${promString(productId)}`;
  const t = clean(thresholdSeconds);
  return (
    `(\n  time() - max(dataprod_last_event_timestamp_seconds{${p}}) > bool ${t}\n)\n` +
    `and\n(\n` +
    `  sum(dataprod_consumer_lag_records{${p}}) > 0\n` +
    `  or\n` +
    `  time() - max(dataprod_source_last_append_timestamp_seconds{${p}}) <= ${t}\n)`
  );
}

/** Error-ratio threshold of a burn-rate condition: factor x budget. */
export const burnThreshold = (factor: number, budget: number) => clean(factor * budget);

/** Records the long window of a burn-rate condition must have consumed before it may fire. */
export const DEFAULT_MIN_RECORDS = 100;

export interface RulesOptions {
  /** Minimum-traffic guard of the ratio SLOs' burn-rate alerts (0: none). */
  minRecords?: number;
}

/**
 * Both windows of a condition above factor x budget, unless the product was backfilling at any
 * time within the short window: a backfill publishes old records (latency, freshness far off) at
 * full speed, and the short window still holds them for that long after it turned running.
 */
export function burnRateExpression(productId: string, slo: Slo, alert: BurnRateAlert, minRecords = DEFAULT_MIN_RECORDS): string {
  const p = `product=${promString(productId)}`;
  // A ratio over a few records is noise (3 invalid of 20 at start-up is 15%): no alert until the
  // long window holds enough of them. Freshness is a share of time, not of records: no guard.
  const guarded = minRecords > 0 && slo.slo !== 'freshness';
  return alert.conditions
    .map((c) => {
      const t = burnThreshold(c.factor, slo.budget);
      const guard = guarded ? `\n  and on ()\n  sum(increase(dataprod_records_consumed_total{${p}}[${c.long}])) >= ${minRecords}` : '';
      return (
        `(\n  ${recordName(slo.slo, c.long)}{${p}} > ${t}\n  and\n  ${recordName(slo.slo, c.short)}{${p}} > ${t}${guard}\n` +
        `  unless on (product)\n  ${backfillingWithin(p, c.short)}\n)`
      );
    })
    .join('\nor\n');
}

/** 1 for a product some worker showed as backfilling within `window`. */
const backfillingWithin = (p: string, window: SliWindow) =>
  `max by (product) (max_over_time(dataprod_product_state{${p},state="backfilling"}[${window}])) == 1`;

// ---------------------------------------------------------------------------------------------
// Rules

export type { AlertingRule, RecordingRule, Rule } from './rule-types.js';

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** Rules with a comment shown above them in the YAML. */
interface CommentedRule {
  rule: Rule;
  comment?: string;
}

interface CommentedGroup {
  name: string;
  rules: CommentedRule[];
}

const SLO_GROUP = (id: string) => `dataprod.${id}.slo`;
const OPERATIONS_GROUP = (id: string) => `dataprod.${id}.operations`;
const LIFECYCLE_GROUP = (id: string) => `dataprod.${id}.lifecycle`;

function ownersText(product: RulesProduct): string {
  const support = product.support
    .map((s) => [s.channel, s.url].filter((x): x is string => x !== undefined && x !== '').join(' '))
    .filter((s) => s !== '');
  return templateSafe(`Owners: ${product.team.name}.${support.length > 0 ? ` Support: ${support.join(', ')}` : ''}`);
}

function baseAnnotations(product: RulesProduct): Record<string, string> {
  const url = product.support.find((s) => s.url !== undefined && s.url !== '')?.url;
  return url === undefined ? {} : { runbook_url: templateSafe(url) };
}

const teamLabel = (product: RulesProduct) => ({ team: product.team.name });

function conditionText(alert: BurnRateAlert, slo: Slo): string {
  return alert.conditions
    .map((c) => `above ${c.factor}x the budget (${pct(burnThreshold(c.factor, slo.budget))}) over ${c.long} and ${c.short}`)
    .join(', or ');
}

function sloRules(product: RulesProduct, slo: Slo, minRecords: number): CommentedRule[] {
  const id = labelOf(product);
  const labels = { product: id };
  const rules: CommentedRule[] = [];
  const header =
    ` ${slo.slo} (slaProperties[${slo.index}]): ${slo.text}; error budget ${pct(slo.budget)}` +
    (slo.objectiveDefaulted ? `\n objective not set in the descriptor: the default ${DEFAULT_OBJECTIVE_PERCENT}% applies` : '') +
    (slo.bucket !== undefined ? `\n threshold = bucket le="${slo.bucket}" of dataprod_append_to_publish_seconds` : '') +
    (slo.budget === 0 ? '\n note: an error budget of 0 means any error at all fires every burn-rate alert' : '') +
    BURN_RATE_ALERTS.flatMap((a) => a.conditions)
      .filter((c) => burnThreshold(c.factor, slo.budget) >= 1)
      .map((c) => `\n note: ${c.factor} x ${pct(slo.budget)} >= 100%: the ${c.long}/${c.short} condition can never hold`)
      .join('');
  if (slo.slo === 'freshness') {
    rules.push({
      rule: { record: FRESHNESS_STALE_RECORD, expr: freshnessStaleExpression(id, slo.thresholdSeconds!), labels },
      comment: header,
    });
  }
  for (const window of SLI_WINDOWS) {
    const rule: RecordingRule = { record: recordName(slo.slo, window), expr: sliExpression(id, slo, window), labels };
    rules.push(rules.length === 0 ? { rule, comment: header } : { rule });
  }
  rules.push({ rule: { record: ERROR_BUDGET_RECORD, expr: `vector(${slo.budget})`, labels: { product: id, slo: slo.slo } } });
  for (const alert of BURN_RATE_ALERTS) {
    const fast = alert.severity === 'page';
    const longs = alert.conditions.map((c) => c.long).join(' or ');
    rules.push({
      rule: {
        alert: alert.alert,
        expr: burnRateExpression(id, slo, alert, minRecords),
        labels: { severity: alert.severity, product: id, slo: slo.slo, ...teamLabel(product) },
        annotations: {
          summary: `${id}: ${slo.slo} error budget burning ${fast ? 'fast' : 'steadily'}`,
          description:
            `Objective: ${slo.text} (error budget ${pct(slo.budget)}). ` +
            `Error ratio ${conditionText(alert, slo)}; over ${longs} it is {{ $value | humanizePercentage }}. ` +
            ownersText(product),
          ...baseAnnotations(product),
        },
      },
    });
  }
  return rules;
}

function operationsContext(product: RulesProduct): OperationsContext {
  const id = labelOf(product);
  return {
    id,
    selector: `product=${promString(id)}`,
    group: product.consumerGroup ?? `dataprod.${id}.v${product.version.split('.')[0]}`,
    dlqTopic: product.deadLetter?.topic ?? 'the dead-letter topic',
    labels: (severity) => ({ severity, product: id, ...teamLabel(product) }),
    annotations: (summary, description) => ({ summary, description: `${description} ${ownersText(product)}`, ...baseAnnotations(product) }),
  };
}

/** Compiles every product; throws DescriptorError with every SLA problem of every product. */
function compileAll(products: readonly RulesProduct[]): { product: RulesProduct; slos: Slo[] }[] {
  const sorted = [...products].sort((a, b) => (labelOf(a) < labelOf(b) ? -1 : labelOf(a) > labelOf(b) ? 1 : 0));
  const compiled = sorted.map((product) => ({ product, ...compileSlos(product) }));
  const failed = compiled.filter((c) => c.issues.length > 0);
  if (failed.length === 1) throw new DescriptorError(failed[0]!.product.file, failed[0]!.issues);
  if (failed.length > 1) {
    throw new DescriptorError(
      failed.map((f) => f.product.file).join(', '),
      failed.flatMap((f) => f.issues.map((i) => ({ ...i, path: `${f.product.file}: ${i.path}` }))),
    );
  }
  const ids = new Set<string>();
  for (const { product } of compiled) {
    const label = labelOf(product);
    if (ids.has(label))
      throw new DescriptorError(product.file, [
        { path: 'id', message: `product ${label} (${product.id} ${product.version}) is given twice; rule names would clash` },
      ]);
    ids.add(label);
  }
  return compiled;
}

function commentedGroups(products: readonly RulesProduct[], options: RulesOptions): CommentedGroup[] {
  const groups: CommentedGroup[] = [];
  const minRecords = options.minRecords ?? DEFAULT_MIN_RECORDS;
  for (const { product, slos } of compileAll(products)) {
    const label = labelOf(product);
    if (slos.length > 0) groups.push({ name: SLO_GROUP(label), rules: slos.flatMap((slo) => sloRules(product, slo, minRecords)) });
    groups.push({ name: OPERATIONS_GROUP(label), rules: operationsRules(operationsContext(product)) });
    const sunset = sunsetAlert({ name: label, lifecycle: product.lifecycle }, `product=${promString(label)}`, ownersText(product), {
      product: label,
      ...teamLabel(product),
    });
    if (sunset)
      groups.push({
        name: LIFECYCLE_GROUP(label),
        rules: [{ rule: { ...sunset, annotations: { ...sunset.annotations, ...baseAnnotations(product) } } }],
      });
  }
  return groups;
}

/** The rule groups of `products` (sorted by id). Throws DescriptorError on an unsupported SLA property. */
export function buildRuleGroups(products: readonly RulesProduct[], options: RulesOptions = {}): RuleGroup[] {
  return commentedGroups(products, options).map((g) => ({ name: g.name, rules: g.rules.map((r) => r.rule) }));
}

/**
 * One Prometheus rule file (YAML) for all `products`. Throws DescriptorError (every problem of
 * every product at once) when an SLA property cannot be turned into rules.
 */
export function generateRules(products: readonly RulesProduct[], options: RulesOptions = {}): string {
  const groups = commentedGroups(products, options);
  const doc = new Document(
    { groups: groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.rule) })) },
    { aliasDuplicateObjects: false },
  );
  const sorted = [...products].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  doc.commentBefore =
    ` Prometheus rules for dataprod data products, generated by \`dataprod rules\` (dataprod ${DATAPROD_VERSION}).\n` +
    ` Do not edit: change slaProperties in product.yaml and generate again. docs/slo-rules.md explains every rule.\n` +
    ` Products: ${sorted.length > 0 ? sorted.map((p) => `${p.id} ${p.version}`).join(', ') : '(none)'}`;
  groups.forEach((g, gi) => {
    g.rules.forEach((r, ri) => {
      if (r.comment === undefined) return;
      const node = doc.getIn(['groups', gi, 'rules', ri], true) as YAMLMap | undefined;
      if (node) node.commentBefore = r.comment;
    });
  });
  return doc.toString({ lineWidth: 0 });
}
