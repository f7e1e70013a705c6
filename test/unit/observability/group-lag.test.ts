import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupLag } from '../../../src/observability/group-lag.js';

describe('GroupLag', () => {
  it('is end minus the committed offset, or minus the log start before the first commit', () => {
    const g = new GroupLag(10_000);
    g.observe('t', 0, 40, 0, 100, 0);
    g.observe('t', 1, undefined, 5, 25, 0);
    assert.deepEqual(g.lags(0), [
      { topic: 't', partition: 0, records: 60, stalled: false },
      { topic: 't', partition: 1, records: 20, stalled: false },
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
});
