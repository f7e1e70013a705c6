import type { ProductDescriptor } from '../product/types.js';
import type { BatchDecision } from './batch.js';
import { BATCH_OVERHEAD_BYTES, DLQ_HEADER, deadLetterMessage, fitDeadLetter, recordBytes, type WritableRecord } from './dead-letter.js';
import { INPUT_REASONS, type DlqReason, type SourceRecord } from './processor.js';

/**
 * Step 2 of the batch path (summarize, pure): from a batch's decisions, what to write, what to
 * commit and what to count once the writes are acknowledged. No I/O and no clock, so every rule of
 * the accounting is unit-tested here:
 * - consumed = published + dead-lettered + filtered, over the records the plan covers;
 * - records at offsets whose writes were already acknowledged once (a replay after a failed commit
 *   or a rebalance back to this member) are written again but counted only as `rewritten`;
 * - a dead letter too large for the dead-letter topic is written truncated (see fitDeadLetter); one
 *   that cannot fit at all ends the plan before it (`blocked`), so nothing past it is committed.
 */

/** One record to write, in the order of the input records it came from. */
export interface PlannedWrite {
  topic: string;
  record: WritableRecord;
  /** Index of the input record in the batch. */
  source: number;
  /** recordBytes(record), kept for chunking. */
  bytes: number;
}

export interface BatchTally {
  /** Input records counted for the first time (replays excluded). */
  consumed: number;
  published: number;
  filtered: number;
  deadLettered: number;
  /** Output records of the published inputs (a transform may emit several per input). */
  outputs: number;
  /** Records written again for inputs whose writes were already acknowledged, by topic. */
  rewritten: Map<string, number>;
  /** Dead letters written with a truncated value. */
  truncated: number;
  dlqReasons: Map<DlqReason, number>;
  invalidReasons: Map<DlqReason, number>;
  errorStages: Map<string, number>;
  warnings: Map<string, number>;
  /** Broker timestamps (ms) of the published inputs, for append-to-publish latency. */
  publishedAt: number[];
  /** Event times (ms) of their outputs, when the output port declares eventTime. */
  eventTimes: number[];
}

/** What the plan knows of one covered input record, to count it once its writes are acknowledged. */
interface RecordEntry {
  outcome: 'published' | 'filtered' | 'dead-lettered';
  /** Its writes were acknowledged before (a replay): counted only as rewritten. */
  replay: boolean;
  timestamp: number;
  reason?: DlqReason;
  stage?: string;
  truncated?: boolean;
  warnings?: string[];
  /** Output records written for it, and their event times. */
  outputs: number;
  eventTimes?: number[];
}

export interface BatchPlan {
  topic: string;
  partition: number;
  /** Records covered, from the first of the batch: the decided ones, or fewer when blocked. */
  records: number;
  /** Offset to commit once the writes are acknowledged: the last covered record's + 1. */
  commitOffset: string | undefined;
  writes: PlannedWrite[];
  /**
   * A dead letter no write can fit: the plan stops before it, and so must the product. `bytes`:
   * the smallest batch it could be written in (key and headers, no value).
   */
  blocked?: { index: number; topic: string; bytes: number; limitBytes: number };
  outputTopic: string;
  deadLetterTopic: string;
  entries: RecordEntry[];
}

export interface PlanLimits {
  /** `max.message.bytes` of the dead-letter topic. */
  deadLetterBatchBytes: number;
}

const INPUT = new Set<DlqReason>(INPUT_REASONS);

/**
 * @param writtenThrough the offset below which this partition's writes were already acknowledged
 *   by this process (undefined: none known), so records below it are replays.
 */
export function planBatch(
  product: ProductDescriptor,
  records: readonly SourceRecord[],
  decision: BatchDecision,
  limits: PlanLimits,
  writtenThrough: bigint | undefined,
): BatchPlan {
  const first = records[0]!;
  const outputTopic = product.output.topic;
  const deadLetterTopic = product.deadLetter.topic;
  const plan: BatchPlan = {
    topic: first.topic,
    partition: first.partition,
    records: 0,
    commitOffset: undefined,
    writes: [],
    outputTopic,
    deadLetterTopic,
    entries: [],
  };
  const errors = new Map(decision.errors);
  const warnings = new Map<number, string[]>();
  for (const [i, rule] of decision.warnings) warnings.set(i, [...(warnings.get(i) ?? []), rule]);

  // Offsets rise within a batch, so replays are a leading run: usually empty, found from the first record.
  let replays = 0;
  if (writtenThrough !== undefined && BigInt(first.offset) < writtenThrough) {
    while (replays < decision.decided && BigInt(records[replays]!.offset) < writtenThrough) replays++;
  }

  let nextOutput = 0;
  for (let i = 0; i < decision.decided; i++) {
    const source = records[i]!;
    const entry: RecordEntry = {
      outcome: decision.outcomes[i]!,
      replay: i < replays,
      timestamp: Number(source.timestamp),
      outputs: 0,
    };
    const error = errors.get(i);
    if (error) {
      entry.reason = error.reason;
      entry.stage = error.stage;
    }
    if (entry.outcome === 'dead-lettered') {
      const full = deadLetterMessage(source, error!, product);
      const letter = fitDeadLetter(full, limits.deadLetterBatchBytes);
      if (!letter) {
        // What it needs at the least: key and headers (with the truncation header), no value.
        const bare = {
          key: full.key,
          value: null,
          headers: { ...full.headers, [DLQ_HEADER.valueTruncated]: String(full.value?.length ?? 0) },
        };
        plan.blocked = {
          index: i,
          topic: deadLetterTopic,
          bytes: recordBytes(bare) + BATCH_OVERHEAD_BYTES,
          limitBytes: limits.deadLetterBatchBytes,
        };
        break;
      }
      entry.truncated = letter !== full;
      plan.writes.push({ topic: deadLetterTopic, record: letter, source: i, bytes: recordBytes(letter) });
    } else if (entry.outcome === 'published') {
      entry.warnings = warnings.get(i);
      while (nextOutput < decision.outputs.length && decision.outputs[nextOutput]!.source === i) {
        const out = decision.outputs[nextOutput++]!;
        const record = { key: out.key, value: out.value };
        plan.writes.push({ topic: outputTopic, record, source: i, bytes: recordBytes(record) });
        entry.outputs += 1;
        if (out.eventTime !== undefined) (entry.eventTimes ??= []).push(out.eventTime);
      }
    }
    plan.entries.push(entry);
    plan.records = i + 1;
  }
  // Outputs of records past a block are not written: they come again with the blocked record.
  if (plan.records > 0) plan.commitOffset = (BigInt(records[plan.records - 1]!.offset) + 1n).toString();
  return plan;
}

/**
 * What to count for the plan's first `upTo` records once their writes are acknowledged (all of
 * them by default; fewer when a write failed after some sends went through).
 */
export function tallyPlan(plan: BatchPlan, upTo = plan.records): BatchTally {
  const tally: BatchTally = {
    consumed: 0,
    published: 0,
    filtered: 0,
    deadLettered: 0,
    outputs: 0,
    rewritten: new Map(),
    truncated: 0,
    dlqReasons: new Map(),
    invalidReasons: new Map(),
    errorStages: new Map(),
    warnings: new Map(),
    publishedAt: [],
    eventTimes: [],
  };
  for (let i = 0; i < upTo; i++) {
    const e = plan.entries[i]!;
    if (e.replay) {
      if (e.outcome === 'dead-lettered') bump(tally.rewritten, plan.deadLetterTopic);
      else if (e.outputs > 0) bump(tally.rewritten, plan.outputTopic, e.outputs);
      continue;
    }
    tally.consumed += 1;
    if (e.outcome === 'published') {
      tally.published += 1;
      tally.outputs += e.outputs;
      tally.publishedAt.push(e.timestamp);
      if (e.eventTimes) tally.eventTimes.push(...e.eventTimes);
      for (const rule of e.warnings ?? []) bump(tally.warnings, rule);
    } else if (e.outcome === 'filtered') {
      tally.filtered += 1;
      // Invalid input on a port with onInvalid: drop is filtered, and still invalid.
      if (e.reason) bump(tally.invalidReasons, e.reason);
    } else {
      tally.deadLettered += 1;
      if (e.truncated) tally.truncated += 1;
      bump(tally.dlqReasons, e.reason!);
      if (INPUT.has(e.reason!)) bump(tally.invalidReasons, e.reason!);
      else bump(tally.errorStages, e.stage!);
    }
  }
  return tally;
}

/**
 * Splits writes, in order, into sends of at most `maxBytes` each (a Kafka producer puts one
 * partition's records of a send into one record batch, which the broker refuses above the topic's
 * max.message.bytes). A record larger than `maxBytes` goes alone.
 */
export function chunkWrites(writes: readonly PlannedWrite[], maxBytes: number): PlannedWrite[][] {
  const chunks: PlannedWrite[][] = [];
  let current: PlannedWrite[] = [];
  let size = 0;
  for (const w of writes) {
    if (current.length > 0 && size + w.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(w);
    size += w.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function bump<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
