import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BatchDecision } from '../../../src/pipeline/batch.js';
import { DLQ_HEADER } from '../../../src/pipeline/dead-letter.js';
import { REDRIVE_HEADER } from '../../../src/redrive/dead-letter-record.js';
import { planReplay } from '../../../src/redrive/replay-plan.js';
import type { Verdict } from '../../../src/redrive/selection.js';
import { deadLetter, DLQ, IN, OUT, product, source } from './fixtures.js';

const text = (headers: Record<string, Buffer | string> | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));

/**
 * Dead letters at fin.payments.dlq[0]@20..24:
 * 20: attempt 1, replayed, published now (two outputs)
 * 21: not selected: copied forward
 * 22: attempt 1, replayed, still bad: dead-lettered again with attempt 2
 * 23: attempt 2, replayed, still bad: attempt 3 = max, parked
 * 24: parked already: copied forward
 */
const letters = [
  deadLetter(source(100), { reason: 'transform', stage: 'transform', schemaId: 7 }, 20),
  deadLetter(source(101), { reason: 'contract', stage: 'contract', rule: 'iso', field: 'currency' }, 21),
  deadLetter(source(102), { reason: 'transform', stage: 'transform' }, 22),
  deadLetter(source(103), { reason: 'transform', stage: 'transform' }, 23, { [REDRIVE_HEADER.attempt]: '2' }),
  deadLetter(source(104), { reason: 'transform', stage: 'transform' }, 24, {
    [REDRIVE_HEADER.attempt]: '3',
    [REDRIVE_HEADER.parked]: 'true',
  }),
];
const verdicts: Verdict[] = ['replay', 'unselected', 'replay', 'replay', 'parked'];
/** The processor's decision over the three replayed ones (20, 22, 23), in their order. */
const decision: BatchDecision = {
  decided: 3,
  outcomes: ['published', 'dead-lettered', 'dead-lettered'],
  outputs: [
    { key: 'p-1', value: Buffer.from('out-a'), source: 0 },
    { key: 'p-1', value: Buffer.from('out-b'), source: 0 },
  ],
  errors: [
    [1, { reason: 'output-schema', stage: 'encode', field: 'amount' }],
    [2, { reason: 'transform', stage: 'transform' }],
  ],
  warnings: [],
};

describe('planReplay', () => {
  const { plan, tally } = planReplay(product(), {
    letters,
    verdicts,
    nextOffset: '25',
    decision,
    maxAttempts: 3,
    deadLetterBatchBytes: 1_000_000,
  });

  it('commits the dead-letter partition past the step', () => {
    assert.deepEqual([plan.topic, plan.partition, plan.commitOffset, plan.records], [DLQ, 0, '25', 5]);
  });

  it('writes in dead-letter order: outputs, a copy, the dead letters again, a copy', () => {
    assert.deepEqual(
      plan.writes.map((w) => [w.topic, w.source]),
      [
        [OUT, 0],
        [OUT, 0],
        [DLQ, 1],
        [DLQ, 2],
        [DLQ, 3],
        [DLQ, 4],
      ],
    );
  });

  it('marks outputs with the attempt and the original source position', () => {
    const [a, b] = plan.writes;
    assert.deepEqual([a!.record.key, String(a!.record.value), String(b!.record.value)], ['p-1', 'out-a', 'out-b']);
    assert.deepEqual(text(a!.record.headers), {
      [REDRIVE_HEADER.attempt]: '2',
      [DLQ_HEADER.topic]: IN,
      [DLQ_HEADER.partition]: '1',
      [DLQ_HEADER.offset]: '100',
    });
  });

  it('copies a dead letter it does not replay unchanged, timestamp included', () => {
    const copy = plan.writes[2]!.record as (typeof plan.writes)[number]['record'] & { timestamp: string };
    assert.deepEqual(text(copy.headers), text(Object.fromEntries(Object.entries(letters[1]!.headers).map(([k, v]) => [k, v as Buffer]))));
    assert.equal(copy.timestamp, String(letters[1]!.timestamp));
    assert.equal(String(copy.value), String(letters[1]!.value));
  });

  it('dead-letters a still-bad record again with the attempt raised, and parks it at the maximum', () => {
    const [again, parked] = [plan.writes[3]!.record, plan.writes[4]!.record];
    assert.deepEqual(
      [again, parked].map((r) => {
        const h = text(r.headers);
        return [
          h[DLQ_HEADER.reason],
          h[DLQ_HEADER.field],
          h[DLQ_HEADER.offset],
          h[REDRIVE_HEADER.attempt],
          h[REDRIVE_HEADER.parked],
          h.trace,
        ];
      }),
      [
        ['output-schema', 'amount', '102', '2', undefined, 't102'],
        ['transform', undefined, '103', '3', 'true', 't103'],
      ],
    );
  });

  it('counts each dead letter once', () => {
    assert.deepEqual(tally, {
      replayed: 3,
      republished: 1,
      outputs: 2,
      filtered: 0,
      redeadLettered: 2,
      parked: 1,
      skippedParked: 1,
      unreplayable: 0,
      carried: 1,
    });
  });

  it('a step with nothing to replay still commits its offset, with the parked dead letter copied forward', () => {
    const empty = planReplay(product(), {
      letters: [letters[4]!],
      verdicts: ['parked'],
      nextOffset: '25',
      decision: { decided: 0, outcomes: [], outputs: [], errors: [], warnings: [] },
      maxAttempts: 3,
      deadLetterBatchBytes: 1_000_000,
    });
    assert.deepEqual([empty.plan.writes.length, empty.plan.commitOffset, empty.tally.skippedParked], [1, '25', 1]);
  });
});
