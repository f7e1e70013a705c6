/**
 * bench:compare's (k) counts what Kafka's consumer-perf-test has read from its detailed stats
 * lines (bench/harness/kafka-perf.ts): the header, the log4j warnings and the final summary are
 * not progress, and the count is the cumulative nMsg column. Lines as Kafka 3.9.1 prints them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consumedOf } from '../../../bench/harness/kafka-perf.js';

describe('consumer-perf-test progress', () => {
  it('reads the cumulative message count of a detailed stats line', () => {
    assert.equal(consumedOf('2026-11-30 05:00:47:542, 0, 7.6160, 38.0788, 26620, 133095.0000, 0, 200, 38.0788, 133095.0000'), 26620);
    assert.equal(consumedOf('2026-11-30 05:00:47:342, 0, 0.0003, 0.0002, 1, 0.5359, 1870, -4, 0.0000, 0.0000'), 1);
  });

  it('ignores every other line', () => {
    for (const line of [
      'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      'log4j:WARN Please initialize the log4j system properly.',
      '',
      '2026-11-30 05:00:49:403, 2026-11-30 05:00:50:409, 14.3051',
    ])
      assert.equal(consumedOf(line), undefined, line);
  });
});
