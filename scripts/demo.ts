/**
 * `npm run demo`: the example products end to end. Starts (or uses) Kafka and a registry,
 * registers the raw contracts, produces synthetic raw events at a steady rate with a small share
 * of bad ones, runs one worker with both products, and prints where to look. Ctrl-C stops it all.
 * `npm run demo -- --for 30` stops by itself after 30 s (used by the tests).
 */
import { parseArgs } from 'node:util';
import avsc from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProducts, selectRunnable } from '../src/product/index.js';
import { loadRuntimeConfig } from '../src/config/runtime.js';
import { RegistryClient } from '../src/contracts/registry-client.js';
import { frame } from '../src/contracts/wire.js';
import { kindOf, rawClick, rawOrder } from '../src/tools/demo/generators.js';
import { startStack } from '../src/devstack/index.js';
import { createLogger } from '../src/observability/logger.js';
import { Worker } from '../src/runtime/worker.js';

const { values } = parseArgs({
  options: {
    for: { type: 'string' },
    rate: { type: 'string', default: '50' },
    'http-port': { type: 'string', default: process.env.DATAPROD_HTTP_PORT ?? '9464' },
  },
});
const ratePerSecond = Number(values.rate);
const stopAfterMs = values.for ? Number(values.for) * 1000 : undefined;

const stack = await startStack();
const kafka = new Kafka({ clientId: 'dataprod-demo-producer', brokers: stack.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const registry = new RegistryClient({ url: stack.schemaRegistryUrl });
// What `dataprod run products` would start: drafts (orders-by-tier needs a CRM topic) are left out.
const { run: products } = selectRunnable(await loadProducts(['products']), false);

// Raw topics and contracts: what upstream teams would own.
await admin.connect();
const existing = new Set(await admin.listTopics());
const rawTopics = products.flatMap((p) => p.descriptor.inputPorts.map((port) => port.topic)).filter((t) => !existing.has(t));
if (rawTopics.length) await admin.createTopics({ waitForLeaders: true, topics: rawTopics.map((topic) => ({ topic, numPartitions: 3 })) });
await producer.connect();

const sources = await Promise.all(
  products.map(async ({ descriptor }) => {
    const port = descriptor.inputPorts[0]!;
    const id = await registry.register(port.contract.subject, port.contract.schema);
    const type = avsc.Type.forSchema(port.contract.schema as avsc.Schema);
    const make = descriptor.name === 'page-views' ? rawClick : rawOrder;
    return {
      topic: port.topic,
      encode: (seq: number) =>
        kindOf(seq) === 'not-avro' ? Buffer.from(`{"seq":${seq}}`) : frame(id, type.toBuffer(make(seq, Date.now()))),
    };
  }),
);

const metrics = new Registry();
const config = loadRuntimeConfig(
  { 'http-port': values['http-port'] },
  {
    ...process.env,
    KAFKA_BROKERS: stack.brokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    DATAPROD_LOG_LEVEL: process.env.DATAPROD_LOG_LEVEL ?? 'warn',
  },
  { need: { kafka: true, registry: true } },
);
const worker = new Worker({ config, products, logger: createLogger(config.logLevel), metricsRegistry: metrics });
await worker.start();

let seq = 0;
const tick = 200;
const perTick = Math.max(1, Math.round((ratePerSecond * tick) / 1000));
const producing = setInterval(() => {
  const start = seq;
  seq += perTick;
  for (const source of sources) {
    const messages = Array.from({ length: perTick }, (_, i) => ({ key: `${start + i}`, value: source.encode(start + i) }));
    producer.send({ topic: source.topic, messages }).catch((err: Error) => console.error(`demo producer: ${err.message}`));
  }
}, tick);

const brokers = stack.brokers.join(',');
console.log(`
dataprod demo (${stack.kind} stack) — ${products.length} products, ${ratePerSecond} raw events/s each, ~8% of them bad on purpose

  KAFKA_BROKERS=${brokers}
  SCHEMA_REGISTRY_URL=${stack.schemaRegistryUrl}

  metrics:   ${worker.controlUrl}/metrics
  health:    ${worker.controlUrl}/healthz   ${worker.controlUrl}/readyz
  catalogue: ${worker.controlUrl}/products
${products
  .map(({ descriptor: d }) => `  ${d.id}: ${d.inputPorts[0]!.topic} -> ${d.outputPorts[0]!.topic}   dead letters: ${d.deadLetter.topic}`)
  .join('\n')}

  kcat -C -b ${brokers} -t ${products[0]!.descriptor.deadLetter.topic} -f '%k %h\\n' -e     # dead letters with their reasons
Press Ctrl-C to stop.
`);

const counter = async (name: string, product: string) => {
  const metric = await metrics.getSingleMetric(name)?.get();
  return (metric?.values ?? []).filter((v) => v.labels.product === product).reduce((sum, v) => sum + v.value, 0);
};
const status = setInterval(() => {
  void (async () => {
    const lines = [];
    for (const { descriptor: d } of products) {
      const [consumed, published, filtered, dlq] = await Promise.all(
        [
          'dataprod_records_consumed_total',
          'dataprod_records_published_total',
          'dataprod_records_filtered_total',
          'dataprod_dlq_records_total',
        ].map((m) => counter(m, d.id)),
      );
      lines.push(`${d.name}: consumed ${consumed}, published ${published}, filtered ${filtered}, dead-lettered ${dlq}`);
    }
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${lines.join(' | ')}`);
  })();
}, 5_000);

let stopping = false;
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping the producers, draining the worker, stopping the stack...`);
  clearInterval(producing);
  clearInterval(status);
  const steps: [string, () => Promise<unknown>][] = [
    ['producer', () => producer.disconnect()],
    ['worker', () => worker.close()],
    ['admin', () => admin.disconnect()],
    ['stack', () => stack.stop()],
  ];
  let failed = false;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed = true;
      console.error(`stopping ${name} failed: ${(err as Error).message}`);
    }
  }
  const workerCode = await worker.done;
  console.log(failed || workerCode !== 0 ? 'stopped with errors' : 'stopped cleanly');
  process.exit(failed ? 1 : workerCode);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
void worker.done.then(() => shutdown('worker stopped'));
if (stopAfterMs !== undefined) setTimeout(() => void shutdown(`${stopAfterMs / 1000} s elapsed`), stopAfterMs);
