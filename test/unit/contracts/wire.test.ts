import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameArena, frame, frameSchemaId, parseFrame } from '../../../src/contracts/wire.js';

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

describe('frameSchemaId', () => {
  it('reads the id of a frame and nothing else', () => {
    assert.equal(frameSchemaId(frame(42, Buffer.from([1]))), 42);
    assert.equal(frameSchemaId(null), undefined);
    assert.equal(frameSchemaId(Buffer.from('{"json":true}')), undefined);
    assert.equal(frameSchemaId(Buffer.from([0, 0, 1])), undefined);
  });
});

describe('FrameArena', () => {
  const writeBytes = (bytes: number[]) => (buf: Buffer, pos: number) => {
    if (buf.length - pos < bytes.length) return buf.length - pos - bytes.length;
    buf.set(bytes, pos);
    return pos + bytes.length;
  };

  it('writes the same bytes as frame(), back to back', () => {
    const arena = new FrameArena(64);
    const a = arena.frame(7, writeBytes([1, 2, 3]));
    const b = arena.frame(8, writeBytes([4]));
    assert.deepEqual(a, frame(7, Buffer.from([1, 2, 3])));
    assert.deepEqual(b, frame(8, Buffer.from([4])));
    assert.equal(a.buffer, b.buffer, 'one chunk');
  });

  it('moves to a new chunk when one is full and never rewrites a frame it returned', () => {
    const arena = new FrameArena(16);
    const frames = Array.from({ length: 20 }, (_, i) => arena.frame(i, writeBytes([i, i, i])));
    frames.forEach((f, i) => assert.deepEqual(f, frame(i, Buffer.from([i, i, i])), `frame ${i} intact`));
    assert.ok(new Set(frames.map((f) => f.buffer)).size > 1);
  });

  it('takes a frame larger than a chunk', () => {
    const arena = new FrameArena(16);
    const big = Array.from({ length: 1000 }, (_, i) => i % 256);
    assert.deepEqual(arena.frame(3, writeBytes(big)), frame(3, Buffer.from(big)));
    assert.deepEqual(arena.frame(4, writeBytes([9])), frame(4, Buffer.from([9])));
  });

  it('lets what the writer throws through, and the next frame reuses the space', () => {
    const arena = new FrameArena(64);
    assert.throws(
      () =>
        arena.frame(1, () => {
          throw new Error('invalid value');
        }),
      /invalid value/,
    );
    const next = arena.frame(2, writeBytes([5]));
    assert.equal(next.byteOffset, 0);
    assert.deepEqual(next, frame(2, Buffer.from([5])));
  });
});
