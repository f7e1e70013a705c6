/**
 * `npm run bench:micro`: what one record costs on dataprod's record and batch path, on one thread
 * with no Kafka and no I/O, timed on the current code only (src/ as `dataprod run` loads it):
 * ProductProcessor.process of the bench product, then each of its stages through the public
 * functions it is made of (decode, contract + quality checks, transform, encode into a frame),
 * then the batch steps around it (decideBatch, planBatch + tallyPlan, chunkWrites) and the
 * per-record latency observation of the accounting, then one lookup (each store's get, and the
 * processor with one ctx.lookup in the transform). Nanoseconds per record, median of --repeats
 * timed passes over --records distinct records after a warm-up pass. Numbers from a busy machine
 * are worthless: it prints the machine's background load first.
 *
 *   npm run bench:micro
 *   npm run bench:micro -- --records 10000 --repeats 7 --batch-size 3300
 *   npm run bench:micro -- --kafkajs-before /path/to/unpatched/kafkajs     kafkajs's producer path, patched and not
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import avsc from 'avsc';
import { Registry } from 'prom-client';
import { loadProduct } from '../src/product/load.js';
import { StaticSchemaSource } from '../src/contracts/schema-cache.js';
import { FRAME_HEADER_BYTES, FrameArena } from '../src/contracts/wire.js';
import { Metrics } from '../src/observability/metrics.js';
import { decideBatch } from '../src/pipeline/batch.js';
import { chunkWrites, planBatch, tallyPlan } from '../src/pipeline/batch-plan.js';
import type { SourceRecord } from '../src/pipeline/processor.js';
import { compileRule } from '../src/pipeline/rules.js';
import { buildProcessor } from '../src/runtime/batch-decider.js';
import { defineTransform, type TransformContext } from '../src/transform.js';
import { DiskStore } from '../src/lookups/disk-store.js';
import { MemoryStore, type TableChange } from '../src/lookups/store.js';
import { CUSTOMER_SCHEMA_FILE } from './harness/kafka.js';
import { WITHOUT_LOOKUPS } from '../src/lookups/reader.js';
import { positive } from './harness/args.js';
import { encoder } from './harness/events.js';
import { backgroundCores, machineDescription, median } from './harness/machine.js';
import { BENCH_PRODUCT_DIR, benchSchema } from './harness/product.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '7' },
    'batch-size': { type: 'string', default: '3300' },
    /** Another kafkajs package folder (e.g. an unpatched copy) timed beside node_modules/kafkajs. */
    'kafkajs-before': { type: 'string' },
  },
});
const N = positive('records', values.records);
const REPEATS = positive('repeats', values.repeats);
const BATCH = positive('batch-size', values['batch-size']);
const RAW_ID = 1;
const OUT_ID = 2;
const MAX_BYTES = 1_048_576;

const machine = machineDescription();
const background = await backgroundCores();
console.log(`dataprod hot-path micro benchmark: ${machine.cores} cores, ${machine.cpuModel}; node ${process.version}; background cores ${background.toFixed(2)}${background > 0.3 ? ' (WARNING: the machine is busy, these numbers are not clean)' : ''}
${N} distinct records of bench/products/orders-wide in batches of ${BATCH}, median of ${REPEATS} passes, ns per record
`);

// The processor as the worker builds it (src/runtime/batch-decider.ts), the writer schema preloaded.
const { descriptor, transform } = await loadProduct(BENCH_PRODUCT_DIR);
const port = descriptor.inputPorts[0]!;
const output = descriptor.output;
const source = new StaticSchemaSource(new Map([[RAW_ID, benchSchema('raw-order.avsc')]]));
const { schemas, processor, eventTime } = buildProcessor(descriptor, transform, source, {
  outputSchemaId: OUT_ID,
  maxOutputBytes: MAX_BYTES,
});
await schemas.fetch([RAW_ID]);

// Batches of one partition each, offsets increasing, as a fetch hands them to the worker.
const encode = encoder(RAW_ID);
const now = Date.now();
const records: SourceRecord[] = Array.from({ length: N }, (_, seq) => ({
  topic: port.topic,
  partition: Math.floor(seq / BATCH) % 3,
  offset: String(seq),
  timestamp: String(now),
  key: Buffer.from(`o-${seq}`),
  value: encode(seq, now),
}));
const batches = Array.from({ length: Math.ceil(N / BATCH) }, (_, b) => records.slice(b * BATCH, (b + 1) * BATCH));

// The inputs of each stage, made once by the stage before it.
const resolution = schemas.resolve(port.name, RAW_ID);
if (resolution?.kind !== 'ready') throw new Error('the raw schema does not resolve');
const events = records.map((r) => resolution.read(r.value!, FRAME_HEADER_BYTES));
const checks = [
  ...port.contract.constraints.map(compileRule),
  ...descriptor.quality.filter((q) => q.port === port.name).map((q) => compileRule(q)),
];
const context = (r: SourceRecord): TransformContext => ({
  port: port.name,
  key: null,
  headers: {},
  topic: r.topic,
  partition: r.partition,
  offset: r.offset,
  timestamp: Number(r.timestamp),
  ...WITHOUT_LOOKUPS,
});
const outputs = events.map((e, i) => transform.fn(e, context(records[i]!)));
const outputType = avsc.Type.forSchema(output.schema as avsc.Schema);
const decisions = batches.map((batch) => decideBatch(processor, batch, eventTime));
const plans = batches.map((batch, b) => planBatch(descriptor, batch, decisions[b]!, { deadLetterBatchBytes: MAX_BYTES }, undefined));
for (const [b, d] of decisions.entries()) {
  if (d.decided !== batches[b]!.length || d.outcomes.some((o) => o !== 'published'))
    throw new Error(`batch ${b}: not every record was published`);
}

let sink = 0;
/** ns per record: a pass calls fn(0..calls-1), which covers N records; median of REPEATS passes after a warm-up pass. */
function time(fn: (i: number) => unknown, calls = N): number {
  const pass = () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) if (fn(i)) sink++;
    return ((performance.now() - t0) * 1e6) / N;
  };
  pass();
  return median(Array.from({ length: REPEATS }, pass));
}
const row = (name: string, ns: number) => console.log(`${ns.toFixed(0).padStart(7)} ns  ${name}`);

row(
  'ProductProcessor.process, all stages (src/pipeline/processor.ts)',
  time((i) => processor.process(records[i]!)),
);
row(
  '  decode: SchemaCache.resolve(port, id).read(value, 5), the frame read in place',
  time((i) => schemas.resolve(port.name, RAW_ID)!.kind === 'ready' && resolution.read(records[i]!.value!, FRAME_HEADER_BYTES)),
);
row(
  '  contract + quality: compileRule(...).passes over the decoded event',
  time((i) => checks.every((c) => c.passes(events[i]))),
);
row(
  '  transform.fn(event, context) of bench/products/orders-wide',
  time((i) => transform.fn(events[i], context(records[i]!))),
);
const arena = new FrameArena();
row(
  '  encode: FrameArena.frame with outputType.encode straight into the frame',
  time((i) => arena.frame(OUT_ID, (buf, pos) => outputType.encode(outputs[i], buf, pos))),
);

row(
  `decideBatch (src/pipeline/batch.ts), batches of ${BATCH}`,
  time((b) => decideBatch(processor, batches[b]!, eventTime), batches.length),
);
row(
  'planBatch + tallyPlan (src/pipeline/batch-plan.ts)',
  time((b) => tallyPlan(planBatch(descriptor, batches[b]!, decisions[b]!, { deadLetterBatchBytes: MAX_BYTES }, undefined)), batches.length),
);
row(
  `chunkWrites into sends of at most ${MAX_BYTES} bytes`,
  time((b) => chunkWrites(plans[b]!.writes, MAX_BYTES), batches.length),
);

// The accounting observes append-to-publish latency once per published record.
const series = new Metrics(new Registry()).appendToPublish.labels({ product: descriptor.id });
row(
  'Metrics.appendToPublish series observe(v), per published record',
  time((i) => series.observe((i % 100) / 1000)),
);

// One lookup: a table of LOOKUP_ENTRIES customers (the example lookup of products/orders-by-tier)
// in each store, read with the customer_id of each order; then the whole processor with a
// transform that makes one ctx.lookup before the bench transform, against the row at the top.
const LOOKUP_ENTRIES = 100_000;
const customerType = avsc.Type.forSchema(JSON.parse(readFileSync(CUSTOMER_SCHEMA_FILE, 'utf8')) as avsc.Schema);
const customers: TableChange[] = Array.from({ length: LOOKUP_ENTRIES }, (_, n) => {
  const value = customerType.fromBuffer(customerType.toBuffer({ customer_id: `c-${n}`, name: `Customer ${n}`, tier: 'GOLD' }));
  return { key: `c-${n}`, value, bytes: 30 };
});
const memoryStore = new MemoryStore();
memoryStore.apply(customers);
const lookupDir = mkdtempSync(join(tmpdir(), 'dataprod-micro-'));
const diskStore = new DiskStore(lookupDir, 'customers', customerType);
await diskStore.apply(customers);
const customerIds = events.map((e) => (e as { customer_id: string }).customer_id);
row(
  `MemoryStore.get of a present key (${LOOKUP_ENTRIES} entries, src/lookups/store.ts)`,
  time((i) => memoryStore.get(customerIds[i]!)),
);
row(
  `DiskStore.get of a present key (${LOOKUP_ENTRIES} entries, LMDB read + Avro decode + freeze)`,
  time((i) => diskStore.get(customerIds[i]!)),
);
const withLookup = buildProcessor(
  descriptor,
  defineTransform((event, ctx) => {
    if (ctx.lookup('customers', (event as { customer_id: string }).customer_id) === undefined) throw new Error('miss');
    return transform.fn(event, ctx);
  }),
  source,
  { outputSchemaId: OUT_ID, maxOutputBytes: MAX_BYTES, lookups: { get: (_name, key) => memoryStore.get(key) } },
);
await withLookup.schemas.fetch([RAW_ID]);
// Timed again next to it: the first row ran on a younger heap, before the tables were built.
row(
  'ProductProcessor.process, all stages, again (the baseline of the next row)',
  time((i) => processor.process(records[i]!)),
);
row(
  'ProductProcessor.process with one ctx.lookup (memory store) before the bench transform',
  time((i) => withLookup.processor.process(records[i]!)),
);
await diskStore.close();
rmSync(lookupDir, { recursive: true, force: true });
// kafkajs's producer path for one sendBatch (patches/kafkajs+2.2.4.patch changes both), on the
// bench's raw frames: grouping per partition, then the produce request with its record batch and CRC32C.
const kafkajsRows = async (label: string, dir: string) => {
  const load = createRequire(join(dir, 'package.json'));
  const group = load('./src/producer/groupMessagesPerPartition.js') as (args: object) => unknown;
  const produceRequest = load('./src/protocol/requests/produce/v3/request.js') as (args: object) => { encode(): Promise<unknown> };
  const messages = records.map((r) => ({ key: r.key, value: r.value }));
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId }));
  let next = 0;
  const partitioner = () => next++ % 3;
  row(
    `kafkajs groupMessagesPerPartition, batches of ${BATCH} to 3 partitions, per message (${label})`,
    time(
      (b) => group({ topic: 't', partitionMetadata, messages: messages.slice(b * BATCH, (b + 1) * BATCH), partitioner }),
      batches.length,
    ),
  );
  const encodeOne = (b: number) =>
    produceRequest({
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: messages.slice(b * BATCH, (b + 1) * BATCH) }] }],
    }).encode();
  const pass = async () => {
    const t0 = performance.now();
    for (let b = 0; b < batches.length; b++) await encodeOne(b);
    return ((performance.now() - t0) * 1e6) / N;
  };
  await pass();
  const passes: number[] = [];
  for (let i = 0; i < REPEATS; i++) passes.push(await pass());
  row(`kafkajs produce request v3 encode (records, record batch, CRC32C), per message (${label})`, median(passes));
};
await kafkajsRows('node_modules/kafkajs', dirname(createRequire(import.meta.url).resolve('kafkajs/package.json')));
if (values['kafkajs-before']) await kafkajsRows(values['kafkajs-before'], values['kafkajs-before']);

if (sink < 0) console.log(sink);
