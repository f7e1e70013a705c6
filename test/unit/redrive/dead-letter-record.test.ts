import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from '../../../src/kafka/client.js';
import { originalRecord, readDeadLetter, REDRIVE_HEADER, type SourcePosition } from '../../../src/redrive/dead-letter-record.js';
import { deadLetter, IN, source } from './fixtures.js';

describe('readDeadLetter', () => {
  it("reads back what the worker's dead letter says: codes, positions, attempt 1", () => {
    const letter = deadLetter(
      source(42),
      { reason: 'quality', stage: 'quality', rule: 'amount-positive', field: 'amount', schemaId: 7 },
      9,
    );
    assert.deepEqual(
      {
        partition: letter.partition,
        offset: letter.offset,
        reason: letter.reason,
        stage: letter.stage,
        rule: letter.rule,
        field: letter.field,
        schemaId: letter.schemaId,
        source: letter.source,
        attempt: letter.attempt,
        parked: letter.parked,
        truncatedFrom: letter.truncatedFrom,
      },
      {
        partition: 0,
        offset: '9',
        reason: 'quality',
        stage: 'quality',
        rule: 'amount-positive',
        field: 'amount',
        schemaId: 7,
        source: { topic: IN, partition: 1, offset: '42', timestamp: '1700000000042' },
        attempt: 1,
        parked: false,
        truncatedFrom: undefined,
      },
    );
  });

  it('reads the attempt and the parking a replay wrote', () => {
    const letter = deadLetter(source(1), { reason: 'transform', stage: 'transform' }, 0, {
      [REDRIVE_HEADER.attempt]: '3',
      [REDRIVE_HEADER.parked]: 'true',
    });
    assert.equal(letter.attempt, 3);
    assert.equal(letter.parked, true);
  });

  it('a record without our headers still reads: no source, attempt 1', () => {
    const letter = readDeadLetter(2, {
      key: null,
      value: Buffer.from('x'),
      headers: { [REDRIVE_HEADER.attempt]: Buffer.from('two') },
      offset: '5',
      timestamp: '1',
      attributes: 0,
    } as KafkaMessage);
    assert.equal(letter.source, undefined);
    assert.equal(letter.reason, undefined);
    assert.equal(letter.attempt, 1, 'a garbled attempt counts as the first');
  });

  it('originalRecord gives the record back as the worker read it, without our headers', () => {
    const original = source(42);
    const letter = deadLetter(original, { reason: 'transform', stage: 'transform', schemaId: 7 }, 9, { [REDRIVE_HEADER.attempt]: '2' });
    const record = originalRecord(letter as typeof letter & { source: SourcePosition });
    assert.deepEqual(
      { ...record, headers: Object.fromEntries(Object.entries(record.headers!).map(([k, v]) => [k, String(v)])) },
      { ...original, headers: { trace: 't42' } },
    );
  });
});
