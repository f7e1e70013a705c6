/**
 * Throughput: one system drains the seeded input topic from the start. The drain is timed by
 * polling the group's committed offsets (and sampling the process's CPU time) every 200 ms, from
 * the first poll that saw a commit to the poll that saw all committed, cut after capMs (then up
 * to the last poll that saw the count grow). The result checks what the system wrote.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import { exited, kill, stop, type Child } from './child.js';
import type { Bench } from './context.js';
import { committedTotal, topicEnd } from './kafka.js';
import { backgroundCores, machineJiffies, mainThreadCpuSeconds, processCpuSeconds, processPeakRssMiB, processRssMiB } from './machine.js';
import { deploy, kindOf, start, SYSTEM_LABELS, type Running, type SystemId } from './systems.js';

export const POLL_MS = 200;
/** A system that has committed nothing this long after its spawn has failed. */
export const FIRST_COMMIT_TIMEOUT_MS = 120_000;

export interface Sample {
  /** performance.now() */
  t: number;
  /** process.hrtime in µs (CLOCK_MONOTONIC, the clock of V8's .cpuprofile timestamps). */
  monoUs: number;
  committed: number;
  cpu: number;
  mainCpu: number;
  jiffies: { busy: number; total: number };
}

export interface Drain {
  /** The first poll that saw a commit. */
  first: Sample;
  /** The poll that saw all records committed, or (capped) the last poll that saw the count grow. */
  last: Sample;
  /** True when every record was committed, false when the drain was cut at capMs. */
  complete: boolean;
  peakRssMiB: number;
  /** VmRSS sampled at the end of the watch: the steady-state size, where peakRssMiB may be a spike. */
  rssMiB: number;
}

/** Polls the committed offsets until all `target` records are committed or `capMs` after the first commit. */
export async function watchDrain(r: Running, admin: Admin, target: number, capMs: number): Promise<Drain> {
  const { group, inputTopic, system } = r.deployment;
  let first: Sample | undefined;
  let last: Sample | undefined;
  const early = () =>
    new Error(`${SYSTEM_LABELS[system]} exited early (code ${r.process.exitCode}, signal ${r.process.signalCode}):\n${r.log()}`);
  for (;;) {
    if (r.replicas.some(exited)) throw early();
    const committed = await committedTotal(admin, group, inputTopic).catch(() => 0);
    const t = performance.now();
    let sample: Sample;
    try {
      const monoUs = Number(process.hrtime.bigint() / 1000n);
      const cpu = sumOver(r.replicas, processCpuSeconds);
      sample = { t, monoUs, committed, cpu, mainCpu: sumOver(r.replicas, mainThreadCpuSeconds), jiffies: machineJiffies() };
    } catch (err) {
      // /proc/<pid> is gone: the process ended between the check above and here.
      if (r.replicas.some(exited) || (err as NodeJS.ErrnoException).code === 'ENOENT') {
        await once(r.process, 'exit').catch(() => undefined);
        throw early();
      }
      throw err;
    }
    if (committed > 0) {
      first ??= sample;
      if (!last || committed > last.committed) last = sample;
      const complete = committed >= target;
      if (complete || t - first.t >= capMs)
        return { first, last, complete, peakRssMiB: sumOver(r.replicas, processPeakRssMiB), rssMiB: sumOver(r.replicas, processRssMiB) };
    } else if (t - r.spawnedAt > FIRST_COMMIT_TIMEOUT_MS) {
      throw new Error(`${SYSTEM_LABELS[system]} committed nothing within ${FIRST_COMMIT_TIMEOUT_MS} ms:\n${r.log()}`);
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

/** A /proc reading summed over a system's processes (one, or its replicas). */
const sumOver = (children: Child[], read: (pid: number) => number) => children.reduce((sum, c) => sum + read(c.pid), 0);

export interface DrainMetrics {
  /** Records committed between the first poll that saw a commit and `last`, per second. */
  rate: number;
  drained: number;
  drainSeconds: number;
  firstCommitSeconds: number;
  /** Whole-life CPU of the process up to `last`, per million records committed by then. */
  cpuPerMillion: number;
  /** CPU during the drain window per million records drained in it. */
  drainCpuPerMillion: number;
  workerCores: number;
  mainThreadCores: number;
  machineCores: number;
}

export function drainMetrics(d: Drain, spawnedAt: number, cores: number): DrainMetrics {
  const { first, last } = d;
  const drainSeconds = (last.t - first.t) / 1000;
  const drained = last.committed - first.committed;
  const busy = last.jiffies.busy - first.jiffies.busy;
  const total = last.jiffies.total - first.jiffies.total;
  const ok = drainSeconds > 0 && drained > 0;
  return {
    rate: ok ? drained / drainSeconds : Number.NaN,
    drained,
    drainSeconds,
    firstCommitSeconds: (first.t - spawnedAt) / 1000,
    cpuPerMillion: (last.cpu / last.committed) * 1e6,
    drainCpuPerMillion: ok ? ((last.cpu - first.cpu) / drained) * 1e6 : Number.NaN,
    workerCores: ok ? (last.cpu - first.cpu) / drainSeconds : Number.NaN,
    mainThreadCores: ok ? (last.mainCpu - first.mainCpu) / drainSeconds : Number.NaN,
    machineCores: total > 0 ? (busy / total) * cores : Number.NaN,
  };
}

export interface DrainResult {
  system: SystemId;
  round: number;
  m: DrainMetrics;
  drain: Drain;
  pid: number;
  complete: boolean;
  /** Busy cores of the machine in the 1 s before the system started. */
  backgroundCores: number;
  peakRssMiB: number;
  rssMiB: number;
  exitCode: number | null;
  outputs: number;
  committed: number;
  deadLetters: number;
  /** What went wrong (empty: "checks ok"). */
  problems: string[];
}

export interface DrainOptions {
  /** Records in the input topic. */
  records: number;
  capMs: number;
  /** Extra node flags for this process only (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Deploys and starts `system` on `inputTopic`, watches its drain, stops it and checks what it wrote. */
export async function runDrain(bench: Bench, system: SystemId, round: number, inputTopic: string, o: DrainOptions): Promise<DrainResult> {
  const background = await backgroundCores();
  const d = await deploy(bench, system, inputTopic);
  try {
    const r = start(bench, d, { nodeArgs: o.nodeArgs });
    const drain = await watchDrain(r, bench.admin, o.records, o.capMs).catch(async (err: unknown) => {
      for (const replica of r.replicas) await kill(replica);
      throw err;
    });
    const exitCodes = await Promise.all(r.replicas.map((replica) => stop(replica)));
    const exitCode = exitCodes.find((c) => c !== 0) ?? 0;
    const outputs = await topicEnd(bench.admin, d.outputTopic);
    const deadLetters = d.dlqTopic ? await topicEnd(bench.admin, d.dlqTopic) : 0;
    const committed = drain.last.committed;
    const problems: string[] = [];
    if (exitCode !== 0) problems.push(`exit code ${exitCode} after SIGTERM:\n${r.log()}`);
    // (a) and (b) write exactly one record per input; (c) may have written more than was committed
    // when it was stopped (it keeps going after the last poll) but never fewer. (bx)'s end offsets
    // also hold one transaction marker per batch and partition written: at least one record per input.
    const c = kindOf(system) === 'c';
    const exact = !c && system !== 'bx';
    if (drain.complete ? (exact ? outputs !== o.records : !c && outputs < o.records) : outputs < committed)
      problems.push(`${outputs} output offsets for ${committed} committed inputs`);
    if (drain.complete && c && outputs < o.records) problems.push(`${outputs} output records for ${o.records} inputs`);
    if (deadLetters !== 0) problems.push(`${deadLetters} dead letters`);
    const report = r.report();
    if (system === 'c' && report && Number(report.failed) !== 0) problems.push(`${String(report.failed)} records failed`);
    const m = drainMetrics(drain, r.spawnedAt, bench.machine.cores);
    return {
      system,
      round,
      m,
      drain,
      pid: r.pid,
      complete: drain.complete,
      backgroundCores: background,
      peakRssMiB: drain.peakRssMiB,
      rssMiB: drain.rssMiB,
      exitCode,
      outputs,
      committed,
      deadLetters,
      problems,
    };
  } finally {
    await d.remove();
  }
}
