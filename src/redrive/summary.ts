import type { DeadLetterRecord } from './dead-letter-record.js';

/**
 * What `dataprod dlq inspect` counts (pure): dead letters by reason, stage, rule, field, writer
 * schema id, source partition and attempt, their first and last timestamps, and the first few of
 * each reason kept as samples. Counts only codes and positions, never a value.
 */

export const SAMPLES_PER_REASON = 3;

/** `(none)` stands for a header the dead letter does not have (no rule for a decode error, say). */
const NONE = '(none)';

export interface DeadLetterCounts {
  total: number;
  /** Dead-letter timestamps (ms) of the first and last dead letter counted. */
  firstMs: number | undefined;
  lastMs: number | undefined;
  parked: number;
  truncated: number;
  byReason: Record<string, number>;
  byStage: Record<string, number>;
  byRule: Record<string, number>;
  byField: Record<string, number>;
  bySchemaId: Record<string, number>;
  /** `<input topic>[<partition>]` of the original record. */
  bySource: Record<string, number>;
  byAttempt: Record<string, number>;
}

export class DeadLetterSummary {
  readonly counts: DeadLetterCounts = {
    total: 0,
    firstMs: undefined,
    lastMs: undefined,
    parked: 0,
    truncated: 0,
    byReason: {},
    byStage: {},
    byRule: {},
    byField: {},
    bySchemaId: {},
    bySource: {},
    byAttempt: {},
  };
  /** The first dead letters of each reason, in the order read. */
  readonly samples = new Map<string, DeadLetterRecord[]>();

  add(letter: DeadLetterRecord): void {
    const c = this.counts;
    c.total += 1;
    if (c.firstMs === undefined || letter.timestamp < c.firstMs) c.firstMs = letter.timestamp;
    if (c.lastMs === undefined || letter.timestamp > c.lastMs) c.lastMs = letter.timestamp;
    if (letter.parked) c.parked += 1;
    if (letter.truncatedFrom !== undefined) c.truncated += 1;
    const reason = letter.reason ?? NONE;
    bump(c.byReason, reason);
    bump(c.byStage, letter.stage ?? NONE);
    bump(c.byRule, letter.rule ?? NONE);
    bump(c.byField, letter.field ?? NONE);
    bump(c.bySchemaId, letter.schemaId === undefined ? NONE : String(letter.schemaId));
    bump(c.bySource, letter.source ? `${letter.source.topic}[${letter.source.partition}]` : NONE);
    bump(c.byAttempt, String(letter.attempt));
    const kept = this.samples.get(reason) ?? [];
    if (kept.length < SAMPLES_PER_REASON) this.samples.set(reason, [...kept, letter]);
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
