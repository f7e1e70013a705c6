import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { waitUntil } from '../../src/devstack/net.js';
import { uniqueName } from './stack.js';

export interface ReadRecord {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'dataprod-test', brokers, logLevel: logLevel.NOTHING });
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = (Array.isArray(v) ? v[0] : v)!.toString();
  return out;
}

/** Reads a topic from the beginning until `count` records arrived (or the timeout), with a fresh group. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headersOf(message.headers),
        });
      },
    });
    await waitUntil(async () => records.length >= count, {
      what: `${count} records on ${topic} (have ${records.length})`,
      timeoutMs,
      intervalMs: 100,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; got ${records.length}`);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Total committed offsets of a group on a topic, and the topic's end offsets. */
export async function groupProgress(admin: Admin, group: string, topic: string): Promise<{ committed: number; end: number }> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return {
    committed: (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0),
    end: ends.reduce((sum, p) => sum + Number(p.high), 0),
  };
}

/**
 * Reads a topic from the beginning with a fresh group, `read_committed` (records of aborted or
 * open transactions are never returned) unless `readUncommitted`, until at least `atLeast` records arrived and then none
 * came for `quietMs` over at least two fetches, so copies beyond the expected count are read too.
 * Never throws on a short read: at the timeout it returns what it has, and the caller's oracle
 * counts what is missing.
 */
export async function readTopicSettled(
  kafka: Kafka,
  topic: string,
  atLeast: number,
  {
    timeoutMs = 60_000,
    quietMs = 2_000,
    readUncommitted = false,
  }: { timeoutMs?: number; quietMs?: number; readUncommitted?: boolean } = {},
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted, maxWaitTimeInMs: 250 });
  let lastArrival = Date.now();
  let fetchesSinceArrival = 0;
  consumer.on(consumer.events.FETCH, () => (fetchesSinceArrival += 1));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        lastArrival = Date.now();
        fetchesSinceArrival = 0;
        records.push({
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headersOf(message.headers),
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (records.length >= atLeast && fetchesSinceArrival >= 2 && Date.now() - lastArrival >= quietMs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}
