import type { ProductDescriptor } from '../product/types.js';
import { SchemaCache, type SchemaSource } from '../contracts/schema-cache.js';
import type { KafkaMessage } from '../kafka/client.js';
import { decideBatch, eventTimeReader, warmSchemas, type BatchDecision } from '../pipeline/batch.js';
import { ProductProcessor, type SourceRecord } from '../pipeline/processor.js';
import type { Transform } from '../transform.js';
import type { LookupReader } from '../lookups/reader.js';

/** The writer schemas a batch needs could not be fetched (registry unreachable): back off, do not dead-letter. */
export class SchemaFetchError extends Error {
  constructor(cause: unknown) {
    super(`writer schemas unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SchemaFetchError';
  }
}

export interface DeciderOptions {
  /** Registered id of the output schema, written into every output frame. */
  outputSchemaId: number;
  maxOutputBytes: number;
  /** The tables `ctx.lookup` reads; none by default. */
  lookups?: LookupReader;
}

/** The processor's view of a fetched record. */
export function sourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key,
    value: message.value,
    headers: message.headers,
  };
}

/** The product's processor and schema cache. */
export function buildProcessor(product: ProductDescriptor, transform: Transform, source: SchemaSource, options: DeciderOptions) {
  const schemas = new SchemaCache(source, new Map(product.inputPorts.map((p) => [p.name, p.contract.schema])), product.longs);
  const processor = new ProductProcessor(product, transform, schemas, options);
  const output = product.output;
  return { schemas, processor, eventTime: eventTimeReader(output.schema, output.eventTime) };
}

/**
 * Step 1 of the batch path (decide): schema warm-up, the batch's one possible await, then every
 * record through the processor. Throws SchemaFetchError when the writer schemas cannot be fetched
 * (back off, never dead-letter); anything else it throws is a bug.
 */
export class BatchDecider {
  private readonly built: ReturnType<typeof buildProcessor>;

  constructor(product: ProductDescriptor, transform: Transform, source: SchemaSource, options: DeciderOptions) {
    this.built = buildProcessor(product, transform, source, options);
  }

  async decide(records: readonly SourceRecord[]): Promise<BatchDecision> {
    const { schemas, processor, eventTime } = this.built;
    try {
      await warmSchemas(schemas, records);
    } catch (err) {
      throw new SchemaFetchError(err);
    }
    return decideBatch(processor, records, eventTime);
  }
}
