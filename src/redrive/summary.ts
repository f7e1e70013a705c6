import type { DeadLetterRecord } from './dead-letter-record.js';

/**
 * What `dataprod dlq inspect` counts (pure). A dead letter can sit in the topic several times: a
 * replay that dead-letters it again, or copies it forward past a filter, appends a new record for
 * the same original. The original's source position is its identity, so each is counted once, as
 * its latest record says (highest attempt; the later record of equal attempts): by reason, stage,
 * rule, field, writer schema id, source partition, attempt and status, with the first and last
 * timestamps and the first few of each reason kept as samples. Only codes and positions are kept
 * per dead letter (about 200 bytes each), never a value but for the samples.
 */

export const SAMPLES_PER_REASON = 3;

/** `(none)` stands for a header the dead letter does not have (no rule for a decode error, say). */
const NONE = '(none)';

/**
 * pending: a replay would take it (at or past the replay group's committed offset);
 * parked: it reached --max-attempts;
 * handled: a replay went past it and did not write it again: republished, filtered by the product,
 * or passed over as unreplayable.
 */
export type DeadLetterStatus = 'pending' | 'parked' | 'handled';

export interface DeadLetterCounts {
  /** Distinct dead letters (by source position). */
  total: number;
  /** Dead-letter timestamps (ms) of the first and last of them. */
  firstMs: number | undefined;
  lastMs: number | undefined;
  truncated: number;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  byStage: Record<string, number>;
  byRule: Record<string, number>;
  byField: Record<string, number>;
  bySchemaId: Record<string, number>;
  /** `<input topic>[<partition>]` of the original record. */
  bySource: Record<string, number>;
  byAttempt: Record<string, number>;
}

/** What is kept of each dead letter: codes and positions. */
type Entry = Pick<
  DeadLetterRecord,
  'partition' | 'offset' | 'timestamp' | 'reason' | 'stage' | 'rule' | 'field' | 'schemaId' | 'attempt' | 'parked'
> & {
  source: string | undefined;
  truncated: boolean;
};

export class DeadLetterSummary {
  private readonly latest = new Map<string, Entry>();
  /** The first dead letters of each reason, in the order read. */
  readonly samples = new Map<string, DeadLetterRecord[]>();

  add(letter: DeadLetterRecord): void {
    const { source } = letter;
    const id = source ? `${source.topic}/${source.partition}/${source.offset}` : `dlq/${letter.partition}/${letter.offset}`;
    const seen = this.latest.get(id);
    if (!seen || letter.attempt >= seen.attempt) {
      this.latest.set(id, {
        partition: letter.partition,
        offset: letter.offset,
        timestamp: letter.timestamp,
        reason: letter.reason,
        stage: letter.stage,
        rule: letter.rule,
        field: letter.field,
        schemaId: letter.schemaId,
        attempt: letter.attempt,
        parked: letter.parked,
        source: source ? `${source.topic}[${source.partition}]` : undefined,
        truncated: letter.truncatedFrom !== undefined,
      });
    }
    const reason = letter.reason ?? NONE;
    const kept = this.samples.get(reason) ?? [];
    if (!seen && kept.length < SAMPLES_PER_REASON) this.samples.set(reason, [...kept, letter]);
  }

  /** @param frontier the replay group's committed offset per dead-letter partition (none: nothing replayed). */
  counts(frontier: ReadonlyMap<number, bigint>): DeadLetterCounts {
    const c: DeadLetterCounts = {
      total: 0,
      firstMs: undefined,
      lastMs: undefined,
      truncated: 0,
      byStatus: {},
      byReason: {},
      byStage: {},
      byRule: {},
      byField: {},
      bySchemaId: {},
      bySource: {},
      byAttempt: {},
    };
    for (const e of this.latest.values()) {
      c.total += 1;
      if (c.firstMs === undefined || e.timestamp < c.firstMs) c.firstMs = e.timestamp;
      if (c.lastMs === undefined || e.timestamp > c.lastMs) c.lastMs = e.timestamp;
      if (e.truncated) c.truncated += 1;
      bump(c.byStatus, status(e, frontier));
      bump(c.byReason, e.reason ?? NONE);
      bump(c.byStage, e.stage ?? NONE);
      bump(c.byRule, e.rule ?? NONE);
      bump(c.byField, e.field ?? NONE);
      bump(c.bySchemaId, e.schemaId === undefined ? NONE : String(e.schemaId));
      bump(c.bySource, e.source ?? NONE);
      bump(c.byAttempt, String(e.attempt));
    }
    return c;
  }
}

function status(e: Entry, frontier: ReadonlyMap<number, bigint>): DeadLetterStatus {
  if (e.parked) return 'parked';
  const committed = frontier.get(e.partition);
  return committed !== undefined && BigInt(e.offset) < committed ? 'handled' : 'pending';
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
