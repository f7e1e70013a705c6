import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { WindowCompleteness } from '../../../src/observability/completeness.js';
import type { ProductSignals } from '../../../src/observability/metrics.js';
import { ProductProgress } from '../../../src/observability/progress.js';
import { SkippedOffsets } from '../../../src/runtime/skipped-offsets.js';

/** The decision only: the commit against a real group is test/integration/transactional-upstream.test.ts. */
function setUp(groupCommitted?: number) {
  const signals: ProductSignals = {
    progress: new ProductProgress(),
    completeness: new WindowCompleteness(60_000, 0),
    inFlight: 0,
    totals: { consumed: 0, published: 0, filtered: 0, deadLettered: 0, rewritten: 0 },
  };
  const commits: string[] = [];
  const skipped = new SkippedOffsets(
    signals,
    {
      committed: async () => groupCommitted,
      commit: async (offsets) => void commits.push(...offsets.map((o) => `${o.topic}:${o.partition}@${o.offset}`)),
    },
    pino({ level: 'silent' }),
  );
  return { signals, commits, skipped };
}

describe('SkippedOffsets', () => {
  it('commits past filtered records that begin at the committed offset, and counts them handled', async () => {
    const { signals, commits, skipped } = setUp();
    signals.progress.onBatch('t', 0, 0, 61_000, 61_002, 3);
    signals.progress.onCommit('t', 0, 3, 61_002);
    skipped.filtered({ topic: 't', partition: 0, firstOffset: '3', lastOffset: '7' });
    await skipped.settled('t', 0);
    assert.deepEqual(commits, ['t:0@8']);
    assert.equal(signals.progress.committedOf('t', 0), 8);
    assert.equal(signals.completeness.judge(60_000, 5), 1, 'the 5 skipped offsets count as handled in the window of the last record');
  });

  it('never passes records it did not see (a gap before the filtered ones) nor moves back', async () => {
    const { signals, commits, skipped } = setUp();
    signals.progress.onBatch('t', 0, 0, 1_000, 1_000, 10);
    signals.progress.onCommit('t', 0, 3, 1_000);
    skipped.filtered({ topic: 't', partition: 0, firstOffset: '4', lastOffset: '7' });
    skipped.filtered({ topic: 't', partition: 0, firstOffset: '0', lastOffset: '2' });
    await skipped.settled('t', 0);
    assert.deepEqual(commits, []);
    assert.equal(signals.progress.committedOf('t', 0), 3);
  });

  it("reads the group's offset when this worker has not committed on the partition yet", async () => {
    const { signals, commits, skipped } = setUp(5);
    skipped.filtered({ topic: 't', partition: 1, firstOffset: '5', lastOffset: '5' });
    await skipped.settled('t', 1);
    assert.deepEqual(commits, ['t:1@6']);
    assert.equal(signals.progress.committedOf('t', 1), 6);
  });
});
