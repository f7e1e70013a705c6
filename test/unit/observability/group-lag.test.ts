import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupLag } from '../../../src/observability/group-lag.js';

describe('GroupLag', () => {
  it('is end minus the committed offset, or minus the log start before the first commit', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 100, 0);
    g.observe('t', 1, undefined, 5, 25, 0);
    assert.deepEqual(g.lags(0), [
      { topic: 't', partition: 0, records: 60, seconds: undefined, stalled: false },
      { topic: 't', partition: 1, records: 20, seconds: undefined, stalled: false },
    ]);
  });

  it('calls a partition stalled after stallAfterMs with lag and no commit, and not once it commits', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 100, 0);
    g.observe('t', 0, 40, 0, 120, 9_999);
    assert.equal(g.lags(9_999)[0]!.stalled, false);
    g.observe('t', 0, 40, 0, 130, 10_000);
    assert.equal(g.lags(10_000)[0]!.stalled, true);
    g.observe('t', 0, 41, 0, 130, 12_000);
    assert.equal(g.lags(21_999)[0]!.stalled, false, 'the commit moved at 12 s');
    assert.equal(g.lags(22_000)[0]!.stalled, true);
  });

  it('starts the stall clock when an idle partition gets lag, not at its last commit', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 50, 0, 50, 0);
    g.observe('t', 0, 50, 0, 50, 60_000);
    assert.equal(g.lags(60_000)[0]!.stalled, false, 'idle: no lag, not stalled');
    g.observe('t', 0, 50, 0, 51, 61_000);
    assert.equal(g.lags(70_999)[0]!.stalled, false);
    assert.equal(g.lags(71_000)[0]!.stalled, true);
  });

  it('asks for the oldest waiting record once per committed offset, and ages it with the clock', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 100, 0);
    g.observe('t', 1, 7, 0, 7, 0);
    assert.deepEqual(g.waiting(), [{ topic: 't', partition: 0, position: 40, from: 40 }], 'only the partition with lag');
    g.readOldest('t', 0, 40, { timestamp: 1_000 });
    g.observe('t', 0, 40, 0, 120, 5_000);
    assert.deepEqual(g.waiting(), [], 'an unchanged committed offset needs no read');
    assert.deepEqual(
      g.lags(6_500).map((l) => l.seconds),
      [5.5, 0],
    );
    g.observe('t', 0, 90, 0, 120, 7_000);
    assert.equal(g.lags(7_000)[0]!.seconds, 6, 'the record at the old offset stands in, an upper bound');
    assert.deepEqual(g.waiting(), [{ topic: 't', partition: 0, position: 90, from: 90 }]);
  });

  it('drops a read for a committed offset the group has moved past meanwhile', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 100, 0);
    g.observe('t', 0, 60, 0, 100, 1_000);
    g.readOldest('t', 0, 40, { timestamp: 500 });
    assert.equal(g.lags(2_000)[0]!.seconds, undefined);
  });

  it('reads from the log start when retention passed the committed offset', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 10, 50, 100, 0);
    assert.deepEqual(g.waiting(), [{ topic: 't', partition: 0, position: 50, from: 50 }]);
  });

  it('counts no lag, in records or seconds, when only markers and aborted records follow the committed offset', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 42, 0);
    g.readOldest('t', 0, 40, { next: 41 });
    assert.deepEqual(g.waiting(), [{ topic: 't', partition: 0, position: 40, from: 41 }], 'carries on where the read stopped');
    assert.equal(g.lags(0)[0]!.records, 2);
    g.readOldest('t', 0, 40, { next: 42 });
    assert.deepEqual(g.lags(60_000), [{ topic: 't', partition: 0, records: 0, seconds: 0, stalled: false }]);
    assert.deepEqual(g.waiting(), []);

    g.observe('t', 0, 40, 0, 43, 61_000);
    assert.deepEqual(g.waiting(), [{ topic: 't', partition: 0, position: 40, from: 42 }], 'a record appended after the markers');
    g.readOldest('t', 0, 40, { timestamp: 60_500 });
    assert.deepEqual(g.lags(70_999)[0], { topic: 't', partition: 0, records: 3, seconds: 10.499, stalled: false });
    assert.equal(g.lags(71_000)[0]!.stalled, true, 'the stall clock starts when real lag appears, not at the marker');
  });
});
