/**
 * Batches and their decisions in a form that crosses between threads cheaply. kafkajs hands out
 * keys, values and header values as views into its fetch response, and structured cloning a view
 * copies its whole underlying buffer; so the bytes are copied once into one fresh buffer that is
 * transferred (moved, not copied) along with a table of positions.
 */
import type { KafkaMessage } from '../kafka/client.js';
import type { BatchDecision } from '../pipeline/batch.js';
import type { SourceRecord } from '../pipeline/processor.js';

type Headers = NonNullable<SourceRecord['headers']>;

/** Per record: offset, timestamp, key start, key length (-1: null), value start, value length (-1: null), headers start, headers length. */
const SLOTS = 8;

export interface PackedRecords {
  bytes: Uint8Array;
  /** SLOTS numbers per record. Offsets and timestamps travel as doubles: exact below 2^53. */
  table: Float64Array;
}

/** Appends bytes to a buffer that grows by doubling. */
class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    // Not from Node's shared pool: this buffer is transferred whole.
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, size));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.int(n);
    this.room(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  int(n: number): void {
    this.room(4);
    this.buf.writeInt32LE(n, this.pos);
    this.pos += 4;
  }
}

export function packRecords(messages: readonly KafkaMessage[]): PackedRecords {
  let size = 0;
  for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const w = new ByteWriter(size + 64);
  const table = new Float64Array(messages.length * SLOTS);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const t = i * SLOTS;
    table[t] = Number(m.offset);
    table[t + 1] = Number(m.timestamp);
    table[t + 2] = w.pos;
    table[t + 3] = m.key === null ? -1 : m.key.length;
    if (m.key !== null) w.bytes(m.key);
    table[t + 4] = w.pos;
    table[t + 5] = m.value === null ? -1 : m.value.length;
    if (m.value !== null) w.bytes(m.value);
    table[t + 6] = w.pos;
    if (m.headers) packHeaders(w, m.headers);
    table[t + 7] = w.pos - table[t + 6]!;
  }
  return { bytes: new Uint8Array(w.buf.buffer, 0, w.pos), table };
}

/** Header count, then per value: name, kind (0 string, 1 bytes), bytes. Repeated names keep their order. */
function packHeaders(w: ByteWriter, headers: Headers): void {
  const entries: [string, Buffer | string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) entries.push([name, v]);
  }
  if (entries.length === 0) return;
  w.int(entries.length);
  for (const [name, v] of entries) {
    w.string(name);
    if (typeof v === 'string') {
      w.int(0);
      w.string(v);
    } else {
      w.int(1);
      w.int(v.length);
      w.bytes(v);
    }
  }
}

function unpackHeaders(bytes: Buffer, start: number, length: number): Headers {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  if (length === 0) return headers;
  let pos = start;
  const int = () => {
    const n = bytes.readInt32LE(pos);
    pos += 4;
    return n;
  };
  const str = () => {
    const n = int();
    const s = bytes.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const count = int();
  for (let k = 0; k < count; k++) {
    const name = str();
    let value: Buffer | string;
    if (int() === 0) {
      value = str();
    } else {
      const n = int();
      value = bytes.subarray(pos, pos + n);
      pos += n;
    }
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return headers;
}

/** A record of a packed batch: views into its bytes; headers are decoded when first read (by the transform's ctx). */
class TransferredRecord implements SourceRecord {
  private decodedHeaders: Headers | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    readonly timestamp: string,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    private readonly bytes: Buffer,
    private readonly headersStart: number,
    private readonly headersLength: number,
  ) {}

  get headers(): Headers {
    return (this.decodedHeaders ??= unpackHeaders(this.bytes, this.headersStart, this.headersLength));
  }
}

export function unpackRecords(packed: PackedRecords, topic: string, partition: number): SourceRecord[] {
  const bytes = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const { table } = packed;
  const records: SourceRecord[] = new Array(table.length / SLOTS);
  const view = (start: number, length: number) => (length < 0 ? null : bytes.subarray(start, start + length));
  for (let i = 0; i < records.length; i++) {
    const t = i * SLOTS;
    records[i] = new TransferredRecord(
      topic,
      partition,
      String(table[t]),
      String(table[t + 1]),
      view(table[t + 2]!, table[t + 3]!),
      view(table[t + 4]!, table[t + 5]!),
      bytes,
      table[t + 6]!,
      table[t + 7]!,
    );
  }
  return records;
}

export interface PackedDecision extends Omit<BatchDecision, 'outputs'> {
  /** Output values back to back; ends[i] is where output i ends. */
  values: Uint8Array;
  ends: Int32Array;
  /** Output keys; bytes keys travel as standalone copies. */
  keys: (string | Uint8Array | null)[];
}

export function packDecision(decision: BatchDecision): { packed: PackedDecision; transfer: ArrayBuffer[] } {
  const { outputs, ...rest } = decision;
  let size = 0;
  for (const o of outputs) size += o.value.length;
  const values = new Uint8Array(new ArrayBuffer(size));
  const ends = new Int32Array(outputs.length);
  const keys: (string | Uint8Array | null)[] = new Array(outputs.length);
  let pos = 0;
  for (let i = 0; i < outputs.length; i++) {
    const { key, value } = outputs[i]!;
    values.set(value, pos);
    pos += value.length;
    ends[i] = pos;
    keys[i] = key === null || typeof key === 'string' ? key : new Uint8Array(key);
  }
  // The outcomes view may cover part of its buffer only; a copy of exactly its length moves cleanly.
  const outcomes = rest.outcomes.slice();
  return {
    packed: { ...rest, outcomes, values, ends, keys },
    transfer: [values.buffer as ArrayBuffer, ends.buffer as ArrayBuffer, outcomes.buffer as ArrayBuffer],
  };
}

export function unpackDecision(packed: PackedDecision): BatchDecision {
  const { values, ends, keys, ...rest } = packed;
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const outputs: BatchDecision['outputs'] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const key = keys[i]!;
    outputs[i] = { key: key === null || typeof key === 'string' ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength), value: bytes.subarray(start, ends[i]) };
    start = ends[i]!;
  }
  return { ...rest, outputs };
}
