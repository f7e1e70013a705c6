import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowCompleteness } from '../../../src/observability/completeness.js';
import { ProductProgress } from '../../../src/observability/progress.js';

describe('ProductProgress: exact lag', () => {
  it('is 0 records and 0 s when caught up, however old the last record', () => {
    const p = new ProductProgress();
    p.onBatch('t', 0, 0, 1_000, 2_000, 10);
    p.onCommit('t', 0, 10, 2_000);
    assert.deepEqual(p.lags(999_999), [{ topic: 't', partition: 0, records: 0, seconds: 0 }]);
  });

  it('measures seconds from the broker time of the oldest unprocessed record', () => {
    const p = new ProductProgress();
    p.onBatch('t', 0, 0, 1_000, 5_000, 100);
    p.onCommit('t', 0, 40, 3_000, 3_500);
    assert.deepEqual(p.lags(13_500), [{ topic: 't', partition: 0, records: 60, seconds: 10 }]);
  });

  it('uses the newer end offset from the admin client for a paused partition', () => {
    const p = new ProductProgress();
    p.onBatch('t', 1, 5, 1_000, 1_000, 6);
    p.onRewind('t', 1, 5, 1_000);
    p.setEnd('t', 1, 50);
    assert.deepEqual(p.lags(4_000), [{ topic: 't', partition: 1, records: 45, seconds: 3 }]);
  });

  it('falls back to the last committed record (an upper bound) until the pending one is fetched', () => {
    const p = new ProductProgress();
    p.onBatch('t', 0, 0, 1_000, 2_000, 20);
    p.onCommit('t', 0, 10, 2_000);
    assert.deepEqual(p.lags(7_000), [{ topic: 't', partition: 0, records: 10, seconds: 5 }]);
  });

  it('reports the newest append read per topic, and a watermark below which every outcome is committed', () => {
    const p = new ProductProgress();
    p.onBatch('a', 0, 0, 1_000, 9_000, 10);
    p.onCommit('a', 0, 10, 9_000);
    p.onBatch('a', 1, 0, 500, 700, 10);
    p.onCommit('a', 1, 5, 600, 650);
    assert.deepEqual([...p.lastSeenAppend()], [['a', 9]]);
    assert.equal(p.watermark(20_000), 650, 'partition 1 still holds the record appended at 650');
    p.retain(new Set(['a:0']));
    assert.equal(p.watermark(20_000), 20_000, 'only caught-up partitions left');
  });
});

describe('ProductProgress: records that are nothing to process', () => {
  it('has no lag once the offset is past transaction markers, and an idle watermark', () => {
    const p = new ProductProgress();
    p.onBatch('t', 0, 0, 1_000, 1_004, 6);
    p.onCommit('t', 0, 5, 1_004);
    assert.deepEqual(p.lags(61_004), [{ topic: 't', partition: 0, records: 1, seconds: 60 }], 'the marker at offset 5 reads as lag');
    p.onSkipped('t', 0, 6);
    assert.deepEqual(p.lags(60_000), [{ topic: 't', partition: 0, records: 0, seconds: 0 }]);
    assert.equal(p.watermark(60_000), 60_000, 'idle: windows can be judged up to now');
    p.onSkipped('t', 0, 4);
    assert.equal(p.committedOf('t', 0), 6, 'never moves back');
  });

  it('says how many offsets before a batch held nothing to process', () => {
    const p = new ProductProgress();
    assert.equal(p.onBatch('t', 0, 10, 1_000, 1_000, 20), 0, 'first batch: where the group stood is not known');
    p.onCommit('t', 0, 12, 1_001);
    assert.equal(p.onBatch('t', 0, 17, 2_000, 2_000, 20), 5, 'an aborted transaction of 4 records and its marker');
    assert.equal(p.committedOf('t', 0), 17);
    assert.equal(p.lastCommittedTsOf('t', 0), 1_001);
  });
});

describe('WindowCompleteness', () => {
  it('judges only windows the watermark has passed, starting after the assignment', () => {
    const w = new WindowCompleteness(60_000, 30_000);
    assert.deepEqual(w.closable(100_000), [], 'the window holding the assignment is skipped');
    assert.deepEqual(w.closable(130_000), [[60_000, 120_000]]);
    for (let i = 0; i < 9; i++) w.handledAt(61_000 + i);
    assert.equal(w.judge(60_000, 10), 0.9);
    assert.equal(w.ratio, 0.9);
    assert.deepEqual(w.closable(130_000), [], 'judged once');
    assert.equal(w.appended, 10);
    assert.equal(w.judge(120_000, 0), 1, 'an empty window is complete');
    assert.equal(w.appended, 0, 'and says it had no traffic');
  });

  it('starts over after a rebalance', () => {
    const w = new WindowCompleteness(60_000, 0);
    w.handledAt(70_000);
    w.reset(200_000);
    assert.deepEqual(w.closable(250_000), []);
    assert.deepEqual(w.closable(300_000), [[240_000, 300_000]]);
  });
});
