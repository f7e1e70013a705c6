import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDRIVE_HEADER } from '../../../src/redrive/dead-letter-record.js';
import { DeadLetterSummary } from '../../../src/redrive/summary.js';
import { deadLetter, source } from './fixtures.js';

const transform = { reason: 'transform', stage: 'transform', schemaId: 7 } as const;

describe('DeadLetterSummary', () => {
  it('counts by every header and keeps the first samples of each reason', () => {
    const summary = new DeadLetterSummary();
    for (let i = 0; i < 5; i++) summary.add(deadLetter(source(i), transform, i));
    summary.add(deadLetter(source(9), { reason: 'quality', stage: 'quality', rule: 'r', field: 'f', schemaId: 7 }, 9));
    const c = summary.counts(new Map());
    assert.deepEqual(
      [c.total, c.byStatus, c.byReason, c.byRule, c.byField, c.bySchemaId, c.bySource, c.byAttempt],
      [
        6,
        { pending: 6 },
        { transform: 5, quality: 1 },
        { '(none)': 5, r: 1 },
        { '(none)': 5, f: 1 },
        { 7: 6 },
        { 'raw.payments[1]': 6 },
        { 1: 6 },
      ],
    );
    assert.deepEqual([c.firstMs, c.lastMs], [1_800_000_000_000, 1_800_000_000_009]);
    assert.deepEqual(
      [...summary.samples].map(([reason, ls]) => [reason, ls.map((l) => l.offset)]),
      [
        ['transform', ['0', '1', '2']],
        ['quality', ['9']],
      ],
    );
  });

  it('counts a dead letter once, as its latest record says, whatever copies and attempts the topic holds', () => {
    const summary = new DeadLetterSummary();
    // Original record 1: replayed and published (nothing after it). Record 2: dead-lettered again,
    // then parked. Record 3: copied forward past a filter. The replay group is at offset 4.
    summary.add(deadLetter(source(1), transform, 0));
    summary.add(deadLetter(source(2), transform, 1));
    summary.add(deadLetter(source(3), transform, 2));
    summary.add(deadLetter(source(2), transform, 4, { [REDRIVE_HEADER.attempt]: '2' }));
    summary.add(deadLetter(source(3), transform, 5));
    summary.add(deadLetter(source(2), transform, 6, { [REDRIVE_HEADER.attempt]: '3', [REDRIVE_HEADER.parked]: 'true' }));
    const c = summary.counts(new Map([[0, 4n]]));
    assert.deepEqual([c.total, c.byStatus, c.byAttempt], [3, { handled: 1, parked: 1, pending: 1 }, { 1: 2, 3: 1 }]);
    assert.deepEqual(
      summary.samples.get('transform')!.map((l) => l.offset),
      ['0', '1', '2'],
      'samples: one per dead letter',
    );
  });
});
