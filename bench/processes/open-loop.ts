/**
 * The latency probe of `npm run bench:compare`, one role per process so neither delays the other:
 *
 *   source: produces wide raw orders to --topic at a constant --rate for --seconds, whatever the
 *           system under test does (open loop). Each record's created_at (the last Avro field) is
 *           stamped with Date.now() when the record is built, in chunks every --tick-ms. Prints
 *           "started" when it starts sending, and at the end one JSON line: start time, records
 *           sent (and how many of them after --warmup-seconds), failed or unacknowledged sends, and
 *           how far behind its schedule it ran. It stops at the end of its schedule even when it
 *           could not send everything (then achievedRate is below --rate).
 *   sink:   consumes --topic (the system's output) with its own group and, for every record, keeps
 *           (created_at, Date.now() when its batch arrived). created_at is read from the last six
 *           bytes of the value (see bench/harness/events.ts); every 1000th record is also fully decoded
 *           with --schema to check that. Prints "ready" once it has joined its group; on SIGTERM
 *           writes the pairs to --file as float64 and prints one JSON line of counters.
 *
 *   node --import tsx bench/processes/open-loop.ts --role source --brokers B --topic T --schema-id N --rate R --seconds S --partitions P [--warmup-seconds W]
 *   node --import tsx bench/processes/open-loop.ts --role sink --brokers B --topic T --group G --schema F --file F
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import avsc from 'avsc';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { encoder, readTrailingMillis, writeTrailingMillis } from '../harness/events.js';
import { onSigterm } from '../harness/child.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    brokers: { type: 'string' },
    topic: { type: 'string' },
    'schema-id': { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    partitions: { type: 'string', default: '3' },
    'tick-ms': { type: 'string', default: '2' },
    'warmup-seconds': { type: 'string', default: '0' },
    group: { type: 'string' },
    schema: { type: 'string' },
    file: { type: 'string' },
  },
});
const need = (name: keyof typeof values): string => {
  const v = values[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};
const kafka = new Kafka({ clientId: `bench-open-loop-${values.role}`, brokers: need('brokers').split(','), logLevel: logLevel.WARN });
const topic = need('topic');

if (values.role === 'source') await source();
else if (values.role === 'sink') await sink();
else throw new Error('--role must be source or sink');

async function source(): Promise<void> {
  const rate = Number(need('rate'));
  const seconds = Number(need('seconds'));
  const partitions = Number(values.partitions);
  const tickMs = Number(values['tick-ms']);
  // A pool of encoded orders, copied and stamped per record: building is a copy and six bytes.
  const encode = encoder(Number(need('schema-id')));
  const POOL = 4096;
  const pool = Array.from({ length: POOL }, (_, seq) => encode(seq, Date.now()));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  let sent = 0;
  let inFlight = 0;
  let failures = 0;
  let firstError: string | undefined;
  const lags: number[] = [];
  const pending = new Set<Promise<unknown>>();
  const startMs = Date.now();
  const t0 = performance.now();
  console.log('started');
  const total = Math.round(rate * seconds);
  // Records stamped at or after this are the measured ones (the sink's caller filters the same way).
  const measuredFrom = startMs + Number(values['warmup-seconds']) * 1000;
  let measured = 0;
  // Open loop on a schedule: whatever was not sent by the end of it (a swamped broker) is not sent.
  const deadline = seconds * 1000 + 1_000;
  while (sent < total && performance.now() - t0 < deadline) {
    const elapsed = performance.now() - t0;
    const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
    if (due > sent) {
      // How late the oldest record of this chunk is against its schedule (records are stamped now).
      lags.push(elapsed - (sent * 1000) / rate);
      const now = Date.now();
      if (now >= measuredFrom) measured += due - sent;
      const messages: Message[] = [];
      for (let seq = sent; seq < due; seq++) {
        const template = pool[seq % POOL]!;
        const value = Buffer.allocUnsafe(template.length);
        template.copy(value);
        writeTrailingMillis(value, now);
        messages.push({ key: `o-${seq % POOL}`, value, partition: seq % partitions });
      }
      sent = due;
      inFlight += 1;
      const p: Promise<unknown> = producer
        .send({ topic, acks: -1, messages })
        .catch((err: unknown) => {
          failures += messages.length;
          firstError ??= `${(err as Error).name}: ${(err as Error).message}`;
        })
        .finally(() => {
          inFlight -= 1;
          pending.delete(p);
        });
      pending.add(p);
      // Open loop, but not unbounded: a broker that stops answering should not eat the memory.
      if (inFlight > 1_000) await Promise.race(pending);
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const endMs = Date.now();
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 30_000))]);
  const unacknowledged = inFlight;
  if (unacknowledged === 0) await producer.disconnect();
  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? Number.NaN;
  console.log(
    JSON.stringify({
      role: 'source',
      startMs,
      endMs,
      total,
      sent,
      measured,
      failures,
      firstError,
      unacknowledged,
      achievedRate: sent / ((endMs - startMs) / 1000),
      lagP50Ms: q(0.5),
      lagP99Ms: q(0.99),
      lagMaxMs: lags[lags.length - 1] ?? Number.NaN,
    }),
  );
  process.exit(0);
}

async function sink(): Promise<void> {
  const type = avsc.Type.forSchema(JSON.parse(readFileSync(need('schema'), 'utf8')) as avsc.Schema);
  const file = need('file');
  const pairs: number[] = [];
  let received = 0;
  let unreadable = 0;
  let verified = 0;
  let mismatched = 0;
  const consumer = kafka.consumer({ groupId: need('group'), allowAutoTopicCreation: false });
  consumer.on(consumer.events.GROUP_JOIN, () => console.log('ready'));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        received += 1;
        const created = m.value ? readTrailingMillis(m.value) : undefined;
        if (created === undefined) {
          unreadable += 1;
          continue;
        }
        pairs.push(created, now);
        if (received % 1000 === 1) {
          verified += 1;
          if ((type.fromBuffer(m.value!.subarray(5)) as { created_at: number }).created_at !== created) mismatched += 1;
        }
      }
    },
  });
  onSigterm(async () => {
    await consumer.disconnect();
    writeFileSync(file, new Uint8Array(Float64Array.from(pairs).buffer));
    return { report: { role: 'sink', received, unreadable, verified, mismatched }, exitCode: 0 };
  });
}
