import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frame, parseFrame } from '../../../src/contracts/wire.js';

describe('Confluent wire format', () => {
  it('frames and parses a body with its schema id', () => {
    const framed = frame(0x01020304, Buffer.from([7, 8, 9]));
    assert.deepEqual([...framed], [0, 1, 2, 3, 4, 7, 8, 9]);
    const parsed = parseFrame(framed);
    assert.ok(parsed.ok);
    assert.equal(parsed.schemaId, 0x01020304);
    assert.deepEqual([...parsed.body], [7, 8, 9]);
  });

  it('tells tombstones, non-Avro bytes and truncated frames apart', () => {
    assert.deepEqual(parseFrame(null), { ok: false, reason: 'tombstone' });
    assert.deepEqual(parseFrame(Buffer.from('{"json":true}')), { ok: false, reason: 'not-avro' });
    assert.deepEqual(parseFrame(Buffer.from('ab')), { ok: false, reason: 'not-avro' });
    assert.deepEqual(parseFrame(Buffer.from([0, 0, 1])), { ok: false, reason: 'truncated-frame' });
    assert.deepEqual(parseFrame(Buffer.alloc(0)), { ok: false, reason: 'truncated-frame' });
  });

  it('accepts an empty body after a full header (a record with no fields)', () => {
    const parsed = parseFrame(Buffer.from([0, 0, 0, 0, 5]));
    assert.ok(parsed.ok);
    assert.equal(parsed.schemaId, 5);
    assert.equal(parsed.body.length, 0);
  });
});
