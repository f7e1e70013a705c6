import type { ProductDescriptor } from '../config/types.js';
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
