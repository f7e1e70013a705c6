/**
 * patches/kafkajs+2.2.4.patch: kafkajs's read_committed filter walked the broker's list of aborted
 * transactions in list order, but the broker lists them by abort marker, so when two producers'
 * transactions interleave and abort in another order, records of an aborted transaction reached
 * read_committed consumers (seen as duplicates of exactly-once outputs after a kill -9). This runs
 * kafkajs's own filter on such a batch.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (args: {
  messages: Message[];
  abortedTransactions: { producerId: string; firstOffset: string }[];
}) => Message[];

interface Message {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  batchContext: { producerId: string; inTransaction: boolean; isControlBatch: boolean };
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const data = (offset: number, producerId: string): Message => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from('v'),
  batchContext: { producerId, inTransaction: true, isControlBatch: false },
});
const marker = (offset: number, producerId: string, commit: boolean): Message => ({
  offset: String(offset),
  key: commit ? Buffer.from([0, 0, 0, 1]) : ABORT_MARKER_KEY,
  value: null,
  batchContext: { producerId, inTransaction: true, isControlBatch: true },
});

describe('kafkajs read_committed filter (patched)', () => {
  it('drops every aborted transaction even when the broker lists them out of first-offset order', () => {
    // The log of a dead-letter partition after a kill -9 (offsets as seen in a real run): three
    // producers' open transactions, aborted by the next owner in the order 107, 109, 108.
    const messages = [
      data(1010, '200'),
      data(1011, '109'),
      data(1012, '109'),
      data(1013, '108'),
      data(1014, '108'),
      data(1015, '107'),
      marker(1016, '107', false),
      marker(1017, '109', false),
      marker(1018, '108', false),
      data(1019, '107'),
      marker(1020, '107', true),
    ];
    const aborted = [
      { producerId: '107', firstOffset: '1015' },
      { producerId: '109', firstOffset: '1011' },
      { producerId: '108', firstOffset: '1013' },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions: aborted })
      .filter((m) => !m.batchContext.isControlBatch)
      .map((m) => Number(m.offset));
    assert.deepEqual(kept, [1010, 1019]);
  });

  it('keeps committed transactions and non-transactional records', () => {
    const messages = [
      data(0, '1'),
      marker(1, '1', true),
      { ...data(2, '-1'), batchContext: { producerId: '-1', inTransaction: false, isControlBatch: false } },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions: [] });
    assert.equal(kept.length, 3);
  });
});
