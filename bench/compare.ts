/**
 * `npm run bench:compare`: dataprod against its ceiling and against the code a user would write by
 * hand, on one broker in one run.
 *
 *   (a) bench/passthrough.ts  kafkajs consume -> produce of the same bytes, dataprod's I/O shape
 *   (b) dataprod run          bench/products/orders-wide (the orders-enriched example on ~300-byte orders)
 *   (c) bench/baseline.ts     per-record await decode / transform / encode / send
 *
 * Throughput: one input topic is seeded once with N wide raw orders; every round runs (a), (b),
 * (c) one after the other, each as its own process with its own consumer group and output topic,
 * reading that same topic from the start. Each drain is timed like `npm run bench` (committed
 * offsets polled every 200 ms) and cut after --cap-seconds (the baseline would otherwise take
 * minutes); a cut drain is measured up to the last poll that saw the count grow.
 *
 * Latency: at --loads fractions of (b)'s median drain rate, for each system in turn, a fresh input
 * topic, the system, a sink consumer on its output and an open-loop source at that constant rate
 * (bench/open-loop.ts); latency = sink receive time - created_at stamped by the source.
 *
 *   npm run bench:compare
 *   npm run bench:compare -- --records 1000000 --rounds 3 --cap-seconds 30 --latency-seconds 20
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when both are set, otherwise starts a stack like the
 * tests do. Linux only (reads /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { RegistryClient } from '../src/contracts/registry-client.js';
import { APICURIO_VERSION, KAFKA_VERSION, startStack, type Stack } from '../src/devstack/index.js';
import { BENCH_PRODUCT_DIR, encoder } from './events.js';
import {
  backgroundCores,
  machineDescription,
  machineJiffies,
  median,
  mainThreadCpuSeconds,
  processCpuSeconds,
  processPeakRssMiB,
  processRssMiB,
  quantile,
  repoRoot,
  uniqueSuffix,
} from './support.js';
import {
  deleteSubject,
  deploy,
  drainMetrics,
  exited,
  kill,
  seedTopic,
  start,
  stop,
  SYSTEM_IDS,
  SYSTEM_LABELS,
  teardown,
  topicEnd,
  watchDrain,
  type BenchContext,
  type Deployment,
  type DrainMetrics,
  type Running,
  kindOf,
  type SystemId,
} from './systems.js';

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
const positive = (flag: string, raw: string, integer = true): number => {
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${flag} ${raw}: must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
};
const systemsOf = (flag: string, raw: string): SystemId[] => {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) if (!SYSTEM_IDS.includes(s as SystemId)) throw new Error(`--${flag}: ${s} is not one of ${SYSTEM_IDS.join(', ')}`);
  return SYSTEM_IDS.filter((s) => list.includes(s));
};
const RECORDS = positive('records', values.records);
const ROUNDS = positive('rounds', values.rounds);
const PARTITIONS = positive('partitions', values.partitions);
const CAP_MS = positive('cap-seconds', values['cap-seconds'], false) * 1000;
const SYSTEMS = systemsOf('systems', values.systems);
const LOADS = values.loads.trim() === '' ? [] : values.loads.split(',').map((l) => positive('loads', l.trim(), false));
const LATENCY_SYSTEMS = systemsOf('latency-systems', values['latency-systems']);
const LATENCY_SECONDS = positive('latency-seconds', values['latency-seconds'], false);
const WARMUP_SECONDS = positive('latency-warmup-seconds', values['latency-warmup-seconds'], false);
const LATENCY_ROUNDS = positive('latency-rounds', values['latency-rounds']);
const NODE_ARGS = values['node-args'].split(' ').filter(Boolean);
const POLL_MS = 200;
const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const FIRST_COMMIT_TIMEOUT_MS = 120_000;
/** Records the latency run sends before the source starts, to see the system is up and has joined. */
const PROBE_RECORDS = 1_000;
/** How long after the source stops the sink may still receive what was sent. */
const LATENCY_GRACE_MS = 10_000;

const machine = machineDescription();
const stack: Stack = await startStack();
const kafka = new Kafka({ clientId: 'dataprod-bench-compare', brokers: stack.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const registry = new RegistryClient({ url: stack.schemaRegistryUrl });
const ctx: BenchContext = { stack, admin, partitions: PARTITIONS };

const kafkaKind = stack.kind === 'local' ? `local (Apache Kafka ${KAFKA_VERSION} KRaft single node, Apicurio Registry ${APICURIO_VERSION}, JVMs on this machine)` : stack.kind;
console.log(`dataprod comparison benchmark
  machine:    ${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM
  node:       ${process.version}
  kafka:      ${kafkaKind}
  throughput: ${RECORDS} valid wide raw orders in one topic of ${PARTITIONS} partitions, ${ROUNDS} round(s) of ${SYSTEMS.join(', ')}, each drain cut after ${CAP_MS / 1000} s
  latency:    open loop at ${LOADS.map((l) => `${l * 100}%`).join(' and ') || 'no'} load of (b)'s median drain rate, ${WARMUP_SECONDS} s warm-up + ${LATENCY_SECONDS} s measured, systems ${LATENCY_SYSTEMS.join(', ')}, ${LATENCY_ROUNDS} round(s)
  product:    ${BENCH_PRODUCT_DIR.slice(repoRoot.length + 1)}${NODE_ARGS.length > 0 ? `
  node args:  ${NODE_ARGS.join(' ')} (every system)` : ''}
`);

// What is live right now, for cleanup on failure or SIGINT.
const live = { deployments: new Set<Deployment>(), processes: new Set<ChildProcess>(), topics: new Set<string>(), groups: new Set<string>(), files: new Set<string>() };
let cleaningUp: Promise<void> | undefined;
async function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const child of live.processes) {
      if (!exited(child)) {
        const done = once(child, 'exit');
        child.kill('SIGKILL');
        await done;
      }
    }
    for (const d of live.deployments) await teardown(d, ctx);
    if (live.topics.size > 0) await admin.deleteTopics({ topics: [...live.topics], timeout: 30_000 }).catch(() => undefined);
    for (const topic of live.topics) await deleteSubject(stack.schemaRegistryUrl, `${topic}-value`);
    if (live.groups.size > 0) await admin.deleteGroups([...live.groups]).catch(() => undefined);
    for (const file of live.files) rmSync(file, { force: true });
    await admin.disconnect().catch(() => undefined);
    await stack.stop();
  })();
  return cleaningUp;
}
process.once('SIGINT', () => {
  console.error('\nSIGINT: cleaning up...');
  void cleanup().finally(() => process.exit(130));
});

function track(r: Running): Running {
  live.processes.add(r.child);
  r.child.once('exit', () => live.processes.delete(r.child));
  return r;
}

async function dropTopic(topic: string): Promise<void> {
  await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => undefined);
  await deleteSubject(stack.schemaRegistryUrl, `${topic}-value`);
  live.topics.delete(topic);
}

// ---------------------------------------------------------------------------------------------
// Throughput

interface DrainResult {
  system: SystemId;
  round: number;
  m: DrainMetrics;
  complete: boolean;
  backgroundCores: number;
  peakRssMiB: number;
  rssMiB: number;
  exitCode: number | null;
  outputs: number;
  committed: number;
  deadLetters: number;
  problems: string[];
}

async function drainOnce(system: SystemId, round: number, inputTopic: string): Promise<DrainResult> {
  const background = await backgroundCores();
  const d = await deploy(system, ctx, inputTopic);
  live.deployments.add(d);
  const r = track(start(d, ctx, { nodeArgs: NODE_ARGS }));
  let drain;
  try {
    drain = await watchDrain(r, admin, { target: RECORDS, capMs: CAP_MS, firstCommitTimeoutMs: FIRST_COMMIT_TIMEOUT_MS, pollMs: POLL_MS });
  } catch (err) {
    await kill(r);
    throw err;
  }
  const stopped = await stop(r);
  const outputs = await topicEnd(admin, d.outputTopic);
  const deadLetters = d.dlqTopic ? await topicEnd(admin, d.dlqTopic) : 0;
  await teardown(d, ctx);
  live.deployments.delete(d);

  const m = drainMetrics(drain, r.spawnedAt, machine.cores);
  const committed = drain.last.committed;
  const problems: string[] = [];
  if (stopped.exitCode !== 0) problems.push(`exit code ${stopped.exitCode} after SIGTERM:\n${r.log()}`);
  // (a) and (b) write exactly one record per input; (c) may have written more than was committed
  // when it was stopped (it keeps going after the last poll) but never fewer.
  // (bx)'s end offsets also hold one transaction marker per batch and partition written: at least one record per input.
  const exact = kindOf(system) !== 'c' && system !== 'bx';
  if (drain.complete ? (exact ? outputs !== RECORDS : kindOf(system) !== 'c' && outputs < RECORDS) : outputs < committed) problems.push(`${outputs} output offsets for ${committed} committed inputs`);
  if (drain.complete && kindOf(system) === 'c' && outputs < RECORDS) problems.push(`${outputs} output records for ${RECORDS} inputs`);
  if (deadLetters !== 0) problems.push(`${deadLetters} dead letters`);
  if (system === 'c' && stopped.report && Number(stopped.report.failed) !== 0) problems.push(`${String(stopped.report.failed)} records failed`);
  return { system, round, m, complete: drain.complete, backgroundCores: background, peakRssMiB: drain.peakRssMiB, rssMiB: drain.rssMiB, exitCode: stopped.exitCode, outputs, committed, deadLetters, problems };
}

// ---------------------------------------------------------------------------------------------
// Latency

interface LatencyResult {
  system: SystemId;
  load: number;
  round: number;
  offeredRate: number;
  achievedRate: number;
  sourceLagP99Ms: number;
  expected: number;
  delivered: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  workerCores: number;
  mainThreadCores: number;
  machineCores: number;
  peakRssMiB: number;
  rssMiB: number;
  backgroundCores: number;
  problems: string[];
  /** Caveats that do not fail the run (the source could not hold its rate). */
  notes: string[];
}

interface Probe {
  child: ChildProcess;
  /** stdout and the tail of stderr, for error messages. */
  out: () => string;
  /** The last JSON line on stdout. */
  report: () => Record<string, unknown> | undefined;
  lines: (fn: (line: string) => void) => void;
}

function spawnProbe(args: string[]): Probe {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'open-loop.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.processes.add(child);
  child.once('exit', () => live.processes.delete(child));
  let out = '';
  let err = '';
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) for (const l of listeners) l(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  const report = () => {
    const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
    return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  };
  return { child, out: () => `${out}${err}`, report, lines: (fn) => listeners.push(fn) };
}

/** The exit code once the process has exited; SIGKILL (and a thrown error) after timeoutMs. */
async function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (!exited(child)) {
    const done = once(child, 'exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await done;
    clearTimeout(timer);
    if (child.signalCode === 'SIGKILL') throw new Error(`a probe process did not exit within ${timeoutMs} ms`);
  }
  return child.exitCode;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function latencyOnce(system: SystemId, load: number, rate: number, round: number): Promise<LatencyResult> {
  const background = await backgroundCores();
  const suffix = uniqueSuffix();
  const inputTopic = `bench.lat.${suffix}`;
  live.topics.add(inputTopic);
  const { schemaId } = await seedTopic(kafka, admin, registry, inputTopic, PARTITIONS, 0);
  const d = await deploy(system, ctx, inputTopic);
  live.deployments.add(d);
  const sinkGroup = `bench.sink.${suffix}`;
  live.groups.add(sinkGroup);
  mkdirSync(join(repoRoot, '.cache', 'bench-latency'), { recursive: true });
  const file = join(repoRoot, '.cache', 'bench-latency', `${suffix}.f64`);
  live.files.add(file);
  const problems: string[] = [];
  const notes: string[] = [];

  const sink = spawnProbe(['--role', 'sink', '--brokers', stack.brokers.join(','), '--topic', d.outputTopic, '--group', sinkGroup, '--schema', d.outputSchemaFile, '--file', file]);
  let sinkReady = false;
  sink.lines((line) => {
    if (line === 'ready') sinkReady = true;
  });
  const r = track(start(d, ctx, { nodeArgs: NODE_ARGS }));
  let result: LatencyResult;
  try {
    await waitFor('the sink to join its group', 60_000, () => {
      if (exited(sink.child)) throw new Error(`the sink exited:\n${sink.out()}`);
      return sinkReady;
    });
    // The system is up, has joined its group and has the schemas once a probe has gone through.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const encode = encoder(schemaId);
    const now = Date.now();
    await producer.send({
      topic: inputTopic,
      acks: -1,
      messages: Array.from({ length: PROBE_RECORDS }, (_, seq) => ({ key: `o-${seq}`, value: encode(seq, now), partition: seq % PARTITIONS })),
    });
    await producer.disconnect();
    await waitFor(`${SYSTEM_LABELS[system]} to pass ${PROBE_RECORDS} probe records`, FIRST_COMMIT_TIMEOUT_MS, async () => {
      if (exited(r.child)) throw new Error(`${SYSTEM_LABELS[system]} exited:\n${r.log()}`);
      return (await topicEnd(admin, d.outputTopic)) >= PROBE_RECORDS;
    });

    const total = WARMUP_SECONDS + LATENCY_SECONDS;
    const source = spawnProbe([
      '--role', 'source', '--brokers', stack.brokers.join(','), '--topic', inputTopic, '--schema-id', String(schemaId),
      '--rate', String(rate), '--seconds', String(total), '--partitions', String(PARTITIONS), '--warmup-seconds', String(WARMUP_SECONDS),
    ]);
    let sourceStarted = false;
    source.lines((line) => {
      if (line === 'started') sourceStarted = true;
    });
    await waitFor('the source to start', 60_000, () => {
      if (exited(source.child)) throw new Error(`the source exited:\n${source.out()}`);
      return sourceStarted;
    });
    // Worker and machine CPU over the measured part of the source's run (after the warm-up).
    await new Promise((res) => setTimeout(res, WARMUP_SECONDS * 1000));
    const cpu0 = processCpuSeconds(r.pid);
    const main0 = mainThreadCpuSeconds(r.pid);
    const j0 = machineJiffies();
    const t0 = performance.now();
    const sourceCode = await exitOf(source.child, (total + 60) * 1000);
    const cpu1 = processCpuSeconds(r.pid);
    const main1 = mainThreadCpuSeconds(r.pid);
    const j1 = machineJiffies();
    const t1 = performance.now();
    const src = source.report();
    if (sourceCode !== 0 || !src) throw new Error(`the source failed (exit ${sourceCode}):\n${source.out()}`);
    const sent = Number(src.sent);
    // Not failures of the benchmark but caveats on the row: the load offered to the system was
    // lower than planned (seen when the baseline's one-record requests swamp the broker).
    if (Number(src.failures) > 0 || Number(src.unacknowledged) > 0) {
      notes.push(`source: ${String(src.failures)} records failed (${String(src.firstError)}), ${String(src.unacknowledged)} sends unacknowledged`);
    }
    if (Number(src.achievedRate) < 0.97 * rate) notes.push(`source: sent ${Number(src.achievedRate).toFixed(0)}/s of ${rate}/s (${String(src.sent)} of ${String(src.total)} records)`);
    const graceUntil = performance.now() + LATENCY_GRACE_MS;
    while (performance.now() < graceUntil && (await topicEnd(admin, d.outputTopic)) < PROBE_RECORDS + sent) {
      await new Promise((res) => setTimeout(res, 200));
    }
    const peakRssMiB = processPeakRssMiB(r.pid);
    const rssMiB = processRssMiB(r.pid);
    sink.child.kill('SIGTERM');
    await exitOf(sink.child, 30_000);
    const sinkReport = sink.report();
    if (!sinkReport) throw new Error(`the sink printed no report:\n${sink.out()}`);
    if (Number(sinkReport.unreadable) > 0 || Number(sinkReport.mismatched) > 0) problems.push(`sink: ${JSON.stringify(sinkReport)}`);
    const stopped = await stop(r);
    if (stopped.exitCode !== 0) problems.push(`exit code ${stopped.exitCode} after SIGTERM:\n${r.log()}`);

    // Only records created in the measured window (after the warm-up) count.
    const raw = readFileSync(file);
    const pairs = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
    const from = Number(src.startMs) + WARMUP_SECONDS * 1000;
    const latencies: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i]! >= from) latencies.push(pairs[i + 1]! - pairs[i]!);
    latencies.sort((a, b) => a - b);
    const expected = Number(src.measured);
    result = {
      system,
      load,
      round,
      offeredRate: rate,
      achievedRate: Number(src.achievedRate),
      sourceLagP99Ms: Number(src.lagP99Ms),
      expected,
      delivered: latencies.length,
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      p999: quantile(latencies, 0.999),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      workerCores: (cpu1 - cpu0) / ((t1 - t0) / 1000),
      mainThreadCores: (main1 - main0) / ((t1 - t0) / 1000),
      machineCores: ((j1.busy - j0.busy) / Math.max(1, j1.total - j0.total)) * machine.cores,
      peakRssMiB,
      rssMiB,
      backgroundCores: background,
      problems,
      notes,
    };
  } finally {
    await kill(r);
    if (!exited(sink.child)) sink.child.kill('SIGKILL');
    await teardown(d, ctx, [sinkGroup]);
    live.deployments.delete(d);
    live.groups.delete(sinkGroup);
    await dropTopic(inputTopic);
    rmSync(file, { force: true });
    live.files.delete(file);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Run

const drains: DrainResult[] = [];
const latencies: LatencyResult[] = [];
let failed = false;
let seeded: { rate: number; meanValueBytes: number } | undefined;
try {
  await admin.connect();
  const inputTopic = `bench.in.${uniqueSuffix()}`;
  live.topics.add(inputTopic);
  process.stdout.write(`seeding ${RECORDS} records into ${inputTopic}... `);
  seeded = await seedTopic(kafka, admin, registry, inputTopic, PARTITIONS, RECORDS, 4);
  console.log(`${Math.round(seeded.rate)} records/s, ${seeded.meanValueBytes.toFixed(0)} bytes per value`);

  for (let round = 1; round <= ROUNDS; round++) {
    for (const system of SYSTEMS) {
      const res = await drainOnce(system, round, inputTopic);
      drains.push(res);
      if (res.problems.length > 0) failed = true;
      if (res.backgroundCores > 0.3) console.log(`WARNING: ${res.backgroundCores.toFixed(2)} cores were busy before ${SYSTEM_LABELS[system]} started: something else shares this machine, this run is not clean`);
      console.log(
        `round ${round} ${SYSTEM_LABELS[system]}: ${res.m.rate.toFixed(0)} events/s over ${res.m.drained} records in ${res.m.drainSeconds.toFixed(1)} s${res.complete ? '' : ' (cut)'}, ` +
          `${res.m.drainCpuPerMillion.toFixed(1)} drain CPU s / M, ${res.m.workerCores.toFixed(2)} cores, peak RSS ${res.peakRssMiB.toFixed(0)} MiB` +
          `${res.problems.length > 0 ? `; PROBLEMS: ${res.problems.join('; ')}` : '; checks ok'}`,
      );
    }
  }
  await dropTopic(inputTopic);

  const bRate = median(drains.filter((d) => d.system === 'b').map((d) => d.m.rate));
  if (LOADS.length > 0 && !Number.isFinite(bRate)) throw new Error('no drain rate for (b): cannot set the latency loads (include b in --systems)');
  for (let round = 1; round <= LATENCY_ROUNDS; round++) {
    for (const load of LOADS) {
      const rate = Math.round(load * bRate);
      for (const system of LATENCY_SYSTEMS) {
        const res = await latencyOnce(system, load, rate, round);
        latencies.push(res);
        if (res.problems.length > 0) failed = true;
        if (res.backgroundCores > 0.3) console.log(`WARNING: ${res.backgroundCores.toFixed(2)} cores were busy before the latency run of ${SYSTEM_LABELS[system]}: this run is not clean`);
        console.log(
          `latency ${load * 100}% (${rate}/s) ${SYSTEM_LABELS[system]}: p50 ${f(res.p50)} ms, p99 ${f(res.p99)} ms, max ${f(res.max)} ms, ` +
            `${res.delivered}/${res.expected} delivered, ${res.workerCores.toFixed(2)} worker cores${res.notes.length > 0 ? `; NOTE: ${res.notes.join('; ')}` : ''}${res.problems.length > 0 ? `; PROBLEMS: ${res.problems.join('; ')}` : ''}`,
        );
      }
    }
  }
} catch (err) {
  failed = true;
  console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}

// ---------------------------------------------------------------------------------------------
// Report

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
const MB = (mib: number) => (mib * 1024 * 1024) / 1e6;

if (drains.length > 0) {
  const head = ['', 'events/s', 'drained', 'drain s', '1st commit s', 'CPU s/M', 'drain CPU s/M', 'worker cores', 'main thr cores', 'machine cores', 'bg cores', 'peak RSS MiB', 'RSS MiB'];
  const cells = (label: string, r: Pick<DrainResult, 'm' | 'backgroundCores' | 'peakRssMiB' | 'rssMiB'>, cut = false) => [
    label,
    f(r.m.rate) + (cut ? '*' : ''),
    f(r.m.drained),
    f(r.m.drainSeconds, 1),
    f(r.m.firstCommitSeconds, 1),
    f(r.m.cpuPerMillion, 1),
    f(r.m.drainCpuPerMillion, 1),
    f(r.m.workerCores, 2),
    f(r.m.mainThreadCores, 2),
    f(r.m.machineCores, 2),
    f(r.backgroundCores, 2),
    f(r.peakRssMiB),
    f(r.rssMiB),
  ];
  const med = (rs: DrainResult[]) => {
    const p = (fn: (r: DrainResult) => number) => median(rs.map(fn));
    return {
      m: {
        rate: p((r) => r.m.rate),
        drained: p((r) => r.m.drained),
        drainSeconds: p((r) => r.m.drainSeconds),
        firstCommitSeconds: p((r) => r.m.firstCommitSeconds),
        cpuPerMillion: p((r) => r.m.cpuPerMillion),
        drainCpuPerMillion: p((r) => r.m.drainCpuPerMillion),
        workerCores: p((r) => r.m.workerCores),
        mainThreadCores: p((r) => r.m.mainThreadCores),
        machineCores: p((r) => r.m.machineCores),
      },
      backgroundCores: p((r) => r.backgroundCores),
      peakRssMiB: p((r) => r.peakRssMiB),
      rssMiB: p((r) => r.rssMiB),
    };
  };
  const rows: string[][] = [];
  for (const r of drains) rows.push(cells(`round ${r.round} ${r.system}`, r, !r.complete));
  const medians = new Map<SystemId, ReturnType<typeof med>>();
  for (const s of SYSTEMS) {
    const rs = drains.filter((r) => r.system === s);
    if (rs.length === 0) continue;
    medians.set(s, med(rs));
    rows.push(cells(`median ${s}`, medians.get(s)!));
  }
  console.log(`
throughput (${RECORDS} records of ${f(seeded?.meanValueBytes ?? Number.NaN)} bytes, ${PARTITIONS} partitions; drain = from the first poll that saw a commit to the
poll that saw all committed (* = cut after ${CAP_MS / 1000} s: to the last poll that saw the count grow), polled every ${POLL_MS} ms; CPU s/M =
whole-life CPU per million committed; drain CPU s/M, worker / main thread / machine cores = during the drain; bg cores = machine
busy in the 1 s before the system started; RSS MiB = VmRSS at the end of the drain)
${table(head, rows)}
systems: ${SYSTEMS.map((s) => SYSTEM_LABELS[s]).join(', ')}`);

  const a = medians.get('a');
  const b = medians.get('b');
  const c = medians.get('c');
  const perRound = (x: SystemId, y: SystemId) =>
    Array.from({ length: ROUNDS }, (_, i) => {
      const rx = drains.find((r) => r.system === x && r.round === i + 1);
      const ry = drains.find((r) => r.system === y && r.round === i + 1);
      return rx && ry ? f(rx.m.rate / ry.m.rate, 2) : '-';
    }).join(', ');
  if (b && a) console.log(`(b)/(a) = ${f(b.m.rate / a.m.rate, 3)} (medians; per round ${perRound('b', 'a')}); CPU per event (b)/(a) = ${f(b.m.drainCpuPerMillion / a.m.drainCpuPerMillion, 2)}`);
  if (b && c) console.log(`(b)/(c) = ${f(b.m.rate / c.m.rate, 2)} (medians; per round ${perRound('b', 'c')}); CPU per event (c)/(b) = ${f(c.m.drainCpuPerMillion / b.m.drainCpuPerMillion, 2)}`);
  // The variants, each against what it varies, and the previous shape's own ratio.
  for (const [x, y] of [['b1', 'a1'], ['b', 'b1'], ['b', 'b0'], ['b1', 'b0'], ['a', 'a1']] as [SystemId, SystemId][]) {
    const mx = medians.get(x);
    const my = medians.get(y);
    if (mx && my) console.log(`(${x})/(${y}) = ${f(mx.m.rate / my.m.rate, 3)} (medians; per round ${perRound(x, y)}); CPU per event (${x})/(${y}) = ${f(mx.m.drainCpuPerMillion / my.m.drainCpuPerMillion, 2)}`);
  }
}

if (latencies.length > 0) {
  const head = ['', 'offered/s', 'source/s', 'src lag p99 ms', 'delivered', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'worker cores', 'main thr cores', 'machine cores', 'bg cores', 'peak RSS MiB', 'RSS MiB'];
  const rows = latencies.map((r) => [
    `${r.load * 100}% ${r.system}${LATENCY_ROUNDS > 1 ? ` r${r.round}` : ''}`,
    f(r.offeredRate),
    f(r.achievedRate) + (r.achievedRate < 0.97 * r.offeredRate ? ' BEHIND' : '') + (r.notes.some((n) => n.includes('failed')) ? ' FAILED' : ''),
    f(r.sourceLagP99Ms, 1),
    `${r.delivered}/${r.expected}${r.delivered < 0.99 * r.expected ? ' SATURATED' : ''}`,
    f(r.p50),
    f(r.p90),
    f(r.p99),
    f(r.p999),
    f(r.max),
    f(r.workerCores, 2),
    f(r.mainThreadCores, 2),
    f(r.machineCores, 2),
    f(r.backgroundCores, 2),
    f(r.peakRssMiB),
    f(r.rssMiB),
  ]);
  console.log(`
latency (open loop: a source process sends at a constant rate for ${WARMUP_SECONDS} s warm-up + ${LATENCY_SECONDS} s; latency = sink receive time - created_at
stamped by the source, records created after the warm-up only; delivered = of those, received within ${LATENCY_GRACE_MS / 1000} s after the source stopped;
source/s BEHIND = the source could not hold the offered rate (it stops at the end of its schedule), FAILED = some of its sends failed;
worker / main thread / machine cores over the measured ${LATENCY_SECONDS} s; the source and the sink run on the same machine)
${table(head, rows)}`);
}

if (drains.length > 0) {
  const rate = (s: SystemId) => median(drains.filter((r) => r.system === s).map((r) => r.m.rate));
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');
  const has = (s: SystemId) => drains.some((r) => r.system === s);
  const bRuns = drains.filter((r) => r.system === 'b');
  const bPeak = Math.max(...bRuns.map((r) => r.peakRssMiB), ...latencies.filter((r) => r.system === 'b').map((r) => r.peakRssMiB));
  const bSteady = Math.max(...bRuns.map((r) => r.rssMiB), ...latencies.filter((r) => r.system === 'b').map((r) => r.rssMiB));
  const half = latencies.filter((r) => r.system === 'b' && r.load === 0.5);
  const p99Half = half.length > 0 ? median(half.map((r) => r.p99)) : Number.NaN;
  console.log(`
targets (issue 6)
  (b)/(a) >= 0.85          ${verdict(has('a') && has('b') ? rate('b') / rate('a') >= 0.85 : undefined)}: ${f(rate('b') / rate('a'), 3)}
  (b)/(c) >= 2             ${verdict(has('b') && has('c') ? rate('b') / rate('c') >= 2 : undefined)}: ${f(rate('b') / rate('c'), 2)}
  (b) >= 50000 events/s    ${verdict(has('b') ? rate('b') >= 50_000 : undefined)}: ${f(rate('b'))}
  p99 < 50 ms at 50% load  ${verdict(half.length > 0 ? p99Half < 50 : undefined)}: ${f(p99Half)} ms
  RSS < 300 MB             ${verdict(bRuns.length > 0 ? MB(bPeak) < 300 : undefined)}: peak (VmHWM) ${f(MB(bPeak))} MB = ${f(bPeak)} MiB, steady (VmRSS at the end) ${f(MB(bSteady))} MB, highest over (b)'s runs
machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB; node ${process.version}; kafka ${stack.kind}; background cores: max ${f(Math.max(...drains.map((r) => r.backgroundCores), ...latencies.map((r) => r.backgroundCores)), 2)} over all runs`);
}
process.exit(failed ? 1 : 0);
