/**
 * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
export const MAGIC_BYTE = 0;
export const FRAME_HEADER_BYTES = 5;

export type FrameResult =
  { ok: true; schemaId: number; body: Buffer } | { ok: false; reason: 'tombstone' | 'not-avro' | 'truncated-frame' };

/** Why a record value is not a Confluent frame, or undefined when it is one. */
export function frameProblem(value: Buffer | null | undefined): 'tombstone' | 'not-avro' | 'truncated-frame' | undefined {
  if (value === null || value === undefined) return 'tombstone';
  // A first byte other than the magic byte means this was never Confluent-framed, whatever its length.
  if (value.length > 0 && value[0] !== MAGIC_BYTE) return 'not-avro';
  if (value.length < FRAME_HEADER_BYTES) return 'truncated-frame';
  return undefined;
}

/** The schema id of a framed value, or undefined; allocates nothing (the hot path reads it per record). */
export function frameSchemaId(value: Buffer | null | undefined): number | undefined {
  return frameProblem(value) === undefined ? value!.readUInt32BE(1) : undefined;
}

/** Splits a record value into schema id and body without copying. */
export function parseFrame(value: Buffer | null | undefined): FrameResult {
  const problem = frameProblem(value);
  if (problem !== undefined) return { ok: false, reason: problem };
  return { ok: true, schemaId: value!.readUInt32BE(1), body: value!.subarray(FRAME_HEADER_BYTES) };
}

/** Frames an Avro body with its schema id. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** Writes an encoded body at `pos` of `buf`; returns its end, or minus the bytes it lacked (avsc's Type.encode contract). */
export type BodyWriter = (buf: Buffer, pos: number) => number;

/**
 * Frames written back to back into large chunks, so an output costs one encode and no
 * allocation or copy of its own. A region once returned is never written again (a full chunk is
 * replaced, not reused): the producer may still hold it, and retries re-send the same bytes.
 */
export class FrameArena {
  private chunk: Buffer;
  private pos = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = Buffer.allocUnsafeSlow(chunkBytes);
  }

  /** The frame of `schemaId` and the body `write` produces; whatever `write` throws propagates. */
  frame(schemaId: number, write: BodyWriter): Buffer {
    for (;;) {
      const start = this.pos;
      const buf = this.chunk;
      if (buf.length - start >= FRAME_HEADER_BYTES) {
        buf[start] = MAGIC_BYTE;
        buf.writeUInt32BE(schemaId, start + 1);
        const end = write(buf, start + FRAME_HEADER_BYTES);
        if (end >= 0) {
          this.pos = end;
          return buf.subarray(start, end);
        }
        this.renew(buf.length - end - start);
      } else {
        this.renew(FRAME_HEADER_BYTES);
      }
    }
  }

  private renew(needed: number): void {
    this.chunk = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, 2 * needed));
    this.pos = 0;
  }
}
