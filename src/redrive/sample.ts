import { Decimal } from '../contracts/decimal.js';
import { avroType } from '../contracts/logical-types.js';
import { FRAME_HEADER_BYTES, frameProblem, frameSchemaId } from '../contracts/wire.js';
import type { AvroSchema } from '../product/types.js';
import type { DeadLetterRecord } from './dead-letter-record.js';

/**
 * A dead letter made fit to print: its value decoded with its writer schema where it is Avro, every
 * field the product classifies (`classification` of the output port, any class) replaced by `***`
 * wherever a field of that name appears, long texts, byte strings and lists cut. A value that is
 * not Avro is shown by its size only: its bytes may be anything, personal data included.
 */

export const MASK = '***';
const MAX_TEXT = 40;
const MAX_ITEMS = 5;

export interface Sample {
  partition: number;
  offset: string;
  timestampMs: number;
  key: string | null;
  reason: string | undefined;
  stage: string | undefined;
  rule: string | undefined;
  field: string | undefined;
  source: string | undefined;
  attempt: number;
  parked: boolean;
  /** The decoded value, masked and cut; or a note saying why it is not shown. */
  value: unknown;
}

/** Names a classified path matches by: the whole path and its last segment (`customer.email`, `email`). */
export function classifiedNames(classification: Readonly<Record<string, string>>): Set<string> {
  const names = new Set<string>();
  for (const path of Object.keys(classification)) {
    names.add(path);
    names.add(path.split('.').at(-1)!);
  }
  return names;
}

export function cutText(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…(+${text.length - MAX_TEXT} chars)`;
}

/** A decoded Avro value with classified fields masked and long values cut. */
export function maskValue(value: unknown, classified: ReadonlySet<string>, path = ''): unknown {
  if (typeof value === 'string') return cutText(value);
  if (typeof value === 'bigint' || value instanceof Decimal) return value.toString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_ITEMS).map((v) => maskValue(v, classified, path));
    return value.length > MAX_ITEMS ? [...shown, `…(+${value.length - MAX_ITEMS} items)`] : shown;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) {
      const at = path ? `${path}.${name}` : name;
      out[name] = classified.has(name) || classified.has(at) ? MASK : maskValue(v, classified, at);
    }
    return out;
  }
  return value;
}

/** Writer schemas by id, fetched once each; undefined when the registry does not know the id. */
export type WriterSchemas = (id: number) => Promise<AvroSchema | undefined>;

export async function renderSample(letter: DeadLetterRecord, schemas: WriterSchemas, classified: ReadonlySet<string>): Promise<Sample> {
  return {
    partition: letter.partition,
    offset: letter.offset,
    timestampMs: letter.timestamp,
    key: letter.key === null ? null : cutText(letter.key.toString('utf8')),
    reason: letter.reason,
    stage: letter.stage,
    rule: letter.rule,
    field: letter.field,
    source: letter.source ? `${letter.source.topic}[${letter.source.partition}]@${letter.source.offset}` : undefined,
    attempt: letter.attempt,
    parked: letter.parked,
    value: await decodedValue(letter, schemas, classified),
  };
}

async function decodedValue(letter: DeadLetterRecord, schemas: WriterSchemas, classified: ReadonlySet<string>): Promise<unknown> {
  const value = letter.value;
  const problem = frameProblem(value);
  if (problem === 'tombstone') return '(no value: tombstone)';
  if (problem !== undefined || letter.truncatedFrom !== undefined) {
    const size = letter.truncatedFrom ?? value!.length;
    return `(${size} bytes, ${letter.truncatedFrom !== undefined ? 'truncated in the dead-letter topic' : 'not Avro'}: not shown)`;
  }
  const id = frameSchemaId(value)!;
  const schema = await schemas(id);
  if (!schema) return `(${value!.length} bytes, writer schema ${id} unknown to the registry: not shown)`;
  try {
    // bigint longs: a long beyond 2^53 (dead-lettered for it) still shows, exactly.
    const type = avroType(schema, 'bigint');
    const decoded = type.decode(value!, FRAME_HEADER_BYTES);
    if (decoded.offset < 0) throw new Error('short body');
    return maskValue(decoded.value, classified);
  } catch {
    return `(${value!.length} bytes, does not decode with writer schema ${id}: not shown)`;
  }
}
