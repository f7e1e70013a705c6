/**
 * System (a) of `npm run bench:compare`, the ceiling: a plain kafkajs consume -> produce of the
 * same bytes, with the I/O shape of a dataprod worker and nothing else. Per batch (one partition):
 * one sendBatch of every record's key and value to the output topic with acks -1 through a
 * producer configured exactly like dataprod's (src/kafka/client.ts createProducer: idempotent, one
 * request in flight, murmur2 partitioner), then one commit of the batch's last offset + 1, then a
 * heartbeat. The consumer has dataprod's settings (6 s session, no auto-commit, no auto-resolve,
 * --concurrency partitions at once: 3 like dataprod's --partitions-concurrently default; with
 * --pipeline, each batch produced and committed after it went back to kafkajs, like dataprod's
 * --pipeline default).
 * No decode, no checks, no transform, no encode.
 *
 *   node --import tsx bench/passthrough.ts --brokers host:port --input T --output T --group G [--concurrency 3] [--pipeline]
 *
 * Stops on SIGTERM (leaves the group, exits 0) and prints one JSON line with its counters.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { createProducer } from '../src/kafka/client.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    concurrency: { type: 'string', default: '3' },
    pipeline: { type: 'boolean', default: false },
  },
});
const need = (name: 'brokers' | 'input' | 'output' | 'group'): string => {
  const v = values[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const brokers = need('brokers').split(',');
const input = need('input');
const output = need('output');
const pipeline = values.pipeline;

const kafka = new Kafka({
  clientId: 'bench-passthrough',
  brokers,
  logLevel: logLevel.WARN,
  connectionTimeout: 5_000,
  retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
});
const producer = createProducer(kafka);
const consumer = kafka.consumer({
  groupId: need('group'),
  allowAutoTopicCreation: false,
  sessionTimeout: 6_000,
  heartbeatInterval: 600,
  retry: { retries: 5 },
});

let records = 0;
let batches = 0;
let stopping = false;
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
// --pipeline: dataprod's shape (src/runtime/product-worker.ts, --pipeline): a batch is produced and
// committed after eachBatch returned, so kafkajs fetches the partition's next batch meanwhile; a
// partition's batches are produced strictly one after the other, each after the previous commit.
const publishing = new Map<string, Promise<void>>();
let failure: unknown;
await consumer.run({
  partitionsConsumedConcurrently: Number(values.concurrency),
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
    const { topic, partition, messages } = batch;
    if (messages.length === 0 || !isRunning() || isStale()) return;
    if (failure) throw failure;
    const out: Message[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) out[i] = { key: messages[i]!.key, value: messages[i]!.value };
    const key = `${topic}:${partition}`;
    await publishing.get(key);
    const last = messages[messages.length - 1]!.offset;
    const publish = (async () => {
      await producer.sendBatch({ topicMessages: [{ topic: output, messages: out }], acks: -1 });
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }] });
      records += messages.length;
      batches += 1;
    })();
    if (pipeline && !stopping) {
      const tail = publish.catch((err: unknown) => {
        failure ??= err;
      });
      publishing.set(key, tail);
    } else {
      await publish;
    }
    resolveOffset(last);
    await heartbeat();
  },
});

process.once('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    while (publishing.size > 0) {
      const tails = [...publishing.values()];
      publishing.clear();
      await Promise.allSettled(tails);
    }
    await consumer.disconnect();
    await producer.disconnect();
    console.log(JSON.stringify({ system: 'passthrough', records, batches }));
    process.exit(0);
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
