/**
 * Who consumes a product (src/observability/consumer-groups.ts): the top N groups by lag, the
 * count of all, and "last commit seen to move" derived from successive discoveries (Kafka keeps
 * no commit time): unknown at first sight, the discovery's time when the offsets changed, kept
 * while they do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProductConsumers, type GroupReading } from '../../../src/observability/consumer-groups.js';

const reading = (group: string, offsets: [number, number][], lagRecords: number): GroupReading => ({
  group,
  committed: new Map(offsets),
  lagRecords,
});

describe('ProductConsumers', () => {
  it('keeps the top N groups by lag (then by name) and counts them all', () => {
    const c = new ProductConsumers('sales.orders.v1', 2);
    assert.equal(c.refreshedAt, null);
    c.update(1_000, [reading('b', [[0, 5]], 10), reading('a', [[0, 5]], 10), reading('c', [[0, 9]], 50), reading('d', [[0, 1]], 0)]);
    assert.deepEqual(
      c.top.map((g) => [g.group, g.lagRecords]),
      [
        ['c', 50],
        ['a', 10],
      ],
    );
    assert.equal(c.total, 4);
    assert.equal(c.refreshedAt, 1_000);
  });

  it('derives the last commit from offsets seen to move between discoveries', () => {
    const c = new ProductConsumers('t', 10);
    const moved = () => Object.fromEntries(c.top.map((g) => [g.group, g.lastCommitMovedAt]));
    c.update(1_000, [
      reading(
        'reader',
        [
          [0, 5],
          [1, 7],
        ],
        3,
      ),
      reading('idle', [[0, 2]], 9),
    ]);
    assert.deepEqual(moved(), { reader: null, idle: null }, 'unknown at first sight');
    c.update(61_000, [
      reading(
        'reader',
        [
          [1, 7],
          [0, 6],
        ],
        2,
      ),
      reading('idle', [[0, 2]], 10),
    ]);
    assert.deepEqual(moved(), { reader: 61_000, idle: null }, 'the time of the discovery that saw the change');
    c.update(121_000, [
      reading(
        'reader',
        [
          [0, 6],
          [1, 7],
        ],
        2,
      ),
      reading('idle', [[0, 3]], 10),
    ]);
    assert.deepEqual(moved(), { reader: 61_000, idle: 121_000 }, 'kept while the offsets stay');
    // A group gone (its offsets expired or deleted) is forgotten: back later, it starts unknown.
    c.update(181_000, [
      reading(
        'reader',
        [
          [0, 6],
          [1, 7],
        ],
        2,
      ),
    ]);
    c.update(241_000, [
      reading(
        'reader',
        [
          [0, 6],
          [1, 7],
        ],
        2,
      ),
      reading('idle', [[0, 4]], 10),
    ]);
    assert.deepEqual(moved(), { idle: null, reader: 61_000 });
  });
});
