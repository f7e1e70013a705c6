import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProductDescriptor } from '../../../src/product/types.js';
import type { BatchDecision } from '../../../src/pipeline/batch.js';
import { chunkWrites, planBatch, tallyPlan, type PlannedWrite } from '../../../src/pipeline/batch-plan.js';
import { BATCH_OVERHEAD_BYTES, DLQ_HEADER, recordBytes } from '../../../src/pipeline/dead-letter.js';
import type { DataError, SourceRecord } from '../../../src/pipeline/processor.js';

const OUT = 'fin.payments.v2';
const DLQ = 'fin.payments.dlq';
const LIMITS = { deadLetterBatchBytes: 1_000_000 };

function product(): ProductDescriptor {
  const descriptor: Omit<ProductDescriptor, 'output'> = {
    dir: '/p',
    file: '/p/product.yaml',
    id: 'fin.payments',
    name: 'payments',
    domain: 'fin',
    version: '2.1.0',
    major: 2,
    status: 'active',
    description: {},
    team: { name: 'fin', members: [] },
    support: [],
    inputPorts: [
      {
        name: 'payments',
        topic: 'raw.payments',
        contract: { subject: 'raw.payments-value', schemaFile: '/p/schemas/in.avsc', schema: {}, constraints: [] },
        onInvalid: 'drop',
      },
    ],
    transformFile: '/p/transform.ts',
    outputPorts: [
      {
        name: 'payments',
        topic: OUT,
        subject: `${OUT}-value`,
        key: 'payment_id',
        schemaFile: '/p/schemas/out.avsc',
        schema: {},
        compatibility: 'BACKWARD_TRANSITIVE',
        classification: {},
      },
    ],
    deadLetter: { topic: DLQ },
    quality: [],
    slaProperties: [],
    consumerGroup: 'dataprod.fin.payments.v2',
    majorId: 'fin.payments.v2',
    delivery: 'at-least-once',
    longs: 'number',
  };
  return { ...descriptor, output: descriptor.outputPorts[0]! };
}

/** Records at offsets 100, 101, ... of raw.payments partition 3, timestamps 1000, 1001, ... */
function records(n: number, value = (i: number) => Buffer.from(`v${i}`)): SourceRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: 'raw.payments',
    partition: 3,
    offset: String(100 + i),
    timestamp: String(1000 + i),
    key: Buffer.from(`k${i}`),
    value: value(i),
    headers: { trace: Buffer.from(`t${i}`) },
  }));
}

const contractError: DataError = { reason: 'contract', stage: 'contract', rule: 'currency-iso' };
const notAvro: DataError = { reason: 'not-avro', stage: 'decode' };
const transformError: DataError = { reason: 'transform', stage: 'transform' };

/**
 * 0: published, two outputs with event times, warning w1
 * 1: filtered by the transform
 * 2: filtered as invalid (onInvalid: drop), reason contract
 * 3: dead-lettered, input reason not-avro
 * 4: dead-lettered, stage reason transform
 * 5: published, one output without event time, warnings w1 and w2
 */
function mixedDecision(): BatchDecision {
  return {
    decided: 6,
    outcomes: ['published', 'filtered', 'filtered', 'dead-lettered', 'dead-lettered', 'published'],
    outputs: [
      { key: 'o0a', value: Buffer.from('out-0a'), source: 0, eventTime: 5000 },
      { key: 'o0b', value: Buffer.from('out-0b'), source: 0, eventTime: 5001 },
      { key: 'o5', value: Buffer.from('out-5'), source: 5 },
    ],
    errors: [
      [2, contractError],
      [3, notAvro],
      [4, transformError],
    ],
    warnings: [
      [0, 'w1'],
      [5, 'w1'],
      [5, 'w2'],
    ],
  };
}

const summary = (writes: PlannedWrite[]) => writes.map((w) => [w.topic, w.source]);

describe('planBatch', () => {
  it('plans a mixed batch: writes in record order, the commit after the last record', () => {
    const recs = records(6);
    const plan = planBatch(product(), recs, mixedDecision(), LIMITS, undefined);
    assert.equal(plan.topic, 'raw.payments');
    assert.equal(plan.partition, 3);
    assert.equal(plan.records, 6);
    assert.equal(plan.commitOffset, '106');
    assert.equal(plan.blocked, undefined);
    assert.deepEqual(summary(plan.writes), [
      [OUT, 0],
      [OUT, 0],
      [DLQ, 3],
      [DLQ, 4],
      [OUT, 5],
    ]);
    assert.deepEqual(plan.writes[0]!.record, { key: 'o0a', value: Buffer.from('out-0a') });
    assert.deepEqual(plan.writes[4]!.record, { key: 'o5', value: Buffer.from('out-5') });
    for (const w of plan.writes) assert.equal(w.bytes, recordBytes(w.record));

    const letter = plan.writes[2]!.record;
    assert.deepEqual(letter.key, recs[3]!.key);
    assert.deepEqual(letter.value, recs[3]!.value);
    assert.equal(letter.headers![DLQ_HEADER.reason], 'not-avro');
    assert.equal(letter.headers![DLQ_HEADER.stage], 'decode');
    assert.equal(letter.headers![DLQ_HEADER.offset], '103');
    assert.equal(letter.headers![DLQ_HEADER.valueTruncated], undefined);
    assert.equal(plan.writes[3]!.record.headers![DLQ_HEADER.reason], 'transform');
  });

  it('tallies every covered record once: consumed = published + dead-lettered + filtered', () => {
    const tally = tallyPlan(planBatch(product(), records(6), mixedDecision(), LIMITS, undefined));
    assert.equal(tally.consumed, 6);
    assert.equal(tally.published, 2);
    assert.equal(tally.filtered, 2);
    assert.equal(tally.deadLettered, 2);
    assert.equal(tally.consumed, tally.published + tally.deadLettered + tally.filtered);
    assert.equal(tally.outputs, 3);
    assert.equal(tally.truncated, 0);
    assert.deepEqual(tally.rewritten, new Map());
    assert.deepEqual(
      tally.dlqReasons,
      new Map([
        ['not-avro', 1],
        ['transform', 1],
      ]),
    );
    // Input reasons (the record was bad) count as invalid, whether filtered or dead-lettered...
    assert.deepEqual(
      tally.invalidReasons,
      new Map([
        ['contract', 1],
        ['not-avro', 1],
      ]),
    );
    // ...and our own stage failing on a good record counts by stage.
    assert.deepEqual(tally.errorStages, new Map([['transform', 1]]));
    assert.deepEqual(
      tally.warnings,
      new Map([
        ['w1', 2],
        ['w2', 1],
      ]),
    );
    assert.deepEqual(tally.publishedAt, [1000, 1005]);
    assert.deepEqual(tally.eventTimes, [5000, 5001]);
  });

  it('tallies only a prefix when asked for the first k records', () => {
    const plan = planBatch(product(), records(6), mixedDecision(), LIMITS, undefined);
    const tally = tallyPlan(plan, 3);
    assert.equal(tally.consumed, 3);
    assert.equal(tally.published, 1);
    assert.equal(tally.filtered, 2);
    assert.equal(tally.deadLettered, 0);
    assert.equal(tally.outputs, 2);
    assert.deepEqual(tally.invalidReasons, new Map([['contract', 1]]));
    assert.deepEqual(tally.dlqReasons, new Map());
    assert.deepEqual(tally.warnings, new Map([['w1', 1]]));
    assert.deepEqual(tally.publishedAt, [1000]);
    assert.equal(tallyPlan(plan, 0).consumed, 0);
  });

  it('writes replays again but counts them only as rewritten, by topic', () => {
    // Offsets 100..102 were acknowledged before: records 0 (two outputs), 1 and 2 (filtered).
    const plan = planBatch(product(), records(6), mixedDecision(), LIMITS, 103n);
    assert.equal(plan.writes.length, 5, 'replays are written again');
    assert.equal(plan.commitOffset, '106');
    const tally = tallyPlan(plan);
    assert.deepEqual(tally.rewritten, new Map([[OUT, 2]]));
    assert.equal(tally.consumed, 3);
    assert.equal(tally.published, 1);
    assert.equal(tally.filtered, 0);
    assert.equal(tally.deadLettered, 2);
    assert.equal(tally.consumed, tally.published + tally.deadLettered + tally.filtered);
    assert.equal(tally.outputs, 1);
    assert.deepEqual(tally.invalidReasons, new Map([['not-avro', 1]]));
    assert.deepEqual(
      tally.warnings,
      new Map([
        ['w1', 1],
        ['w2', 1],
      ]),
    );
    assert.deepEqual(tally.publishedAt, [1005]);
    assert.deepEqual(tally.eventTimes, []);
  });

  it('counts replayed dead letters as rewritten on the dead-letter topic', () => {
    // Offsets 100..104 acknowledged before: only record 5 is new.
    const tally = tallyPlan(planBatch(product(), records(6), mixedDecision(), LIMITS, 105n));
    assert.deepEqual(
      tally.rewritten,
      new Map([
        [OUT, 2],
        [DLQ, 2],
      ]),
    );
    assert.equal(tally.consumed, 1);
    assert.equal(tally.published, 1);
    assert.equal(tally.consumed, tally.published + tally.deadLettered + tally.filtered);
    assert.deepEqual(tally.dlqReasons, new Map());
    assert.deepEqual(tally.errorStages, new Map());
  });

  it('counts nothing as a replay when writtenThrough is at or below the first offset', () => {
    const tally = tallyPlan(planBatch(product(), records(6), mixedDecision(), LIMITS, 100n));
    assert.equal(tally.consumed, 6);
    assert.deepEqual(tally.rewritten, new Map());
  });

  it('blocks before a dead letter that cannot fit, covering and committing only the records before it', () => {
    const recs = records(6);
    const plan = planBatch(product(), recs, mixedDecision(), { deadLetterBatchBytes: 100 }, undefined);
    assert.ok(plan.blocked);
    assert.equal(plan.blocked.index, 3);
    assert.equal(plan.blocked.topic, DLQ);
    assert.equal(plan.blocked.limitBytes, 100);
    assert.ok(plan.blocked.bytes > 100 - BATCH_OVERHEAD_BYTES);
    assert.equal(plan.records, 3);
    assert.equal(plan.commitOffset, '103');
    assert.ok(
      plan.writes.every((w) => w.source < 3),
      'nothing at or past the blocked record is written',
    );
    assert.deepEqual(summary(plan.writes), [
      [OUT, 0],
      [OUT, 0],
    ]);
    const tally = tallyPlan(plan);
    assert.equal(tally.consumed, 3);
    assert.equal(tally.deadLettered, 0);
  });

  it('blocks at index 0 with nothing to commit', () => {
    const decision: BatchDecision = {
      decided: 2,
      outcomes: ['dead-lettered', 'published'],
      outputs: [{ key: 'o1', value: Buffer.from('out-1'), source: 1 }],
      errors: [[0, notAvro]],
      warnings: [],
    };
    const plan = planBatch(product(), records(2), decision, { deadLetterBatchBytes: 100 }, undefined);
    assert.equal(plan.blocked?.index, 0);
    assert.equal(plan.records, 0);
    assert.equal(plan.commitOffset, undefined);
    assert.deepEqual(plan.writes, []);
    assert.equal(tallyPlan(plan).consumed, 0);
  });

  it('writes a dead letter too large for its topic truncated, when its key and headers fit', () => {
    const big = Buffer.alloc(10_000, 7);
    const recs = records(6, (i) => (i === 3 ? big : Buffer.from(`v${i}`)));
    const limit = 2_000;
    const plan = planBatch(product(), recs, mixedDecision(), { deadLetterBatchBytes: limit }, undefined);
    assert.equal(plan.blocked, undefined);
    assert.equal(plan.records, 6);
    const write = plan.writes.find((w) => w.source === 3)!;
    assert.equal(write.topic, DLQ);
    const letter = write.record;
    assert.equal(letter.headers![DLQ_HEADER.valueTruncated], '10000');
    assert.ok(recordBytes(letter) + BATCH_OVERHEAD_BYTES <= limit, `${recordBytes(letter)} + overhead > ${limit}`);
    assert.equal(write.bytes, recordBytes(letter));
    assert.ok(letter.value!.length > 0 && letter.value!.length < big.length);
    assert.deepEqual(letter.value, big.subarray(0, letter.value!.length));
    assert.deepEqual(letter.key, recs[3]!.key);
    assert.equal(letter.headers!.trace!.toString(), 't3');
    // The other dead letter fits as is.
    assert.equal(plan.writes.find((w) => w.source === 4)!.record.headers![DLQ_HEADER.valueTruncated], undefined);
    const tally = tallyPlan(plan);
    assert.equal(tally.truncated, 1);
    assert.equal(tally.deadLettered, 2);
  });

  it('covers only the decided records when the decision stopped for a schema', () => {
    const full = mixedDecision();
    const decision: BatchDecision = {
      decided: 2,
      outcomes: full.outcomes.slice(0, 2),
      outputs: full.outputs.filter((o) => o.source < 2),
      errors: [],
      warnings: [[0, 'w1']],
      stop: { kind: 'needs-schema', index: 2 },
    };
    const plan = planBatch(product(), records(6), decision, LIMITS, undefined);
    assert.equal(plan.records, 2);
    assert.equal(plan.commitOffset, '102');
    assert.equal(plan.entries.length, 2);
    assert.deepEqual(summary(plan.writes), [
      [OUT, 0],
      [OUT, 0],
    ]);
    const tally = tallyPlan(plan);
    assert.equal(tally.consumed, 2);
    assert.equal(tally.published, 1);
    assert.equal(tally.filtered, 1);
  });
});

describe('chunkWrites', () => {
  const write = (source: number, bytes: number): PlannedWrite => ({ topic: OUT, record: { key: null, value: null }, source, bytes });

  it('keeps the order and stays within maxBytes, an oversize record going alone', () => {
    const writes = [write(0, 30), write(1, 30), write(2, 30), write(3, 100), write(4, 10), write(5, 50)];
    const chunks = chunkWrites(writes, 60);
    assert.deepEqual(
      chunks.map((c) => c.map((w) => w.source)),
      [[0, 1], [2], [3], [4, 5]],
    );
    assert.deepEqual(chunks.flat(), writes);
    for (const c of chunks) {
      const size = c.reduce((n, w) => n + w.bytes, 0);
      assert.ok(size <= 60 || c.length === 1, `chunk of ${size} bytes with ${c.length} records`);
    }
  });

  it('puts everything in one chunk when it fits, and makes no chunk of nothing', () => {
    const writes = [write(0, 10), write(1, 10)];
    assert.deepEqual(chunkWrites(writes, 20), [writes]);
    assert.deepEqual(chunkWrites([], 20), []);
  });

  it('does not start a chunk with an empty one before an oversize first record', () => {
    const chunks = chunkWrites([write(0, 500), write(1, 5)], 60);
    assert.deepEqual(
      chunks.map((c) => c.map((w) => w.source)),
      [[0], [1]],
    );
  });
});
