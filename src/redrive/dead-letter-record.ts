import type { IHeaders, KafkaMessage } from '../kafka/client.js';
import { DLQ_HEADER } from '../pipeline/dead-letter.js';
import type { SourceRecord } from '../pipeline/processor.js';
import type { ProductDescriptor } from '../product/types.js';

/**
 * A record of a dead-letter topic as the redrive commands see it: where it sits in the dead-letter
 * topic, what its `dataprod.*` headers say (codes and positions only), and how often it was tried.
 * Reading it is pure; a record whose headers are missing or garbled still reads (fields undefined),
 * so `inspect` can count it and `replay` can refuse it by name instead of crashing.
 */

/** Headers a redrive adds: the attempt that produced the record, and whether it is parked. */
export const REDRIVE_HEADER = {
  /** 1 for the worker's first try; a replay writes the attempt it made (2, 3, ...). */
  attempt: 'dataprod.redrive.attempt',
  /** `true` once a dead letter reached --max-attempts: replay passes over it unless --include-parked. */
  parked: 'dataprod.redrive.parked',
} as const;

/** The replay's own consumer group on the dead-letter topic: its committed offsets are where a replay resumes. */
export const replayGroupOf = (product: ProductDescriptor) => `${product.consumerGroup}.dlq-replay`;

export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp of the source record, ms since the epoch, as text. */
  timestamp: string;
}

export interface DeadLetterRecord {
  /** Partition and offset in the dead-letter topic. */
  partition: number;
  offset: string;
  /** The dead letter's own timestamp (when it was dead-lettered), ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  reason: string | undefined;
  stage: string | undefined;
  field: string | undefined;
  rule: string | undefined;
  schemaId: number | undefined;
  /** Where the original record is; undefined when the headers do not say. */
  source: SourcePosition | undefined;
  attempt: number;
  parked: boolean;
  /** The original value's size when only a prefix was dead-lettered (the value is not the original). */
  truncatedFrom: number | undefined;
}

/** The first value of a header as text (kafkajs gives repeated headers as arrays). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const wholeNumber = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);

export function readDeadLetter(partition: number, message: KafkaMessage): DeadLetterRecord {
  const headers = message.headers ?? {};
  const text = (name: string) => headerText(headers, name);
  const sourceTopic = text(DLQ_HEADER.topic);
  const sourcePartition = wholeNumber(text(DLQ_HEADER.partition));
  const sourceOffset = text(DLQ_HEADER.offset);
  const source =
    sourceTopic !== undefined && sourcePartition !== undefined && sourceOffset !== undefined && /^\d+$/.test(sourceOffset)
      ? { topic: sourceTopic, partition: sourcePartition, offset: sourceOffset, timestamp: text(DLQ_HEADER.timestamp) ?? '0' }
      : undefined;
  return {
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
    reason: text(DLQ_HEADER.reason),
    stage: text(DLQ_HEADER.stage),
    field: text(DLQ_HEADER.field),
    rule: text(DLQ_HEADER.rule),
    schemaId: wholeNumber(text(DLQ_HEADER.schemaId)),
    source,
    attempt: Math.max(1, wholeNumber(text(REDRIVE_HEADER.attempt)) ?? 1),
    parked: text(REDRIVE_HEADER.parked) === 'true',
    truncatedFrom: wholeNumber(text(DLQ_HEADER.valueTruncated)),
  };
}

/**
 * The original record, as the worker read it from its input topic: the dead letter's key and value,
 * its headers without ours, its source position. Only for a dead letter with a source position.
 */
export function originalRecord(letter: DeadLetterRecord & { source: SourcePosition }): SourceRecord {
  const headers: SourceRecord['headers'] = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    // Our headers describe the failure, not the record: the transform sees what upstream sent.
    if (!name.startsWith('dataprod.') && value !== undefined) headers[name] = value;
  }
  const { topic, partition, offset, timestamp } = letter.source;
  return { topic, partition, offset, timestamp, key: letter.key, value: letter.value, headers };
}
