import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  BATCH_OVERHEAD_BYTES,
  DLQ_HEADER,
  fitDeadLetter,
  recordBytes,
  type DeadLetterMessage,
  type WritableRecord,
} from '../../../src/pipeline/dead-letter.js';

// kafkajs's own v2 record batch encoder, as its Produce request (v3+) uses it: the real bytes a
// send puts on the wire for one partition, which the broker compares with max.message.bytes.
const require = createRequire(import.meta.url);
type Encoder = { size(): number };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: { records: Encoder[]; lastOffsetDelta?: number }) => Promise<Encoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
}) => Encoder;

/** Encoded size of one record batch holding these records, built the way kafkajs's Produce request builds it. */
async function encodedBatchBytes(records: WritableRecord[]): Promise<number> {
  // Messages without a timestamp all get the same Date.now(): every timestamp delta is 0.
  const encoded = records.map((r, i) => Record({ ...r, offsetDelta: i, timestampDelta: 0 }));
  const batch = await RecordBatch({ records: encoded, lastOffsetDelta: encoded.length - 1 });
  return batch.size();
}

function letter(
  value: Buffer | null,
  headers: Record<string, Buffer | string> = {},
  key: Buffer | null = Buffer.from('key-1'),
): DeadLetterMessage {
  return {
    key,
    value,
    headers: {
      trace: Buffer.from('t-1'),
      [DLQ_HEADER.reason]: 'quality',
      [DLQ_HEADER.stage]: 'quality',
      [DLQ_HEADER.topic]: 'raw.payments',
      [DLQ_HEADER.partition]: '3',
      [DLQ_HEADER.offset]: '41',
      ...headers,
    },
  };
}

describe('fitDeadLetter', () => {
  it('returns the same record when it fits as is', () => {
    const record = letter(Buffer.alloc(500, 1));
    assert.equal(fitDeadLetter(record, 10_000), record);
  });

  it('returns the same record when it fills the limit exactly', () => {
    const record = letter(Buffer.alloc(500, 1));
    const limit = recordBytes(record) + BATCH_OVERHEAD_BYTES;
    assert.equal(fitDeadLetter(record, limit), record);
    assert.notEqual(fitDeadLetter(record, limit - 1), record);
  });

  it('truncates the value, keeping the key and every header, and says how long the value was', () => {
    const value = Buffer.from(Array.from({ length: 5_000 }, (_, i) => i % 251));
    const record = letter(value, { 'x-unicode': 'é✓' });
    const limit = 1_000;
    const fitted = fitDeadLetter(record, limit);
    assert.ok(fitted);
    assert.notEqual(fitted, record);
    assert.deepEqual(fitted.key, record.key);
    const { [DLQ_HEADER.valueTruncated]: truncated, ...kept } = fitted.headers;
    assert.equal(truncated, '5000');
    assert.deepEqual(kept, record.headers);
    assert.ok(fitted.value!.length > 0);
    assert.deepEqual(fitted.value, value.subarray(0, fitted.value!.length));
    assert.ok(recordBytes(fitted) + BATCH_OVERHEAD_BYTES <= limit);
    assert.equal(record.headers[DLQ_HEADER.valueTruncated], undefined, 'the input record is left alone');
  });

  it('gives undefined when the key alone is too large', () => {
    assert.equal(fitDeadLetter(letter(Buffer.alloc(10), {}, Buffer.alloc(2_000)), 1_000), undefined);
  });

  it('gives undefined when the headers alone are too large', () => {
    assert.equal(fitDeadLetter(letter(Buffer.alloc(10), { big: 'x'.repeat(2_000) }), 1_000), undefined);
    assert.equal(fitDeadLetter(letter(null, { big: Buffer.alloc(2_000) }), 1_000), undefined);
  });
});

describe('recordBytes', () => {
  it('counts key, value, header names and values', () => {
    const bare = recordBytes({ key: null, value: null });
    assert.equal(recordBytes({ key: 'abc', value: Buffer.alloc(10) }), bare + 13);
    assert.equal(recordBytes({ key: 'é', value: null }), bare + 2, 'strings count in UTF-8 bytes');
    assert.ok(recordBytes({ key: null, value: null, headers: { h: 'v' } }) >= bare + 2);
  });

  const cases: [string, WritableRecord[]][] = [
    ['a record without key, value or headers', [{ key: null, value: null }]],
    ['a dead letter with headers', [letter(Buffer.alloc(300, 9), { 'x-unicode': 'é✓' })]],
    ['a string key and a value whose length takes a 3-byte varint', [{ key: 'payment-1', value: Buffer.alloc(100_000, 1) }]],
    [
      'many small records (offset deltas grow)',
      Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`), headers: { n: String(i) } })),
    ],
  ];
  for (const [name, records] of cases) {
    it(`is an upper bound of kafkajs's encoded record batch: ${name}`, async () => {
      const estimate = records.reduce((n, r) => n + recordBytes(r), 0) + BATCH_OVERHEAD_BYTES;
      const encoded = await encodedBatchBytes(records);
      assert.ok(estimate >= encoded, `estimate ${estimate} < encoded ${encoded}`);
    });
  }

  it('makes a fitted dead letter fit in a real record batch of the limit', async () => {
    const limit = 1_000;
    const fitted = fitDeadLetter(letter(Buffer.alloc(5_000, 3)), limit)!;
    assert.ok((await encodedBatchBytes([fitted])) <= limit);
  });

  it('has a batch overhead equal to the encoded size of an empty record batch', async () => {
    assert.equal(await encodedBatchBytes([]), BATCH_OVERHEAD_BYTES);
  });
});
