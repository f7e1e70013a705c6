/**
 * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
export const MAGIC_BYTE = 0;
export const FRAME_HEADER_BYTES = 5;

export type FrameResult =
  | { ok: true; schemaId: number; body: Buffer }
  | { ok: false; reason: 'tombstone' | 'not-avro' | 'truncated-frame' };

/** Splits a record value into schema id and body without copying. */
export function parseFrame(value: Buffer | null | undefined): FrameResult {
  if (value === null || value === undefined) return { ok: false, reason: 'tombstone' };
  // A first byte other than the magic byte means this was never Confluent-framed, whatever its length.
  if (value.length > 0 && value[0] !== MAGIC_BYTE) return { ok: false, reason: 'not-avro' };
  if (value.length < FRAME_HEADER_BYTES) return { ok: false, reason: 'truncated-frame' };
  return { ok: true, schemaId: value.readUInt32BE(1), body: value.subarray(FRAME_HEADER_BYTES) };
}

/** Frames an Avro body with its schema id. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}
