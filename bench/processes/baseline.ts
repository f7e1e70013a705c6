/**
 * System (c) of `npm run bench:compare`: the enrichment as a user would write it by hand with
 * kafkajs and @kafkajs/confluent-schema-registry, without dataprod. kafkajs defaults everywhere
 * (consumer with auto-commit after each batch, plain producer, acks -1 as kafkajs' send default);
 * per record, in eachMessage: `await registry.decode(value)`, the product's own transform
 * (bench/products/orders-wide/transform.ts, the very module `dataprod run` executes in (b)),
 * `await registry.encode(id, output)` and `await producer.send(...)` of that one record. No
 * contract or quality checks, no dead-letter topic: a record whose transform throws is counted and
 * skipped (the benchmark input has none).
 *
 *   node --import tsx bench/processes/baseline.ts --brokers host:port --registry URL --input T --output T --group G --product DIR
 *
 * Registers the product's output schema under <output>-value at start-up. Stops on SIGTERM and
 * prints one JSON line with its counters; exits 1 if any record failed.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import type { Transform, TransformContext } from '../../src/transform.js';
import { WITHOUT_LOOKUPS } from '../../src/lookups/reader.js';
import { onSigterm } from '../harness/child.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    registry: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    product: { type: 'string' },
  },
});
const need = (name: keyof typeof values): string => {
  const v = values[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const input = need('input');
const output = need('output');
const productDir = need('product');

const transform = ((await import(pathToFileURL(join(productDir, 'transform.ts')).href)) as { default: Transform }).default;
const outputSchema = readFileSync(join(productDir, 'schemas', 'orders-enriched.avsc'), 'utf8');

const registry = new SchemaRegistry({ host: need('registry') });
const { id: outputId } = await registry.register({ type: SchemaType.AVRO, schema: outputSchema }, { subject: `${output}-value` });

const kafka = new Kafka({ clientId: 'bench-baseline', brokers: need('brokers').split(','), logLevel: logLevel.WARN });
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: need('group') });

let consumed = 0;
let published = 0;
let filtered = 0;
let failed = 0;
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    consumed += 1;
    try {
      const order: unknown = await registry.decode(message.value!);
      const ctx: TransformContext = {
        port: 'orders',
        key: message.key?.toString() ?? null,
        headers: {},
        topic,
        partition,
        offset: message.offset,
        timestamp: Number(message.timestamp),
        ...WITHOUT_LOOKUPS,
      };
      const result = transform.fn(order, ctx);
      if (result === null) {
        filtered += 1;
        return;
      }
      for (const out of Array.isArray(result) ? result : [result]) {
        const value = await registry.encode(outputId, out);
        await producer.send({ topic: output, messages: [{ key: String((out as { order_id: string }).order_id), value }] });
        published += 1;
      }
    } catch (err) {
      failed += 1;
      if (failed <= 5) console.error(`record ${topic}[${partition}]@${message.offset} failed: ${(err as Error).message}`);
    }
  },
});

onSigterm(async () => {
  await consumer.disconnect();
  await producer.disconnect();
  return { report: { system: 'baseline', consumed, published, filtered, failed }, exitCode: failed > 0 ? 1 : 0 };
});
