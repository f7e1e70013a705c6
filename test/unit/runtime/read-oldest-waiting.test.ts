import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { PeekResult, RecordPeek } from '../../../src/kafka/record-peek.js';
import { GroupLag } from '../../../src/observability/group-lag.js';
import { readOldestWaiting } from '../../../src/runtime/progress-refresh.js';

/**
 * Partition logs in memory: the offsets holding data records, with their timestamps; the others
 * hold markers or aborted records, one fetch reading one of them.
 */
function logPeek(data: Map<string, Map<number, number>>) {
  const reads: string[] = [];
  const peek: RecordPeek = {
    async firstDataRecord(topic, partition, from, maxFetches): Promise<PeekResult> {
      reads.push(`${topic}[${partition}]@${from}`);
      const offsets = [...(data.get(`${topic}:${partition}`) ?? new Map<number, number>())]
        .filter(([o]) => o >= from)
        .sort((a, b) => a[0] - b[0]);
      const first = offsets[0];
      if (first && first[0] - from < maxFetches) return { offset: first[0], timestamp: first[1], fetches: first[0] - from + 1 };
      return { next: from + maxFetches, fetches: maxFetches };
    },
    disconnect: async () => undefined,
  };
  return { peek, reads };
}

const log = pino({ level: 'silent' });

describe('readOldestWaiting', () => {
  it('reads each partition with lag once per committed offset', async () => {
    const g = new GroupLag(10_000);
    const { peek, reads } = logPeek(new Map([['t:0', new Map([[42, 1_000]])]]));
    g.observe('t', 0, 40, 0, 50, 0);
    g.observe('t', 1, 9, 0, 9, 0);
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(reads, ['t[0]@40'], 'only the partition with lag');
    g.observe('t', 0, 40, 0, 60, 5_000);
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(reads, ['t[0]@40'], 'an unchanged committed offset costs no read');
    assert.equal(g.lags(6_000)[0]!.seconds, 5);
  });

  it('spends at most 16 fetches a refresh, counting those used, and tries first the partitions tried longest ago', async () => {
    const g = new GroupLag(10_000);
    const data = new Map<string, Map<number, number>>();
    for (let p = 0; p < 20; p++) data.set(`t:${p}`, new Map([[0, p]]));
    const { peek, reads } = logPeek(data);
    for (let p = 0; p < 20; p++) g.observe('t', p, 0, 0, 100, 0);
    await readOldestWaiting(peek, g, log);
    assert.equal(reads.length, 16, 'one fetch each');
    reads.length = 0;
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(reads, ['t[16]@0', 't[17]@0', 't[18]@0', 't[19]@0'], 'the rest at the next refresh');
  });

  it('reads on past markers at the next refresh, after the partitions not tried yet', async () => {
    const g = new GroupLag(10_000);
    const { peek, reads } = logPeek(new Map());
    for (let p = 0; p < 6; p++) g.observe('t', p, 0, 0, 100, 0);
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(reads, ['t[0]@0', 't[1]@0', 't[2]@0', 't[3]@0'], '4 fetches each at most');
    reads.length = 0;
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(reads, ['t[4]@0', 't[5]@0', 't[0]@4', 't[1]@4']);
  });

  it("keeps the earlier position's record as an upper bound until the new one is read", async () => {
    const g = new GroupLag(10_000);
    const { peek } = logPeek(
      new Map([
        [
          't:0',
          new Map([
            [40, 1_000],
            [45, 3_000],
          ]),
        ],
      ]),
    );
    g.observe('t', 0, 40, 0, 50, 0);
    await readOldestWaiting(peek, g, log);
    g.observe('t', 0, 45, 0, 50, 4_000);
    assert.equal(g.lags(4_000)[0]!.seconds, 3, 'the record at 40 stands in');
    await readOldestWaiting(peek, g, log);
    assert.equal(g.lags(4_000)[0]!.seconds, 1);
  });

  it('leaves a failed read for the next refresh without stopping the others', async () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 0, 0, 10, 0);
    g.observe('t', 1, 0, 0, 10, 0);
    const peek: RecordPeek = {
      firstDataRecord: async (_topic, partition) => {
        if (partition === 0) throw new Error('not the leader');
        return { offset: 0, timestamp: 0, fetches: 1 };
      },
      disconnect: async () => undefined,
    };
    await readOldestWaiting(peek, g, log);
    assert.deepEqual(
      g.lags(1_000).map((l) => l.seconds),
      [undefined, 1],
    );
    assert.deepEqual(
      g.waiting().map((w) => w.partition),
      [0],
    );
  });
});
