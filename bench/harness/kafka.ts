/**
 * Topics, offsets and subjects of a benchmark run: the seeded input topic, the offsets the drain
 * and the latency run watch, and their removal afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import avsc from 'avsc';
import type { Admin } from 'kafkajs';
import { frame } from '../../src/contracts/wire.js';
import type { Bench } from './context.js';
import { encoder } from './events.js';
import { benchSchema, repoRoot } from './product.js';

export async function committedTotal(admin: Admin, group: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

export async function createTopics(bench: Bench, topics: string[]): Promise<void> {
  await bench.admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: bench.partitions })) });
}

export async function deleteSubject(registryUrl: string, subject: string): Promise<void> {
  const url = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
  await fetch(url, { method: 'DELETE' }).catch(() => undefined);
  await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
}

export interface InputTopic {
  topic: string;
  schemaId: number;
  /** Seeding rate, records/s (NaN when nothing was seeded). */
  rate: number;
  meanValueBytes: number;
  /** Deletes the topic and its subject (also done by bench.close() if not done before). */
  drop(): Promise<void>;
}

/**
 * Creates `topic` with the run's partition count, registers the bench raw schema under
 * <topic>-value and writes `records` wide raw orders (seq 0..records-1, round-robin over the
 * partitions, created_at = now) in sends of 1000 with acks -1, `concurrency` at a time.
 */
export async function seedTopic(bench: Bench, topic: string, records: number, concurrency = 1): Promise<InputTopic> {
  const drop = bench.cleanup.add(async () => {
    await bench.admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => undefined);
    await deleteSubject(bench.stack.schemaRegistryUrl, `${topic}-value`);
  });
  await createTopics(bench, [topic]);
  const schemaId = await bench.registry.register(`${topic}-value`, benchSchema('raw-order.avsc'));
  if (records === 0) return { topic, schemaId, rate: Number.NaN, meanValueBytes: Number.NaN, drop };
  const encode = encoder(schemaId);
  const partitions = bench.partitions;
  // A producer per topic: kafkajs keeps refreshing metadata for every topic a producer has sent
  // to, and fails once one of them is deleted.
  const producer = bench.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  try {
    const lane = async () => {
      while (next < records) {
        const from = next;
        const to = Math.min(records, from + 1_000);
        next = to;
        const now = Date.now();
        const messages = [];
        for (let seq = from; seq < to; seq++) {
          const value = encode(seq, now);
          bytes += value.length;
          messages.push({ key: `o-${seq}`, value, partition: seq % partitions });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  const end = await topicEnd(bench.admin, topic);
  if (end !== records) throw new Error(`seeded ${records} records but ${topic} ends at ${end}`);
  return { topic, schemaId, rate: records / seconds, meanValueBytes: bytes / records, drop };
}

/** The customer schema of the example lookup (products/orders-by-tier): what lookup benchmarks store. */
export const CUSTOMER_SCHEMA_FILE = join(repoRoot, 'products', 'orders-by-tier', 'schemas', 'customer.avsc');

/**
 * Creates a compacted lookup topic and writes `entries` customers (`c-0` .. `c-<entries-1>`,
 * ~30-byte Avro values) in sends of 5000 with acks -1, four at a time.
 */
export async function seedCustomers(bench: Bench, topic: string, entries: number): Promise<{ seconds: number; drop(): Promise<void> }> {
  const drop = bench.cleanup.add(async () => {
    await bench.admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => undefined);
    await deleteSubject(bench.stack.schemaRegistryUrl, `${topic}-value`);
  });
  await bench.admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: bench.partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  const schema = JSON.parse(readFileSync(CUSTOMER_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  const schemaId = await bench.registry.register(`${topic}-value`, schema);
  const type = avsc.Type.forSchema(schema as avsc.Schema);
  const tiers = ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'];
  const producer = bench.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let next = 0;
  try {
    const lane = async () => {
      while (next < entries) {
        const from = next;
        const to = Math.min(entries, from + 5_000);
        next = to;
        const messages = [];
        for (let n = from; n < to; n++) {
          const value = frame(schemaId, type.toBuffer({ customer_id: `c-${n}`, name: `Customer ${n}`, tier: tiers[n % 4] }));
          messages.push({ key: `c-${n}`, value });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));
  } finally {
    await producer.disconnect();
  }
  return { seconds: (performance.now() - started) / 1000, drop };
}
