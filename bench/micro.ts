/**
 * `npm run bench:micro`: what one record costs on dataprod's hot path, stage by stage, on one
 * thread with no Kafka and no I/O: the bench product's processor (decode -> contract -> quality ->
 * transform -> output validation -> encode -> frame), the per-record metrics call of handleBatch,
 * and the kafkajs producer's grouping of a sendBatch by partition. Nanoseconds per record, median
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
import { loadProduct } from '../src/config/descriptor.js';
import { SchemaCache, StaticSchemaSource } from '../src/contracts/schema-cache.js';
import { frame, parseFrame } from '../src/contracts/wire.js';
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
const events = records.map((r) => resolution.read(parseFrame(r.value).ok ? (parseFrame(r.value) as { body: Buffer }).body : Buffer.alloc(0)));
const ctx = (r: SourceRecord): TransformContext => ({ port: port.name, key: null, headers: {}, topic: r.topic, partition: r.partition, offset: r.offset, timestamp: Number(r.timestamp) });
const outputs = events.map((e, i) => transform.fn(e, ctx(records[i]!)));
const outputType = avsc.Type.forSchema(descriptor.outputPorts[0]!.schema as avsc.Schema);
const bodies = outputs.map((o) => outputType.toBuffer(o));
const checks = [...port.contract.constraints.map(compileRule), ...descriptor.quality.map((q) => compileRule(q))];

for (let i = 0; i < N; i++) {
  const outcome = processor.process(records[i]!);
  if (outcome.kind !== 'publish') throw new Error(`record ${i}: ${outcome.kind}, expected publish`);
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

row('ProductProcessor.process, all stages (src/pipeline/processor.ts:116)', time((i) => processor.process(records[i]!)));
row('  parseFrame + resolver read (decode)', time((i) => resolution.read((parseFrame(records[i]!.value) as { body: Buffer }).body)));
row('  contract + quality checks', time((i) => checks.every((c) => c.passes(events[i]))));
row('  new RecordContext-like object + transform.fn', time((i) => transform.fn(events[i], ctx(records[i]!))));
row('  outputType.isValid(out, { errorHook }) (processor.ts:180)', time((i) => outputType.isValid(outputs[i], { errorHook: () => undefined })));
row('  outputType.isValid(out) without a hook', time((i) => outputType.isValid(outputs[i])));
row('  outputType.toBuffer(out)', time((i) => outputType.toBuffer(outputs[i])));
row('  frame(id, body): allocate + copy (processor.ts:191)', time((i) => frame(OUT_ID, bodies[i]!)));

// Proposed changes, measured here on bench-only copies (src/ is not changed by the benchmark).
const reader = schemas.reader(port.name);
const writer = avsc.Type.forSchema(benchSchema('raw-order.avsc') as avsc.Schema);
const resolver = reader.createResolver(writer);
row('  proposed decode: reader.decode(value, 5, resolver), no subarray', time((i) => reader.decode(records[i]!.value!, 5, resolver).value));
row('  (for reference) writer.fromBuffer(body) without a resolver', time((i) => writer.fromBuffer((parseFrame(records[i]!.value) as { body: Buffer }).body)));

/**
 * Outputs of one batch encoded back to back into one buffer, each framed in place: no zero-filled
 * allocation and copy in toBuffer, no second allocation and copy in frame(). The subarrays stay
 * valid until the batch's sendBatch has copied them into its request.
 */
class Arena {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  reset(): void {
    this.pos = 0;
  }
  put(type: avsc.Type, schemaId: number, value: unknown): Buffer {
    for (;;) {
      const start = this.pos;
      if (this.buf.length - start > 5) {
        this.buf[start] = 0;
        this.buf.writeUInt32BE(schemaId, start + 1);
        const end = type.encode(value, this.buf, start + 5);
        if (end > 0) {
          this.pos = end;
          return this.buf.subarray(start, end);
        }
      }
      this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      this.pos = 0;
    }
  }
}
const arena = new Arena();
row('  proposed encode: type.encode into a per-batch arena, framed in place, no isValid first', time((i) => {
  if (i % BATCH === 0) arena.reset();
  return arena.put(outputType, OUT_ID, outputs[i]);
}));

class Ctx implements TransformContext {
  constructor(
    readonly port: string,
    private readonly record: SourceRecord,
  ) {}
  get key(): string | null {
    return this.record.key === null ? null : this.record.key.toString('utf8');
  }
  get headers(): Readonly<Record<string, string>> {
    return {};
  }
  get topic(): string {
    return this.record.topic;
  }
  get partition(): number {
    return this.record.partition;
  }
  get offset(): string {
    return this.record.offset;
  }
  get timestamp(): number {
    return Number(this.record.timestamp);
  }
}
const contract = port.contract.constraints.map(compileRule);
const quality = descriptor.quality.map((q) => ({ check: compileRule(q), onFailure: q.onFailure }));
const keyField = descriptor.outputPorts[0]!.key!;
const NO_WARNINGS: string[] = [];
/** processor.process with the proposed decode and encode; same outcomes on this input (checked below). */
function proposedProcess(record: SourceRecord): { kind: string; outputs?: { key: string | null; value: Buffer }[] } {
  const v = record.value;
  if (v === null || v.length < 5 || v[0] !== 0) return { kind: 'dead-letter' };
  const r = schemas.resolve(port.name, v.readUInt32BE(1));
  if (r?.kind !== 'ready') return { kind: 'dead-letter' };
  const decoded = reader.decode(v, 5, resolver);
  if (decoded.offset !== v.length) return { kind: 'dead-letter' };
  const event: unknown = decoded.value;
  for (const c of contract) if (!c.passes(event)) return { kind: 'dead-letter' };
  for (const { check, onFailure } of quality) if (!check.passes(event) && onFailure !== 'warn') return { kind: onFailure === 'dlq' ? 'dead-letter' : 'filtered' };
  let out: unknown;
  try {
    out = transform.fn(event, new Ctx(port.name, record));
  } catch {
    return { kind: 'dead-letter' };
  }
  if (out === null) return { kind: 'filtered' };
  let value: Buffer;
  try {
    value = arena.put(outputType, OUT_ID, out);
  } catch {
    // Only now find the path, for the dead-letter header.
    outputType.isValid(out, { errorHook: () => undefined });
    return { kind: 'dead-letter' };
  }
  const key = (out as Record<string, unknown>)[keyField];
  return { kind: 'publish', outputs: [{ key: key === null || key === undefined ? null : String(key), value }], warnings: NO_WARNINGS } as never;
}
for (let i = 0; i < N; i++) {
  if (i % BATCH === 0) arena.reset();
  const a = processor.process(records[i]!);
  const b = proposedProcess(records[i]!);
  if (a.kind !== 'publish' || b.kind !== 'publish' || !a.outputs[0]!.value.equals(b.outputs![0]!.value) || a.outputs[0]!.key !== b.outputs![0]!.key) {
    throw new Error(`record ${i}: the proposed path disagrees with ProductProcessor.process`);
  }
}
{
  // The headline pair, timed in alternating passes so that both see the same GC and JIT state.
  const current = [] as number[];
  const proposed = [] as number[];
  const pass = (fn: (i: number) => unknown) => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) if (fn(i)) sink++;
    return ((performance.now() - t0) * 1e6) / N;
  };
  const cur = (i: number) => processor.process(records[i]!);
  const prop = (i: number) => {
    if (i % BATCH === 0) arena.reset();
    return proposedProcess(records[i]!);
  };
  pass(cur);
  pass(prop);
  for (let k = 0; k < 2 * REPEATS + 1; k++) {
    current.push(pass(cur));
    proposed.push(pass(prop));
  }
  row('ProductProcessor.process as is, alternating passes', median(current));
  row('proposed ProductProcessor.process with both (same bytes out, checked), alternating passes', median(proposed));
}

// handleBatch observes appendToPublish once per published record (product-worker.ts:335).
const registry = new Registry();
const hist = new Histogram({ name: 'h', help: 'h', labelNames: ['product'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] });
const child = hist.labels({ product: 'sales.orders-wide' });
row('prom-client Histogram labels(...).observe(v), per record (product-worker.ts:335)', time((i) => child.observe((i % 100) / 1000)));

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
