import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDRIVE_HEADER } from '../../../src/redrive/dead-letter-record.js';
import { judge, parseTime, type Selection } from '../../../src/redrive/selection.js';
import { deadLetter, IN, source } from './fixtures.js';

const ALL: Selection = { includeParked: false };
const TOPICS = new Set([IN]);
const quality = deadLetter(source(1), { reason: 'quality', stage: 'quality', rule: 'amount-positive', field: 'amount' }, 10);
const transform = deadLetter(source(2), { reason: 'transform', stage: 'transform' }, 11);
const parked = deadLetter(source(3), { reason: 'transform', stage: 'transform' }, 12, { [REDRIVE_HEADER.parked]: 'true' });

describe('judge', () => {
  it('replays every replayable dead letter without filters', () => {
    assert.deepEqual(
      [quality, transform].map((l) => judge(l, ALL, TOPICS)),
      ['replay', 'replay'],
    );
  });

  it('leaves out (to carry forward) what a filter does not match; every filter must match', () => {
    assert.equal(judge(transform, { ...ALL, reasons: ['quality'] }, TOPICS), 'unselected');
    assert.equal(judge(quality, { ...ALL, reasons: ['quality'], rules: ['amount-positive'] }, TOPICS), 'replay');
    assert.equal(judge(quality, { ...ALL, reasons: ['quality'], rules: ['other'] }, TOPICS), 'unselected');
    assert.equal(judge(quality, { ...ALL, key: 'k1' }, TOPICS), 'replay');
    assert.equal(judge(quality, { ...ALL, key: 'k2' }, TOPICS), 'unselected');
  });

  it('bounds time by the dead letter’s own timestamp: since inclusive, until exclusive', () => {
    const at = quality.timestamp;
    assert.equal(judge(quality, { ...ALL, sinceMs: at }, TOPICS), 'replay');
    assert.equal(judge(quality, { ...ALL, sinceMs: at + 1 }, TOPICS), 'unselected');
    assert.equal(judge(quality, { ...ALL, untilMs: at }, TOPICS), 'unselected');
    assert.equal(judge(quality, { ...ALL, untilMs: at + 1 }, TOPICS), 'replay');
  });

  it('passes over parked dead letters unless --include-parked', () => {
    assert.equal(judge(parked, ALL, TOPICS), 'parked');
    assert.equal(judge(parked, { ...ALL, includeParked: true }, TOPICS), 'replay');
  });

  it('cannot replay a truncated value, or a source that is no input port any more', () => {
    const truncated = deadLetter(source(4), { reason: 'not-avro', stage: 'decode' }, 13, { 'dataprod.error.value-truncated': '2000000' });
    assert.equal(judge(truncated, ALL, TOPICS), 'unreplayable');
    assert.equal(judge(quality, ALL, new Set(['raw.other'])), 'unreplayable');
  });
});

describe('parseTime', () => {
  it('reads ISO 8601 and ms since the epoch, and nothing else', () => {
    assert.equal(parseTime('2026-11-30T05:00:00Z'), Date.UTC(2026, 10, 30, 5));
    assert.equal(parseTime('1796014661758'), 1796014661758);
    assert.equal(parseTime('yesterday'), undefined);
  });
});
