import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readBounds, type PartitionOffsets } from '../../../src/kafka/topic-reader.js';

const OFFSETS: PartitionOffsets[] = [
  { partition: 0, low: 0n, high: 100n },
  { partition: 1, low: 20n, high: 60n },
  { partition: 2, low: 5n, high: 5n },
];
const plain = (bounds: ReturnType<typeof readBounds>) => Object.fromEntries([...bounds].map(([p, b]) => [p, [b.start, b.end]]));

describe('readBounds', () => {
  it('reads each partition with records from its earliest retained or committed offset to its end', () => {
    assert.deepEqual(plain(readBounds(OFFSETS, new Map())), { 0: [0n, 100n], 1: [20n, 60n] }, 'an empty partition is not read');
    assert.deepEqual(
      plain(
        readBounds(
          OFFSETS,
          new Map([
            [0, 40n],
            [1, 10n],
          ]),
        ),
      ),
      { 0: [40n, 100n], 1: [20n, 60n] },
    );
    assert.deepEqual(plain(readBounds(OFFSETS, new Map([[0, 100n]]))), { 1: [20n, 60n] }, 'a partition read to its end is done');
  });

  it('narrows the read to a window: partitions, from, to, never past the retained offsets', () => {
    const window = { partitions: new Set([0, 1]), from: (p: number) => (p === 0 ? 30n : 0n), to: (p: number) => (p === 0 ? 50n : 500n) };
    assert.deepEqual(plain(readBounds(OFFSETS, new Map(), window)), { 0: [30n, 50n], 1: [20n, 60n] });
    assert.deepEqual(plain(readBounds(OFFSETS, new Map(), { partitions: new Set([1]) })), { 1: [20n, 60n] });
    assert.deepEqual(plain(readBounds(OFFSETS, new Map(), { from: () => 70n })), { 0: [70n, 100n] }, 'from past the end: nothing');
  });

  it('starts at the offsets of the since timestamp, or the committed ones when later', () => {
    const since = new Map([
      [0, 90n],
      [1, 60n],
      [2, 5n],
    ]);
    assert.deepEqual(plain(readBounds(OFFSETS, new Map(), { sinceMs: 1 }, since)), { 0: [90n, 100n] }, 'partition 1 has nothing that late');
    assert.deepEqual(plain(readBounds(OFFSETS, new Map([[0, 95n]]), { sinceMs: 1 }, since)), { 0: [95n, 100n] });
  });
});
