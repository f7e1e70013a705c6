import type { KafkaMessage } from '../../../src/kafka/client.js';
import { deadLetterMessage } from '../../../src/pipeline/dead-letter.js';
import type { DataError, SourceRecord } from '../../../src/pipeline/processor.js';
import type { ProductDescriptor } from '../../../src/product/types.js';
import { readDeadLetter, type DeadLetterRecord } from '../../../src/redrive/dead-letter-record.js';

export const IN = 'raw.payments';
export const OUT = 'fin.payments.v2';
export const DLQ = 'fin.payments.dlq';

export function product(): ProductDescriptor {
  const output = {
    name: 'payments',
    topic: OUT,
    subject: `${OUT}-value`,
    key: 'payment_id',
    schemaFile: '/p/schemas/out.avsc',
    schema: {},
    compatibility: 'BACKWARD_TRANSITIVE' as const,
    classification: { card_holder: 'pii', 'billing.street': 'pii' },
  };
  return {
    dir: '/p',
    file: '/p/product.yaml',
    id: 'fin.payments',
    name: 'payments',
    domain: 'fin',
    version: '2.1.1',
    major: 2,
    status: 'active',
    description: {},
    team: { name: 'fin', members: [] },
    support: [],
    inputPorts: [
      {
        name: 'payments',
        topic: IN,
        contract: { subject: `${IN}-value`, schemaFile: '/p/schemas/in.avsc', schema: {}, constraints: [] },
        onInvalid: 'dlq',
      },
    ],
    transformFile: '/p/transform.ts',
    outputPorts: [output],
    output,
    deadLetter: { topic: DLQ },
    quality: [],
    slaProperties: [],
    consumerGroup: 'dataprod.fin.payments.v2',
    delivery: 'at-least-once',
    longs: 'number',
    majorId: 'fin.payments.v2',
  };
}

/** The source record at raw.payments[1]@<offset>, with an upstream trace header. */
export function source(offset: number, value: Buffer | null = Buffer.from([0, 0, 0, 0, 7, 2])): SourceRecord {
  return {
    topic: IN,
    partition: 1,
    offset: String(offset),
    timestamp: String(1_700_000_000_000 + offset),
    key: Buffer.from(`k${offset}`),
    value,
    headers: { trace: Buffer.from(`t${offset}`) },
  };
}

/**
 * What the worker wrote for `record` (deadLetterMessage), read back as the consumer gives it, at
 * fin.payments.dlq[0]@<dlqOffset>, with `extra` headers (a redrive's).
 */
export function deadLetter(
  record: SourceRecord,
  error: DataError,
  dlqOffset: number,
  extra: Record<string, string> = {},
): DeadLetterRecord {
  const written = deadLetterMessage(record, error, product());
  const headers: KafkaMessage['headers'] = {};
  for (const [name, value] of Object.entries({ ...written.headers, ...extra })) headers[name] = Buffer.from(value);
  const message = {
    key: written.key,
    value: written.value,
    headers,
    offset: String(dlqOffset),
    timestamp: String(1_800_000_000_000 + dlqOffset),
    attributes: 0,
  } as KafkaMessage;
  return readDeadLetter(0, message);
}
