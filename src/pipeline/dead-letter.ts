import type { ProductDescriptor } from '../product/types.js';
import type { DataError, SourceRecord } from './processor.js';

export const DLQ_HEADER = {
  reason: 'dataprod.error.reason',
  stage: 'dataprod.error.stage',
  field: 'dataprod.error.field',
  rule: 'dataprod.error.rule',
  topic: 'dataprod.source.topic',
  partition: 'dataprod.source.partition',
  offset: 'dataprod.source.offset',
  timestamp: 'dataprod.source.timestamp',
  product: 'dataprod.product',
  version: 'dataprod.product.version',
  schemaId: 'dataprod.schema.id',
  valueTruncated: 'dataprod.error.value-truncated',
} as const;

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string>;
}

/**
 * The dead-letter record: the original key, value and headers untouched, plus headers with codes
 * and positions only. `error.detail` is left out on purpose: exception texts may quote data.
 */
export function deadLetterMessage(record: SourceRecord, error: DataError, product: ProductDescriptor): DeadLetterMessage {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    // A replayed dead letter carries an earlier error's dataprod.* headers: they describe this one now.
    if (value === undefined || name.startsWith('dataprod.')) continue;
    // kafkajs gives repeated headers as arrays; the DLQ keeps the first (kafkajs can only write one per name).
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first;
  }
  headers[DLQ_HEADER.reason] = error.reason;
  headers[DLQ_HEADER.stage] = error.stage;
  if (error.field !== undefined) headers[DLQ_HEADER.field] = error.field;
  if (error.rule !== undefined) headers[DLQ_HEADER.rule] = error.rule;
  headers[DLQ_HEADER.topic] = record.topic;
  headers[DLQ_HEADER.partition] = String(record.partition);
  headers[DLQ_HEADER.offset] = record.offset;
  headers[DLQ_HEADER.timestamp] = record.timestamp;
  headers[DLQ_HEADER.product] = product.id;
  headers[DLQ_HEADER.version] = product.version;
  if (error.schemaId !== undefined) headers[DLQ_HEADER.schemaId] = String(error.schemaId);
  return { key: record.key, value: record.value, headers };
}

/** The record batch header of Kafka's v2 format: a record written alone pays it once. */
export const BATCH_OVERHEAD_BYTES = 61;
/** Upper bound of a record's own varints: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD_BYTES = 26;
/** Upper bound of a header's two length varints. */
const HEADER_OVERHEAD_BYTES = 10;

export interface WritableRecord {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
}

/** Bytes a record takes in an uncompressed v2 record batch (an upper bound, without the batch header). */
export function recordBytes(record: WritableRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value);
  for (const name in record.headers) bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + byteLength(record.headers[name]!);
  return bytes;
}

/**
 * A dead letter the dead-letter topic accepts (`maxBatchBytes` is its `max.message.bytes`, the
 * limit of a record batch). One that is too large keeps its key, every header and a prefix of its
 * value, plus `dataprod.error.value-truncated` with the original value's size: the whole record
 * stays readable in the input topic at the position its headers give. Undefined when even an empty
 * value would not fit (the key or the headers alone are too large): that record cannot be
 * dead-lettered at all, and the product must block rather than skip it.
 */
export function fitDeadLetter(record: DeadLetterMessage, maxBatchBytes: number): DeadLetterMessage | undefined {
  const room = maxBatchBytes - BATCH_OVERHEAD_BYTES;
  if (recordBytes(record) <= room) return record;
  const original = record.value?.length ?? 0;
  const headers = { ...record.headers, [DLQ_HEADER.valueTruncated]: String(original) };
  const withoutValue = recordBytes({ key: record.key, value: null, headers });
  if (withoutValue > room) return undefined;
  const value = (record.value ?? Buffer.alloc(0)).subarray(0, Math.min(original, room - withoutValue));
  return { key: record.key, value, headers };
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
