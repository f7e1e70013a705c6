/**
 * What bench:compare prints: the run's header, one line per drain or latency run as it ends, and
 * at the end the throughput and latency tables, the ratios between systems and the targets.
 */
import { APICURIO_VERSION, KAFKA_VERSION } from '../../src/devstack/index.js';
import type { Bench } from './context.js';
import { POLL_MS, type DrainMetrics, type DrainResult } from './drain.js';
import { LATENCY_GRACE_MS, type LatencyResult } from './latency.js';
import { median } from './machine.js';
import { SYSTEM_LABELS, type SystemId } from './systems.js';

/** A number for a table cell ('-' when not finite). */
export const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Columns padded to their widest cell, the first left-aligned, the others right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const MB = (mib: number) => (mib * 1024 * 1024) / 1e6;
const problemsOf = (r: { problems: string[] }) => (r.problems.length > 0 ? `; PROBLEMS: ${r.problems.join('; ')}` : '');

export function kafkaDescription(bench: Bench): string {
  return bench.stack.kind === 'local'
    ? `local (Apache Kafka ${KAFKA_VERSION} KRaft single node, Apicurio Registry ${APICURIO_VERSION}, JVMs on this machine)`
    : bench.stack.kind;
}

/** The line printed as a drain ends. */
export function drainLine(r: DrainResult): string {
  const warning =
    r.backgroundCores > 0.3
      ? `WARNING: ${r.backgroundCores.toFixed(2)} cores were busy before ${SYSTEM_LABELS[r.system]} started: something else shares this machine, this run is not clean\n`
      : '';
  return (
    `${warning}round ${r.round} ${SYSTEM_LABELS[r.system]}: ${r.m.rate.toFixed(0)} events/s over ${r.m.drained} records in ${r.m.drainSeconds.toFixed(1)} s${r.complete ? '' : ' (cut)'}, ` +
    `${r.m.drainCpuPerMillion.toFixed(1)} drain CPU s / M, ${r.m.workerCores.toFixed(2)} cores, peak RSS ${r.peakRssMiB.toFixed(0)} MiB${problemsOf(r) || '; checks ok'}`
  );
}

/** The line printed as a latency run ends. */
export function latencyLine(r: LatencyResult): string {
  const warning =
    r.backgroundCores > 0.3
      ? `WARNING: ${r.backgroundCores.toFixed(2)} cores were busy before the latency run of ${SYSTEM_LABELS[r.system]}: this run is not clean\n`
      : '';
  return (
    `${warning}latency ${r.load * 100}% (${r.offeredRate}/s) ${SYSTEM_LABELS[r.system]}: p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, max ${f(r.max)} ms, ` +
    `${r.delivered}/${r.expected} delivered, ${r.workerCores.toFixed(2)} worker cores${r.notes.length > 0 ? `; NOTE: ${r.notes.join('; ')}` : ''}${problemsOf(r)}`
  );
}

type DrainRow = Pick<DrainResult, 'm' | 'backgroundCores' | 'peakRssMiB' | 'rssMiB'>;

/** Every number of a drain row as the median over the runs. */
function medianRow(rs: DrainResult[]): DrainRow {
  const p = (fn: (r: DrainResult) => number) => median(rs.map(fn));
  const m = {} as DrainMetrics;
  for (const k of Object.keys(rs[0]!.m) as (keyof DrainMetrics)[]) m[k] = p((r) => r.m[k]);
  return { m, backgroundCores: p((r) => r.backgroundCores), peakRssMiB: p((r) => r.peakRssMiB), rssMiB: p((r) => r.rssMiB) };
}

export interface ThroughputSetup {
  records: number;
  meanValueBytes: number;
  partitions: number;
  capMs: number;
  rounds: number;
  systems: SystemId[];
}

export function throughputReport(drains: DrainResult[], s: ThroughputSetup): string {
  const head = [
    '',
    'events/s',
    'drained',
    'drain s',
    '1st commit s',
    'CPU s/M',
    'drain CPU s/M',
    'worker cores',
    'main thr cores',
    'machine cores',
    'bg cores',
    'peak RSS MiB',
    'RSS MiB',
  ];
  const cells = (label: string, r: DrainRow, cut = false) => [
    ...[
      label,
      f(r.m.rate) + (cut ? '*' : ''),
      f(r.m.drained),
      f(r.m.drainSeconds, 1),
      f(r.m.firstCommitSeconds, 1),
      f(r.m.cpuPerMillion, 1),
      f(r.m.drainCpuPerMillion, 1),
    ],
    ...[f(r.m.workerCores, 2), f(r.m.mainThreadCores, 2), f(r.m.machineCores, 2), f(r.backgroundCores, 2), f(r.peakRssMiB), f(r.rssMiB)],
  ];
  const rows = drains.map((r) => cells(`round ${r.round} ${r.system}`, r, !r.complete));
  const medians = new Map<SystemId, DrainRow>();
  for (const system of s.systems) {
    const rs = drains.filter((r) => r.system === system);
    if (rs.length === 0) continue;
    medians.set(system, medianRow(rs));
    rows.push(cells(`median ${system}`, medians.get(system)!));
  }
  const perRound = (x: SystemId, y: SystemId) =>
    Array.from({ length: s.rounds }, (_, i) => {
      const rx = drains.find((r) => r.system === x && r.round === i + 1);
      const ry = drains.find((r) => r.system === y && r.round === i + 1);
      return rx && ry ? f(rx.m.rate / ry.m.rate, 2) : '-';
    }).join(', ');
  const ratio = (x: SystemId, y: SystemId, digits: number, cpuInverted = false) => {
    const [mx, my] = [medians.get(x), medians.get(y)];
    if (!mx || !my) return [];
    const [cx, cy] = cpuInverted ? [y, x] : [x, y];
    const cpu = medians.get(cx)!.m.drainCpuPerMillion / medians.get(cy)!.m.drainCpuPerMillion;
    return [
      `(${x})/(${y}) = ${f(mx.m.rate / my.m.rate, digits)} (medians; per round ${perRound(x, y)}); CPU per event (${cx})/(${cy}) = ${f(cpu, 2)}`,
    ];
  };
  return `
throughput (${s.records} records of ${f(s.meanValueBytes)} bytes, ${s.partitions} partitions; drain = from the first poll that saw a commit to the
poll that saw all committed (* = cut after ${s.capMs / 1000} s: to the last poll that saw the count grow), polled every ${POLL_MS} ms; CPU s/M =
whole-life CPU per million committed; drain CPU s/M, worker / main thread / machine cores = during the drain; bg cores = machine
busy in the 1 s before the system started; RSS MiB = VmRSS at the end of the drain)
${table(head, rows)}
systems: ${s.systems.map((id) => SYSTEM_LABELS[id]).join(', ')}
${[
  ...ratio('b', 'a', 3),
  ...ratio('b', 'c', 2, true),
  // The variants, each against what it varies, and the previous shape's own ratio.
  ...(
    [
      ['b1', 'a1'],
      ['b', 'b1'],
      ['b', 'b0'],
      ['b1', 'b0'],
      ['a', 'a1'],
      ['b', 'bn'],
      ['b2', 'b'],
      ['bs', 'b'],
    ] as [SystemId, SystemId][]
  ).flatMap(([x, y]) => ratio(x, y, 3)),
  // Every system against the limit: Kafka's own clients moving the same number of records.
  ...s.systems.filter((x) => x !== 'k').flatMap((x) => ratio(x, 'k', 3)),
].join('\n')}`.trimEnd();
}

export function latencyReport(latencies: LatencyResult[], s: { warmupSeconds: number; seconds: number; rounds: number }): string {
  const head = [
    '',
    'offered/s',
    'source/s',
    'src lag p99 ms',
    'delivered',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'worker cores',
    'main thr cores',
    'machine cores',
    'bg cores',
    'peak RSS MiB',
    'RSS MiB',
  ];
  const rows = latencies.map((r) => [
    `${r.load * 100}% ${r.system}${s.rounds > 1 ? ` r${r.round}` : ''}`,
    f(r.offeredRate),
    f(r.achievedRate) +
      (r.achievedRate < 0.97 * r.offeredRate ? ' BEHIND' : '') +
      (r.notes.some((n) => n.includes('failed')) ? ' FAILED' : ''),
    f(r.sourceLagP99Ms, 1),
    `${r.delivered}/${r.expected}${r.delivered < 0.99 * r.expected ? ' SATURATED' : ''}`,
    ...[r.p50, r.p90, r.p99, r.p999, r.max].map((v) => f(v)),
    ...[r.workerCores, r.mainThreadCores, r.machineCores, r.backgroundCores].map((v) => f(v, 2)),
    f(r.peakRssMiB),
    f(r.rssMiB),
  ]);
  return `
latency (open loop: a source process sends at a constant rate for ${s.warmupSeconds} s warm-up + ${s.seconds} s; latency = sink receive time - created_at
stamped by the source, records created after the warm-up only; delivered = of those, received within ${LATENCY_GRACE_MS / 1000} s after the source stopped;
source/s BEHIND = the source could not hold the offered rate (it stops at the end of its schedule), FAILED = some of its sends failed;
worker / main thread / machine cores over the measured ${s.seconds} s; the source and the sink run on the same machine)
${table(head, rows)}`;
}

/** The issue's targets, met or not, from (b)'s runs. */
export function targetsReport(bench: Bench, drains: DrainResult[], latencies: LatencyResult[]): string {
  const rate = (s: SystemId) => median(drains.filter((r) => r.system === s).map((r) => r.m.rate));
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');
  const has = (s: SystemId) => drains.some((r) => r.system === s);
  const bRuns = [...drains, ...latencies].filter((r) => r.system === 'b');
  const bPeak = Math.max(...bRuns.map((r) => r.peakRssMiB));
  const bSteady = Math.max(...bRuns.map((r) => r.rssMiB));
  const half = latencies.filter((r) => r.system === 'b' && r.load === 0.5);
  const p99Half = half.length > 0 ? median(half.map((r) => r.p99)) : Number.NaN;
  const { machine } = bench;
  return `
targets (issue 6)
  (b)/(a) >= 0.85          ${verdict(has('a') && has('b') ? rate('b') / rate('a') >= 0.85 : undefined)}: ${f(rate('b') / rate('a'), 3)}
  (b)/(c) >= 2             ${verdict(has('b') && has('c') ? rate('b') / rate('c') >= 2 : undefined)}: ${f(rate('b') / rate('c'), 2)}
  (b) >= 50000 events/s    ${verdict(has('b') ? rate('b') >= 50_000 : undefined)}: ${f(rate('b'))}
  p99 < 50 ms at 50% load  ${verdict(half.length > 0 ? p99Half < 50 : undefined)}: ${f(p99Half)} ms
  RSS < 300 MB             ${verdict(has('b') ? MB(bPeak) < 300 : undefined)}: peak (VmHWM) ${f(MB(bPeak))} MB = ${f(bPeak)} MiB, steady (VmRSS at the end) ${f(MB(bSteady))} MB, highest over (b)'s runs
machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB; node ${process.version}; kafka ${bench.stack.kind}; background cores: max ${f(Math.max(...[...drains, ...latencies].map((r) => r.backgroundCores)), 2)} over all runs`;
}
