import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableProgress } from '../../../src/lookups/table-progress.js';

describe('TableProgress', () => {
  it('is restored once every partition reached the end offset seen at start, and stays restored', () => {
    const p = new TableProgress([
      { partition: 0, low: '0', high: '10' },
      { partition: 1, low: '5', high: '8' },
    ]);
    assert.equal(p.restoreTotal, 13);
    assert.equal(p.restored, false);
    p.advanced(0, '9', '10');
    assert.equal(p.restored, false, 'partition 1 is still behind');
    assert.equal(p.restoredRecords(), 10);
    p.advanced(1, '7', '12');
    assert.equal(p.restored, true);
    assert.equal(p.restoredRecords(), 13);
    // New records after the start target: lag again, still restored.
    assert.equal(p.lagRecords(), 4);
    assert.equal(p.restored, true);
  });

  it('counts an empty topic (or one whose records were all deleted) as restored at once', () => {
    assert.equal(new TableProgress([{ partition: 0, low: '7', high: '7' }]).restored, true);
    assert.equal(new TableProgress([]).restored, true);
  });

  it('never moves a position backwards (a re-read after a rejoin)', () => {
    const p = new TableProgress([{ partition: 0, low: '0', high: '100' }]);
    p.advanced(0, '99', '100');
    p.advanced(0, '9', '100');
    assert.equal(p.position(0), 100n);
    assert.equal(p.lagRecords(), 0);
  });

  it('shows lag as soon as a fetch saw a newer end, before its batch is applied', () => {
    const p = new TableProgress([{ partition: 0, low: '0', high: '0' }]);
    assert.equal(p.lagRecords(), 0);
    p.fetched(0, '3');
    assert.equal(p.lagRecords(), 3);
    p.advanced(0, '2', '3');
    assert.equal(p.lagRecords(), 0);
  });

  it('gives lag in seconds as 0 when caught up, else now minus the newest applied record time', () => {
    const p = new TableProgress([{ partition: 0, low: '0', high: '2' }]);
    p.advanced(0, '0', '2');
    p.updated(10_000, 11_000);
    assert.equal(p.lagSeconds(15_000), 5);
    assert.equal(p.lastUpdateAt, 11_000);
    p.advanced(0, '1', '2');
    assert.equal(p.lagSeconds(15_000), 0);
  });
});
