/**
 * `npm run bench:micro`: what one record costs on dataprod's hot path, stage by stage, on one
 * thread with no Kafka and no I/O: the bench product's processor (decode -> contract -> quality ->
 * transform -> encode into a frame), against a copy of the path as it was before the hot-path
 * change, the per-record metrics call of handleBatch, and the kafkajs producer's grouping of a
 * sendBatch by partition. Nanoseconds per record, median
 * of --repeats timed passes over --records distinct records after a warm-up pass. Numbers from a
 * busy machine are worthless: it prints the machine's background load first.
 *
 *   npm run bench:micro
 *   npm run bench:micro -- --records 10000 --repeats 7
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import avsc from 'avsc';
import { Partitioners, type Message } from 'kafkajs';
import { Histogram, Registry } from 'prom-client';
import { loadProduct } from '../src/product/descriptor.js';
import { SchemaCache, StaticSchemaSource } from '../src/contracts/schema-cache.js';
import { FRAME_HEADER_BYTES, FrameArena, frame, parseFrame } from '../src/contracts/wire.js';
import { ProductHistogram } from '../src/observability/histogram.js';
import { LATENCY_BUCKETS } from '../src/observability/metrics.js';
import { ProductProcessor, type SourceRecord } from '../src/pipeline/processor.js';
import { compileRule } from '../src/pipeline/rules.js';
import type { TransformContext } from '../src/transform.js';
import { BENCH_PRODUCT_DIR, benchSchema, encoder } from './events.js';
import { backgroundCores, machineDescription, median } from './support.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '7' },
    'batch-size': { type: 'string', default: '3300' },
  },
});
const N = Number(values.records);
const REPEATS = Number(values.repeats);
const BATCH = Number(values['batch-size']);

const machine = machineDescription();
const background = await backgroundCores();
console.log(`dataprod hot-path micro benchmark: ${machine.cores} cores, ${machine.cpuModel}; node ${process.version}; background cores ${background.toFixed(2)}${background > 0.3 ? ' (WARNING: the machine is busy, these numbers are not clean)' : ''}
${N} distinct records of bench/products/orders-wide, median of ${REPEATS} passes, ns per record
`);

const { descriptor, transform } = await loadProduct(BENCH_PRODUCT_DIR);
const RAW_ID = 1;
const OUT_ID = 2;
const port = descriptor.inputPorts[0]!;
const schemas = new SchemaCache(new StaticSchemaSource(new Map([[RAW_ID, benchSchema('raw-order.avsc')]])), new Map([[port.name, port.contract.schema]]));
await schemas.fetch([RAW_ID]);
const processor = new ProductProcessor(descriptor, transform, schemas, { outputSchemaId: OUT_ID, maxOutputBytes: 1_048_576 });

const encode = encoder(RAW_ID);
const now = Date.now();
const records: SourceRecord[] = Array.from({ length: N }, (_, seq) => ({
  topic: port.topic,
  partition: seq % 3,
  offset: String(seq),
  timestamp: String(now),
  key: Buffer.from(`o-${seq}`),
  value: encode(seq, now),
}));
const resolution = schemas.resolve(port.name, RAW_ID);
if (resolution?.kind !== 'ready') throw new Error('the raw schema does not resolve');
const events = records.map((r) => resolution.read(r.value!, FRAME_HEADER_BYTES));
const ctx = (r: SourceRecord): TransformContext => ({ port: port.name, key: null, headers: {}, topic: r.topic, partition: r.partition, offset: r.offset, timestamp: Number(r.timestamp) });
const outputs = events.map((e, i) => transform.fn(e, ctx(records[i]!)));
const outputType = avsc.Type.forSchema(descriptor.outputPorts[0]!.schema as avsc.Schema);
const bodies = outputs.map((o) => outputType.toBuffer(o));
const checks = [...port.contract.constraints.map(compileRule), ...descriptor.quality.map((q) => compileRule(q))];

for (let i = 0; i < N; i++) {
  const outcome = processor.process(records[i]!);
  if (outcome.kind !== 'published') throw new Error(`record ${i}: ${outcome.kind}, expected publish`);
}

let sink = 0;
/** ns per unit: a pass calls fn(0..calls-1) and covers perPass units; median of REPEATS passes after a warm-up pass. */
function time(fn: (i: number) => unknown, perPass = N, calls = N): number {
  const pass = () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) if (fn(i)) sink++;
    return ((performance.now() - t0) * 1e6) / perPass;
  };
  pass();
  return median(Array.from({ length: REPEATS }, pass));
}

const rows: [string, number][] = [];
const row = (name: string, ns: number) => {
  rows.push([name, ns]);
  console.log(`${ns.toFixed(0).padStart(7)} ns  ${name}`);
};

const arena = new FrameArena();
row('ProductProcessor.process, all stages (src/pipeline/processor.ts)', time((i) => processor.process(records[i]!)));
row('  decode: resolver read of the frame in place (reader.decode(value, 5, resolver))', time((i) => resolution.read(records[i]!.value!, FRAME_HEADER_BYTES)));
row('  contract + quality checks', time((i) => checks.every((c) => c.passes(events[i]))));
row('  new RecordContext-like object + transform.fn', time((i) => transform.fn(events[i], ctx(records[i]!))));
row('  encode: outputType.encode straight into a FrameArena frame', time((i) => arena.frame(OUT_ID, (buf, pos) => outputType.encode(outputs[i], buf, pos))));
row('  outputType.isValid(out, { errorHook }): now only for an output that failed to encode', time((i) => outputType.isValid(outputs[i], { errorHook: () => undefined })));

/**
 * The record path as it was before the hot-path change (commit 9f8751d), on a bench-only copy:
 * decode from a body sub-buffer, validate with a hook, toBuffer, then frame() into a new buffer.
 * Timed against the current process() in alternating passes, so one run gives before and after.
 */
const reader = schemas.reader(port.name);
const resolver = reader.createResolver(avsc.Type.forSchema(benchSchema('raw-order.avsc') as avsc.Schema));
const contract = port.contract.constraints.map(compileRule);
const quality = descriptor.quality.map((q) => ({ check: compileRule(q), onFailure: q.onFailure }));
const keyField = descriptor.outputPorts[0]!.key!;
function previousProcess(record: SourceRecord): { kind: string; outputs?: { key: string | null; value: Buffer }[] } {
  const parsed = parseFrame(record.value);
  if (!parsed.ok) return { kind: 'dead-lettered' };
  const r = schemas.resolve(port.name, parsed.schemaId);
  if (r?.kind !== 'ready') return { kind: 'dead-lettered' };
  const event: unknown = reader.fromBuffer(parsed.body, resolver, false);
  for (const c of contract) if (!c.passes(event)) return { kind: 'dead-lettered' };
  for (const { check, onFailure } of quality) if (!check.passes(event) && onFailure !== 'warn') return { kind: onFailure === 'dlq' ? 'dead-lettered' : 'filtered' };
  const out = transform.fn(event, ctx(record));
  if (out === null) return { kind: 'filtered' };
  if (!outputType.isValid(out, { errorHook: () => undefined })) return { kind: 'dead-lettered' };
  const value = frame(OUT_ID, outputType.toBuffer(out));
  const key = (out as Record<string, unknown>)[keyField];
  return { kind: 'published', outputs: [{ key: key === null || key === undefined ? null : String(key), value }] };
}
for (let i = 0; i < N; i++) {
  const a = processor.process(records[i]!);
  const b = previousProcess(records[i]!);
  if (a.kind !== 'published' || b.kind !== 'published' || !a.outputs[0]!.value.equals(b.outputs![0]!.value) || a.outputs[0]!.key !== b.outputs![0]!.key) {
    throw new Error(`record ${i}: the previous path disagrees with ProductProcessor.process`);
  }
}
{
  // The headline pair, timed in alternating passes so that both see the same GC and JIT state.
  const current = [] as number[];
  const previous = [] as number[];
  const pass = (fn: (i: number) => unknown) => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) if (fn(i)) sink++;
    return ((performance.now() - t0) * 1e6) / N;
  };
  const cur = (i: number) => processor.process(records[i]!);
  const prev = (i: number) => previousProcess(records[i]!);
  pass(cur);
  pass(prev);
  for (let k = 0; k < 2 * REPEATS + 1; k++) {
    previous.push(pass(prev));
    current.push(pass(cur));
  }
  row('ProductProcessor.process before the hot-path change (bench copy, same bytes out, checked), alternating passes', median(previous));
  row('ProductProcessor.process now, alternating passes', median(current));
}

// handleBatch observes append_to_publish once per published record.
const registry = new Registry();
const hist = new Histogram({ name: 'h', help: 'h', labelNames: ['product'], buckets: LATENCY_BUCKETS, registers: [registry] });
const child = hist.labels({ product: 'sales.orders-wide' });
row('prom-client Histogram labels(...).observe(v), per record (before)', time((i) => child.observe((i % 100) / 1000)));
const series = new ProductHistogram('h2', 'h2', LATENCY_BUCKETS, [registry]).labels({ product: 'sales.orders-wide' });
row('ProductHistogram series observe(v), per record (now)', time((i) => series.observe((i % 100) / 1000)));

// The kafkajs producer groups every sendBatch by partition before encoding it.
const require = createRequire(import.meta.url);
type Grouper = (a: { topic: string; partitionMetadata: unknown[]; messages: Message[]; partitioner: unknown }) => Record<string, Message[]>;
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Grouper;
const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
const batch: Message[] = Array.from({ length: BATCH }, (_, i) => ({ key: `o-${i}`, value: bodies[i % N]! }));
const linear: Grouper = ({ topic, partitionMetadata: pm, messages, partitioner: p }) => {
  const out: Record<string, Message[]> = {};
  for (const message of messages) {
    const partition = (p as (a: unknown) => number)({ topic, partitionMetadata: pm, message });
    (out[partition] ??= []).push(message);
  }
  return out;
};
const grouped = (g: Grouper) => () => g({ topic: 't', partitionMetadata, messages: batch, partitioner });
row(`kafkajs groupMessagesPerPartition, sendBatch of ${BATCH} to 3 partitions, per message`, time(grouped(groupMessagesPerPartition), 20 * BATCH, 20));
row(`  the same grouping with push instead of [...current, message]`, time(grouped(linear), 20 * BATCH, 20));

if (sink < 0) console.log(sink);
