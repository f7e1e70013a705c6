import { planBatch, type BatchPlan, type PlannedWrite } from '../pipeline/batch-plan.js';
import type { BatchDecision } from '../pipeline/batch.js';
import { DLQ_HEADER, recordBytes, type WritableRecord } from '../pipeline/dead-letter.js';
import type { ProductDescriptor } from '../product/types.js';
import { originalRecord, REDRIVE_HEADER, type DeadLetterRecord, type SourcePosition } from './dead-letter-record.js';
import type { Verdict } from './selection.js';

/**
 * One replay step (pure): from a run of dead letters, their verdicts and the processor's decision
 * for the ones replayed, the writes and the dead-letter offset to commit with them. The decision
 * comes from the worker's own code path (decideBatch over the original records), and so do the
 * dead letters (planBatch); this only adds what marks a redrive:
 * - an output carries `dataprod.redrive.attempt` and the original source position;
 * - a still-bad record is dead-lettered again with the attempt raised, and `dataprod.redrive.parked:
 *   true` once the attempt reaches maxAttempts;
 * - a dead letter not taken (left out by a filter, or parked) is copied unchanged (its timestamp
 *   too) to the end of the dead-letter topic, since the commit moves the replay group past it.
 * The plan's "input" is the dead-letter partition: delivery.ts commits its offset with the writes.
 */

export interface ReplayTally {
  /** Dead letters run through the product again. */
  replayed: number;
  /** Of those, published (at least one output). */
  republished: number;
  /** Output records written for them. */
  outputs: number;
  /** Of those, filtered by the product now (transform returned null, a drop rule). */
  filtered: number;
  /** Of those, dead-lettered again. */
  redeadLettered: number;
  /** Of the dead-lettered again, parked (attempt reached maxAttempts). */
  parked: number;
  /** Not taken because they were parked already: copied forward. */
  skippedParked: number;
  /** Passed over: not replayable (see Verdict). */
  unreplayable: number;
  /** Not taken because a filter left them out: copied forward. */
  carried: number;
}

export const emptyTally = (): ReplayTally => ({
  replayed: 0,
  republished: 0,
  outputs: 0,
  filtered: 0,
  redeadLettered: 0,
  parked: 0,
  skippedParked: 0,
  unreplayable: 0,
  carried: 0,
});

export function addTally(into: ReplayTally, from: ReplayTally): void {
  for (const k of Object.keys(into) as (keyof ReplayTally)[]) into[k] += from[k];
}

export interface ReplayStep {
  /** The dead letters of one dead-letter partition, in offset order. */
  letters: readonly DeadLetterRecord[];
  verdicts: readonly Verdict[];
  /** The dead-letter offset after the last letter (what the commit covers). */
  nextOffset: string;
  /** The decision over the replayed letters, in their order. */
  decision: BatchDecision;
  maxAttempts: number;
  /** The dead-letter topic's max.message.bytes. */
  deadLetterBatchBytes: number;
}

export interface ReplayPlan {
  plan: BatchPlan;
  tally: ReplayTally;
}

/** The headers that mark an output as a redrive: the attempt and where the original record is. */
export function redriveHeaders(attempt: number, source: SourcePosition): Record<string, string> {
  return {
    [REDRIVE_HEADER.attempt]: String(attempt),
    [DLQ_HEADER.topic]: source.topic,
    [DLQ_HEADER.partition]: String(source.partition),
    [DLQ_HEADER.offset]: source.offset,
  };
}

export function planReplay(product: ProductDescriptor, step: ReplayStep): ReplayPlan {
  const { letters, verdicts, decision, maxAttempts } = step;
  const tally = emptyTally();
  const replayed: (DeadLetterRecord & { source: SourcePosition })[] = [];
  const replayedAt: number[] = [];
  const writes: PlannedWrite[] = [];
  letters.forEach((letter, i) => {
    const verdict = verdicts[i]!;
    if (verdict === 'replay') {
      replayed.push(letter as DeadLetterRecord & { source: SourcePosition });
      replayedAt.push(i);
    } else if (verdict === 'unreplayable') tally.unreplayable += 1;
    else {
      // Not taken (a filter left it out, or it is parked): copied, so the commit loses it from no view.
      if (verdict === 'parked') tally.skippedParked += 1;
      else tally.carried += 1;
      writes.push(write(product.deadLetter.topic, carried(letter), i));
    }
  });
  if (decision.decided !== replayed.length) throw new Error(`decided ${decision.decided} of ${replayed.length} replayed dead letters`);

  if (replayed.length > 0) {
    const inner = planBatch(
      product,
      replayed.map(originalRecord),
      decision,
      { deadLetterBatchBytes: step.deadLetterBatchBytes },
      undefined,
    );
    if (inner.blocked)
      throw new Error(
        `a replayed dead letter at ${product.deadLetter.topic}[${replayed[inner.blocked.index]!.partition}]@${replayed[inner.blocked.index]!.offset} no longer fits the dead-letter topic`,
      );
    for (const w of inner.writes) {
      const letter = replayed[w.source]!;
      const attempt = letter.attempt + 1;
      const headers = { ...w.record.headers, ...redriveHeaders(attempt, letter.source) };
      // A dead letter already names its source position; the attempt and the parking are ours.
      if (w.topic === product.deadLetter.topic && attempt >= maxAttempts) headers[REDRIVE_HEADER.parked] = 'true';
      writes.push(write(w.topic, { ...w.record, headers }, replayedAt[w.source]!));
    }
    tally.replayed = replayed.length;
    decision.outcomes.forEach((outcome, i) => {
      if (outcome === 'published') tally.republished += 1;
      else if (outcome === 'filtered') tally.filtered += 1;
      else {
        tally.redeadLettered += 1;
        if (replayed[i]!.attempt + 1 >= maxAttempts) tally.parked += 1;
      }
    });
    tally.outputs = decision.outputs.length;
  }
  // Writes in dead-letter order, so an at-least-once send that fails part-way names a prefix.
  writes.sort((a, b) => a.source - b.source);
  const first = letters[0]!;
  return {
    tally,
    plan: {
      topic: product.deadLetter.topic,
      partition: first.partition,
      records: letters.length,
      commitOffset: step.nextOffset,
      writes,
      outputTopic: product.output.topic,
      deadLetterTopic: product.deadLetter.topic,
      entries: [],
    },
  };
}

function write(topic: string, record: WritableRecord, source: number): PlannedWrite {
  return { topic, record, source, bytes: recordBytes(record) };
}

/** A dead letter copied as it is: key, value, every header (first values) and its timestamp. */
function carried(letter: DeadLetterRecord): WritableRecord & { timestamp: string } {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first;
  }
  return { key: letter.key, value: letter.value, headers, timestamp: String(letter.timestamp) };
}
