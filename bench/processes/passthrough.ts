/**
 * System (a) of `npm run bench:compare`, the ceiling: a plain kafkajs consume -> produce of the
 * same bytes, with the I/O shape of a dataprod worker and nothing else. Per batch (one partition):
 * one sendBatch of every record's key and value to the output topic with acks -1 through a
 * producer configured exactly like dataprod's (src/kafka/client.ts createProducer: idempotent, one
 * request in flight, murmur2 partitioner), then one commit of the batch's last offset + 1, then a
 * heartbeat. The consumer has dataprod's settings (6 s session, no auto-commit, no auto-resolve,
 * --concurrency partitions at once: 3 like dataprod's --partitions-concurrently default; fetches of
 * dataprod's --max-partition-fetch-bytes default per partition).
 * No decode, no checks, no transform, no encode.
 *
 *   node --import tsx bench/processes/passthrough.ts --brokers host:port --input T --output T --group G [--concurrency 3]
 *
 * Stops on SIGTERM (leaves the group, exits 0) and prints one JSON line with its counters.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { OPTIONS } from '../../src/config/options.js';
import { createProducer } from '../../src/kafka/client.js';
import { onSigterm } from '../harness/child.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    concurrency: { type: 'string', default: '3' },
  },
});
const need = (name: keyof typeof values): string => {
  const v = values[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const brokers = need('brokers').split(',');
const input = need('input');
const output = need('output');

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
  maxBytesPerPartition: Number(OPTIONS.find((o) => o.flag === 'max-partition-fetch-bytes')!.default),
  sessionTimeout: 6_000,
  heartbeatInterval: 600,
  retry: { retries: 5 },
});

let records = 0;
let batches = 0;
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: Number(values.concurrency),
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
    const { topic, partition, messages } = batch;
    if (messages.length === 0 || !isRunning() || isStale()) return;
    const out: Message[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) out[i] = { key: messages[i]!.key, value: messages[i]!.value };
    await producer.sendBatch({ topicMessages: [{ topic: output, messages: out }], acks: -1 });
    const last = messages[messages.length - 1]!.offset;
    await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }] });
    resolveOffset(last);
    records += messages.length;
    batches += 1;
    await heartbeat();
  },
});

onSigterm(async () => {
  await consumer.disconnect();
  await producer.disconnect();
  return { report: { system: 'passthrough', records, batches }, exitCode: 0 };
});
