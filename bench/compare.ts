/**
 * `npm run bench:compare`: dataprod against its ceiling and against the code a user would write by
 * hand, on one broker in one run (the systems: bench/harness/systems.ts).
 *
 *   (a) bench/processes/passthrough.ts  kafkajs consume -> produce of the same bytes, dataprod's I/O shape
 *   (b) dataprod run                    bench/products/orders-wide (the orders-enriched example on ~300-byte orders)
 *   (c) bench/processes/baseline.ts     per-record await decode / transform / encode / send
 *   (k) Kafka's own perf tools          consumer-perf-test + producer-perf-test at once: the limit (bench/harness/kafka-perf.ts)
 *
 * Throughput: one input topic is seeded once with N wide raw orders; every round runs the
 * --systems one after the other, each as its own process with its own consumer group and output
 * topic, reading that same topic from the start. Each drain is timed on the committed offsets
 * (bench/harness/drain.ts) and cut after --cap-seconds (the baseline would otherwise take minutes).
 *
 * Latency: at --loads fractions of (b)'s median drain rate, for each of --latency-systems in turn,
 * a fresh input topic, the system, a sink on its output and an open-loop source at that constant
 * rate (bench/harness/latency.ts).
 *
 *   npm run bench:compare
 *   npm run bench:compare -- --records 1000000 --rounds 3 --cap-seconds 30 --latency-seconds 20
 *   npm run bench:compare -- --systems a,b,c,a1,b1,b0,bx --latency-systems b --loads 0.5
 *   npm run bench:compare -- --systems k,a,b --loads ''                       CPU per event against the limit
 *   BENCH_NODE=/usr/bin/node npm run bench:compare -- --systems b,bn --loads ''  another Node
 *   npm run bench:compare -- --partitions 6 --systems b,b2 --loads ''          scale-out
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when both are set, otherwise starts a stack like the
 * tests do. Linux only (reads /proc). Exits 1 when any run found a problem.
 */
import { parseArgs } from 'node:util';
import { choicesOf, nodeArgsOf, positive, positives } from './harness/args.js';
import { openBench, type Bench } from './harness/context.js';
import { runDrain, type DrainResult } from './harness/drain.js';
import { runKafkaPerfDrain } from './harness/kafka-perf.js';
import { seedTopic } from './harness/kafka.js';
import { runLatency, type LatencyResult } from './harness/latency.js';
import { median } from './harness/machine.js';
import { repoRoot, BENCH_PRODUCT_DIR, uniqueSuffix } from './harness/product.js';
import { drainLine, kafkaDescription, latencyLine, latencyReport, targetsReport, throughputReport } from './harness/report.js';
import { LATENCY_SYSTEM_IDS, SYSTEM_IDS } from './harness/systems.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '3' },
    'cap-seconds': { type: 'string', default: '30' },
    systems: { type: 'string', default: 'a,b,c' },
    loads: { type: 'string', default: '0.5,0.8' },
    'latency-systems': { type: 'string', default: 'a,b,c' },
    'latency-seconds': { type: 'string', default: '20' },
    'latency-warmup-seconds': { type: 'string', default: '3' },
    'latency-rounds': { type: 'string', default: '1' },
    /** Extra node flags for every system's process, space-separated (an experiment, e.g. --max-semi-space-size=32). */
    'node-args': { type: 'string', default: '' },
  },
});
const o = {
  records: positive('records', values.records),
  rounds: positive('rounds', values.rounds),
  partitions: positive('partitions', values.partitions),
  capMs: positive('cap-seconds', values['cap-seconds'], false) * 1000,
  systems: choicesOf('systems', values.systems, SYSTEM_IDS),
  loads: positives('loads', values.loads),
  latencySystems: choicesOf('latency-systems', values['latency-systems'], LATENCY_SYSTEM_IDS),
  latency: {
    seconds: positive('latency-seconds', values['latency-seconds'], false),
    warmupSeconds: positive('latency-warmup-seconds', values['latency-warmup-seconds'], false),
  },
  latencyRounds: positive('latency-rounds', values['latency-rounds']),
  nodeArgs: nodeArgsOf(values['node-args']),
};

const bench = await openBench('dataprod-bench-compare', o);
const { machine } = bench;
console.log(`dataprod comparison benchmark
  machine:    ${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM
  node:       ${process.version}
  kafka:      ${kafkaDescription(bench)}
  throughput: ${o.records} valid wide raw orders in one topic of ${o.partitions} partitions, ${o.rounds} round(s) of ${o.systems.join(', ')}, each drain cut after ${o.capMs / 1000} s
  latency:    open loop at ${o.loads.map((l) => `${l * 100}%`).join(' and ') || 'no'} load of (b)'s median drain rate, ${o.latency.warmupSeconds} s warm-up + ${o.latency.seconds} s measured, systems ${o.latencySystems.join(', ')}, ${o.latencyRounds} round(s)
  product:    ${BENCH_PRODUCT_DIR.slice(repoRoot.length + 1)}${o.nodeArgs.length > 0 ? `\n  node args:  ${o.nodeArgs.join(' ')} (every system)` : ''}
`);

/** What the run has measured so far (reported even when a later step fails). */
interface Results {
  meanValueBytes: number;
  drains: DrainResult[];
  latencies: LatencyResult[];
}

/** Every round of every system on one seeded topic. */
async function throughput(b: Bench, results: Results): Promise<void> {
  const topic = `bench.in.${uniqueSuffix()}`;
  process.stdout.write(`seeding ${o.records} records into ${topic}... `);
  const input = await seedTopic(b, topic, o.records, 4);
  console.log(`${Math.round(input.rate)} records/s, ${input.meanValueBytes.toFixed(0)} bytes per value`);
  results.meanValueBytes = input.meanValueBytes;
  for (let round = 1; round <= o.rounds; round++) {
    for (const system of o.systems) {
      const res =
        system === 'k'
          ? await runKafkaPerfDrain(b, round, topic, { records: o.records, capMs: o.capMs, valueBytes: input.meanValueBytes })
          : await runDrain(b, system, round, topic, { records: o.records, capMs: o.capMs });
      results.drains.push(res);
      console.log(drainLine(res));
    }
  }
  await input.drop();
}

/** Every load of every latency system, at fractions of (b)'s median drain rate. */
async function latency(b: Bench, results: Results): Promise<void> {
  const bRate = median(results.drains.filter((d) => d.system === 'b').map((d) => d.m.rate));
  if (o.loads.length > 0 && !Number.isFinite(bRate))
    throw new Error('no drain rate for (b): cannot set the latency loads (include b in --systems)');
  for (let round = 1; round <= o.latencyRounds; round++) {
    for (const load of o.loads) {
      const rate = Math.round(load * bRate);
      for (const system of o.latencySystems) {
        const res = await runLatency(b, system, load, rate, round, o.latency);
        results.latencies.push(res);
        console.log(latencyLine(res));
      }
    }
  }
}

const results: Results = { meanValueBytes: Number.NaN, drains: [], latencies: [] };
let failed = false;
try {
  await throughput(bench, results);
  await latency(bench, results);
} catch (err) {
  failed = true;
  console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await bench.close();
}

const { drains, latencies, meanValueBytes } = results;
if (drains.length > 0) console.log(throughputReport(drains, { ...o, meanValueBytes }));
if (latencies.length > 0) console.log(latencyReport(latencies, { ...o.latency, rounds: o.latencyRounds }));
if (drains.length > 0) console.log(targetsReport(bench, drains, latencies));
failed ||= [...drains, ...latencies].some((r) => r.problems.length > 0);
process.exit(failed ? 1 : 0);
