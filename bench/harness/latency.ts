/**
 * Latency: one system at a constant offered rate. A fresh input topic, the system, a sink
 * consumer on its output and an open-loop source at that rate (bench/processes/open-loop.ts);
 * latency = sink receive time - created_at stamped by the source, for the records created after
 * the warm-up.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exitOf, exited, kill, spawnNode, stop, type Child } from './child.js';
import type { Bench } from './context.js';
import { FIRST_COMMIT_TIMEOUT_MS } from './drain.js';
import { encoder } from './events.js';
import { seedTopic, topicEnd } from './kafka.js';
import {
  backgroundCores,
  machineJiffies,
  mainThreadCpuSeconds,
  processCpuSeconds,
  processPeakRssMiB,
  processRssMiB,
  quantile,
} from './machine.js';
import { repoRoot, uniqueSuffix } from './product.js';
import { deploy, start, SYSTEM_LABELS, type Running, type SystemId } from './systems.js';

/** Records sent before the source starts, to see the system is up, has joined and has the schemas. */
export const PROBE_RECORDS = 1_000;
/** How long after the source stops the sink may still receive what was sent. */
export const LATENCY_GRACE_MS = 10_000;

export interface LatencyOptions {
  warmupSeconds: number;
  /** Measured seconds, after the warm-up. */
  seconds: number;
}

export interface LatencyResult {
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

function spawnProbe(bench: Bench, role: 'source' | 'sink', args: string[]): Child {
  const script = join(repoRoot, 'bench', 'processes', 'open-loop.ts');
  const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const probe = spawnNode(['--import', 'tsx', script, '--role', role, '--brokers', bench.stack.brokers.join(','), ...args], repoRoot, env);
  const release = bench.cleanup.add(() => kill(probe));
  probe.process.once('exit', () => void release());
  return probe;
}

/** Resolves once `line` is printed; fails if the process exits first or after timeoutMs. */
async function printed(c: Child, line: string, what: string, timeoutMs = 60_000): Promise<void> {
  let seen = false;
  c.onLine((l) => (seen ||= l === line));
  await waitFor(what, timeoutMs, () => {
    if (exited(c)) throw new Error(`${what}: the process exited:\n${c.log()}`);
    return seen;
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU of the system's process and of the machine, from a mark to now. */
function cpuMark(pid: number) {
  const cpu = processCpuSeconds(pid);
  const main = mainThreadCpuSeconds(pid);
  const jiffies = machineJiffies();
  const t = performance.now();
  return (cores: number) => {
    const seconds = (performance.now() - t) / 1000;
    const j = machineJiffies();
    return {
      workerCores: (processCpuSeconds(pid) - cpu) / seconds,
      mainThreadCores: (mainThreadCpuSeconds(pid) - main) / seconds,
      machineCores: ((j.busy - jiffies.busy) / Math.max(1, j.total - jiffies.total)) * cores,
    };
  };
}

/** Sends PROBE_RECORDS and waits until the system has written them all. */
async function probeThrough(bench: Bench, r: Running, schemaId: number): Promise<void> {
  const d = r.deployment;
  const producer = bench.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const encode = encoder(schemaId);
  const now = Date.now();
  const messages = Array.from({ length: PROBE_RECORDS }, (_, seq) => ({
    key: `o-${seq}`,
    value: encode(seq, now),
    partition: seq % bench.partitions,
  }));
  await producer.send({ topic: d.inputTopic, acks: -1, messages });
  await producer.disconnect();
  await waitFor(`${SYSTEM_LABELS[d.system]} to pass ${PROBE_RECORDS} probe records`, FIRST_COMMIT_TIMEOUT_MS, async () => {
    if (exited(r)) throw new Error(`${SYSTEM_LABELS[d.system]} exited:\n${r.log()}`);
    return (await topicEnd(bench.admin, d.outputTopic)) >= PROBE_RECORDS;
  });
}

export async function runLatency(
  bench: Bench,
  system: SystemId,
  load: number,
  rate: number,
  round: number,
  o: LatencyOptions,
): Promise<LatencyResult> {
  const background = await backgroundCores();
  const suffix = uniqueSuffix();
  const input = await seedTopic(bench, `bench.lat.${suffix}`, 0);
  const sinkGroup = `bench.sink.${suffix}`;
  const d = await deploy(bench, system, input.topic, [sinkGroup]);
  mkdirSync(join(repoRoot, '.cache', 'bench-latency'), { recursive: true });
  const file = join(repoRoot, '.cache', 'bench-latency', `${suffix}.f64`);
  const removeFile = bench.cleanup.add(() => rmSync(file, { force: true }));
  const problems: string[] = [];
  const notes: string[] = [];
  const children: Child[] = [];
  try {
    const sink = spawnProbe(bench, 'sink', [
      '--topic',
      d.outputTopic,
      '--group',
      sinkGroup,
      '--schema',
      d.outputSchemaFile,
      '--file',
      file,
    ]);
    const r = start(bench, d);
    children.push(sink, r);
    await printed(sink, 'ready', 'the sink to join its group');
    await probeThrough(bench, r, input.schemaId);

    const total = o.warmupSeconds + o.seconds;
    const source = spawnProbe(bench, 'source', [
      ...['--topic', input.topic, '--schema-id', String(input.schemaId), '--rate', String(rate)],
      ...['--seconds', String(total), '--partitions', String(bench.partitions), '--warmup-seconds', String(o.warmupSeconds)],
    ]);
    children.push(source);
    await printed(source, 'started', 'the source to start');
    // Worker and machine CPU over the measured part of the source's run (after the warm-up).
    await new Promise((res) => setTimeout(res, o.warmupSeconds * 1000));
    const measured = cpuMark(r.pid);
    const sourceCode = await exitOf(source, (total + 60) * 1000);
    const cpu = measured(bench.machine.cores);
    const src = source.report();
    if (sourceCode !== 0 || !src) throw new Error(`the source failed (exit ${sourceCode}):\n${source.log()}`);
    // Not failures of the benchmark but caveats on the row: the load offered to the system was
    // lower than planned (seen when the baseline's one-record requests swamp the broker).
    if (Number(src.failures) > 0 || Number(src.unacknowledged) > 0) {
      notes.push(
        `source: ${String(src.failures)} records failed (${String(src.firstError)}), ${String(src.unacknowledged)} sends unacknowledged`,
      );
    }
    if (Number(src.achievedRate) < 0.97 * rate)
      notes.push(
        `source: sent ${Number(src.achievedRate).toFixed(0)}/s of ${rate}/s (${String(src.sent)} of ${String(src.total)} records)`,
      );
    const graceUntil = performance.now() + LATENCY_GRACE_MS;
    while (performance.now() < graceUntil && (await topicEnd(bench.admin, d.outputTopic)) < PROBE_RECORDS + Number(src.sent)) {
      await new Promise((res) => setTimeout(res, 200));
    }
    const peakRssMiB = processPeakRssMiB(r.pid);
    const rssMiB = processRssMiB(r.pid);
    await stop(sink, 30_000);
    const sinkReport = sink.report();
    if (!sinkReport) throw new Error(`the sink printed no report:\n${sink.log()}`);
    if (Number(sinkReport.unreadable) > 0 || Number(sinkReport.mismatched) > 0) problems.push(`sink: ${JSON.stringify(sinkReport)}`);
    const exitCode = await stop(r);
    if (exitCode !== 0) problems.push(`exit code ${exitCode} after SIGTERM:\n${r.log()}`);

    // Only records created in the measured window (after the warm-up) count.
    const raw = readFileSync(file);
    const pairs = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
    const from = Number(src.startMs) + o.warmupSeconds * 1000;
    const latencies: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i]! >= from) latencies.push(pairs[i + 1]! - pairs[i]!);
    latencies.sort((a, b) => a - b);
    const [offeredRate, achievedRate, sourceLagP99Ms, expected, delivered] = [
      rate,
      Number(src.achievedRate),
      Number(src.lagP99Ms),
      Number(src.measured),
      latencies.length,
    ];
    const [p50, p90, p99, p999] = [0.5, 0.9, 0.99, 0.999].map((p) => quantile(latencies, p)) as [number, number, number, number];
    const max = latencies[latencies.length - 1] ?? Number.NaN;
    return {
      system,
      load,
      round,
      offeredRate,
      achievedRate,
      sourceLagP99Ms,
      expected,
      delivered,
      p50,
      p90,
      p99,
      p999,
      max,
      ...cpu,
      peakRssMiB,
      rssMiB,
      backgroundCores: background,
      problems,
      notes,
    };
  } finally {
    for (const c of children) await kill(c);
    await d.remove();
    await input.drop();
    await removeFile();
  }
}
