/**
 * What an SLA property means in numbers: its threshold in seconds or its percentage, its error
 * budget and objective. Part of validating a product (an entry that cannot be measured is a
 * descriptor problem that `dataprod validate` reports), and the input of the SLO rule generator.
 */
import type { ConfigIssue } from '../errors.js';
import { LATENCY_BUCKETS } from '../observability/buckets.js';
import type { ProductDescriptor, SlaProperty } from './types.js';

export type SloName = SlaProperty['property'];

/** Objective used for latency and freshness when the descriptor gives none. */
export const DEFAULT_OBJECTIVE_PERCENT = 99;

/** Seconds per duration unit (lower-cased, trimmed). Absent unit: seconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

/** Units accepted for completeness and errorRate. Absent unit: percent. */
export const PERCENT_UNITS: readonly string[] = ['percent', '%'];

/** One SLA property, compiled: what the rules need. */
export interface Slo {
  slo: SloName;
  /** Index in `slaProperties`. */
  index: number;
  /** Allowed error ratio in [0, 1]: 1 - objective (latency, freshness, completeness), value (errorRate). */
  budget: number;
  /** 100 x (1 - budget). */
  objectivePercent: number;
  /** True when latency/freshness had no `objective` and DEFAULT_OBJECTIVE_PERCENT applies. */
  objectiveDefaulted: boolean;
  /** latency, freshness: the threshold in seconds. */
  thresholdSeconds?: number;
  /** latency: the bucket boundary used (equal to thresholdSeconds). */
  bucket?: number;
  /** One sentence for annotations and comments. */
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Rounds away binary noise: (100 - 99.9) / 100 is 0.0009999999999990906 in floating point. */
export function clean(n: number): number {
  return Number(n.toPrecision(12));
}

/** A duration in seconds as a short human string in the largest unit that keeps it exact-ish. */
export function humanDuration(seconds: number): string {
  if (seconds >= 86400 && Number.isInteger(clean(seconds / 86400))) return `${clean(seconds / 86400)}d`;
  if (seconds >= 3600 && Number.isInteger(clean(seconds / 3600))) return `${clean(seconds / 3600)}h`;
  if (seconds >= 60 && Number.isInteger(clean(seconds / 60))) return `${clean(seconds / 60)}m`;
  if (seconds >= 1) return `${clean(seconds)}s`;
  return `${clean(seconds * 1000)}ms`;
}

const sameNumber = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

// ---------------------------------------------------------------------------------------------
// Compiling slaProperties

function unitOf(s: SlaProperty): string | undefined {
  return s.unit === undefined ? undefined : s.unit.trim().toLowerCase();
}

/** An SLA entry that cannot be turned into an SLO: `slaProperties[index].field`. */
export interface SloProblem {
  index: number;
  field: 'property' | 'unit' | 'value' | 'objective';
  message: string;
}

/**
 * Compiles a product's slaProperties; every problem is returned (paths like
 * `slaProperties[0].value`), none thrown.
 */
export function compileSlos(product: Pick<ProductDescriptor, 'id' | 'slaProperties'>): { slos: Slo[]; issues: ConfigIssue[] } {
  const { slos, problems } = compileSlaEntries(
    product.id,
    product.slaProperties.map((sla, index) => ({ index, sla })),
  );
  return { slos, issues: problems.map((p) => ({ path: `slaProperties[${p.index}].${p.field}`, message: p.message })) };
}

/**
 * The SLOs of well-formed SLA entries (`index`: the entry's place in slaProperties), and the
 * problems of those that cannot be measured. Messages name the product `id` and the property.
 */
export function compileSlaEntries(
  id: string,
  entries: readonly { index: number; sla: SlaProperty }[],
): { slos: Slo[]; problems: SloProblem[] } {
  const slos: Slo[] = [];
  const problems: SloProblem[] = [];
  const seen = new Map<SloName, number>();
  entries.forEach(({ index, sla: s }) => {
    const issue = (field: SloProblem['field'], message: string) =>
      problems.push({ index, field, message: `product ${id}, ${s.property}: ${message}` });
    const previous = seen.get(s.property);
    if (previous !== undefined) {
      issue(
        'property',
        `a second ${s.property} entry (the first is slaProperties[${previous}]); dataprod rules supports one entry per property`,
      );
      return;
    }
    seen.set(s.property, index);
    const unit = unitOf(s);

    if (s.property === 'latency' || s.property === 'freshness') {
      const perUnit = unit === undefined ? 1 : DURATION_UNITS[unit];
      if (perUnit === undefined) {
        issue('unit', `unknown duration unit "${s.unit}"; use ms, s, m, h or d (no unit: seconds)`);
        return;
      }
      const thresholdSeconds = clean(s.value * perUnit);
      const objectiveDefaulted = s.objective === undefined;
      const objectivePercent = s.objective ?? DEFAULT_OBJECTIVE_PERCENT;
      const budget = clean((100 - objectivePercent) / 100);
      if (s.property === 'latency') {
        const bucket = LATENCY_BUCKETS.find((b) => sameNumber(b, thresholdSeconds));
        if (bucket === undefined) {
          issue(
            'value',
            `${clean(s.value)}${s.unit === undefined ? ' (seconds)' : ` ${s.unit}`} is not a bucket boundary of dataprod_append_to_publish_seconds, ` +
              `so the share of records within it cannot be measured exactly; use one of ${LATENCY_BUCKETS.map(humanDuration).join(', ')}`,
          );
          return;
        }
        slos.push({
          slo: 'latency',
          index,
          budget,
          objectivePercent,
          objectiveDefaulted,
          thresholdSeconds,
          bucket,
          text: `${objectivePercent}% of records published within ${humanDuration(thresholdSeconds)} of their source append`,
        });
      } else {
        slos.push({
          slo: 'freshness',
          index,
          budget,
          objectivePercent,
          objectiveDefaulted,
          thresholdSeconds,
          text: `newest published event younger than ${humanDuration(thresholdSeconds)} during ${objectivePercent}% of the time the input is not idle`,
        });
      }
      return;
    }

    // completeness, errorRate: value is a percentage
    if (unit !== undefined && !PERCENT_UNITS.includes(unit)) {
      issue('unit', `unknown unit "${s.unit}"; ${s.property} is a percentage: use percent (or %, or no unit)`);
      return;
    }
    if (s.value > 100) {
      issue('value', `${s.value} is not a percentage: use a value greater than 0 and at most 100`);
      return;
    }
    if (s.objective !== undefined) {
      issue(
        'objective',
        `objective is not used for ${s.property}: value is already the percentage (e.g. ${s.property === 'completeness' ? '{ property: completeness, value: 99.9, unit: percent }' : '{ property: errorRate, value: 1, unit: percent }'}); remove objective`,
      );
      return;
    }
    if (s.property === 'completeness') {
      const budget = clean((100 - s.value) / 100);
      slos.push({
        slo: 'completeness',
        index,
        budget,
        objectivePercent: clean(s.value),
        objectiveDefaulted: false,
        text: `${clean(s.value)}% of consumed records published, dead-lettered or filtered`,
      });
    } else {
      const budget = clean(s.value / 100);
      slos.push({
        slo: 'errorRate',
        index,
        budget,
        objectivePercent: clean(100 - s.value),
        objectiveDefaulted: false,
        text: `at most ${clean(s.value)}% of consumed records invalid`,
      });
    }
  });
  return { slos, problems };
}
