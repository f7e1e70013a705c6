import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DlqBreaker } from '../../../src/runtime/dlq-breaker.js';

describe('DlqBreaker', () => {
  it('does not judge before the window holds enough records', () => {
    const breaker = new DlqBreaker({ ratio: 0.5, minRecords: 100, windowMs: 60_000 }, () => 0);
    assert.equal(breaker.record(99, 99), false);
    assert.equal(breaker.record(1, 1), true);
  });

  it('trips only when the share exceeds the ratio', () => {
    const breaker = new DlqBreaker({ ratio: 0.5, minRecords: 10, windowMs: 60_000 }, () => 0);
    assert.equal(breaker.record(10, 5), false, 'exactly half does not exceed 0.5');
    assert.equal(breaker.record(10, 6), true);
  });

  it('forgets batches older than the window', () => {
    let now = 0;
    const breaker = new DlqBreaker({ ratio: 0.5, minRecords: 10, windowMs: 1_000 }, () => now);
    assert.equal(breaker.record(10, 4), false);
    now = 2_000;
    assert.equal(breaker.record(10, 6), true, 'only the newest batch counts: 6 of 10');
    assert.deepEqual(breaker.snapshot(), { records: 10, deadLetters: 6 });
  });

  it('never trips with ratio 1', () => {
    const breaker = new DlqBreaker({ ratio: 1, minRecords: 1, windowMs: 60_000 }, () => 0);
    assert.equal(breaker.record(100, 100), false);
  });
});
