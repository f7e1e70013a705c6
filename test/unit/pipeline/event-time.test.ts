import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventTimeReader } from '../../../src/pipeline/batch.js';

const schema = (logicalType: string) => ({
  type: 'record',
  name: 'Out',
  fields: [{ name: 'at', type: ['null', { type: 'long', logicalType }] }],
});

describe('eventTimeReader', () => {
  it('reads the event time in ms from numbers and, under longs: bigint, from bigints', () => {
    const millis = eventTimeReader(schema('timestamp-millis'), 'at')!;
    assert.equal(millis({ at: 1767225600250 }), 1767225600250);
    assert.equal(millis({ at: 1767225600250n }), 1767225600250);
    assert.equal(millis({ at: null }), undefined);
    const micros = eventTimeReader(schema('timestamp-micros'), 'at')!;
    assert.equal(micros({ at: 1767225600250000n }), 1767225600250);
    assert.equal(eventTimeReader(schema('timestamp-millis'), undefined), undefined);
  });
});
