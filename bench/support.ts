/**
 * Helpers for the benchmarks (bench/compare.ts, bench/profile.ts, bench/micro.ts): private
 * copies of the bench product, the machine description, and what /proc says about a process (CPU time,
 * peak RSS) or the whole machine (busy time). Linux only (/proc).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyProductFolder, type ProductCopy } from '../src/devstack/product-copy.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export type BenchProduct = ProductCopy;

/**
 * A copy of the benchmark product bench/products/<name> under .cache/bench-products/ with its own
 * name, id, output and dead-letter topics (so its own consumer group), reading the given input
 * topic: several copies can read one seeded topic, each from the start.
 */
export function copyBenchProduct(name: string, inputTopic: string): BenchProduct {
  return copyProductFolder(join(repoRoot, 'bench', 'products', name), 'bench-products', { inputTopic });
}

let clockTicks: number | undefined;
/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, 100 when it cannot be asked). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a live process (all its threads), in seconds. */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

/** utime + stime of a process's main thread only (for Node: the JavaScript thread), in seconds. */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after "pid (comm)".
  return (Number(fields[11]) + Number(fields[12])) / clkTck();
}

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export function processPeakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Current resident set size (VmRSS) of a live process, in MiB. */
export function processRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Busy and total jiffies of the whole machine (all cores), from the first line of /proc/stat. */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export function machineDescription(): { cores: number; cpuModel: string; memoryGiB: number } {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // keep os.cpus()'s answer
  }
  let cores = cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cores;
  } catch {
    // keep os.cpus()'s count
  }
  return { cores, cpuModel, memoryGiB: totalmem() / 1024 ** 3 };
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-quantile (0..1) of values sorted ascending, nearest rank; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Busy cores of the whole machine over `ms` milliseconds (nothing else of the benchmark running). */
export async function backgroundCores(ms = 1_000): Promise<number> {
  const start = machineJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const end = machineJiffies();
  const cores = machineDescription().cores;
  return ((end.busy - start.busy) / Math.max(1, end.total - start.total)) * cores;
}

/** A unique suffix for topic, group and folder names. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * How the bench's own processes end: on the first SIGTERM, `stop` runs (leave the group,
 * disconnect, write files) and returns the report to print as one JSON line (the benchmark reads
 * the last one) and the exit code; a failure in it exits 1.
 */
export function onSigterm(stop: () => Promise<{ report: Record<string, unknown>; exitCode: number }>): void {
  process.once('SIGTERM', () => {
    stop().then(
      ({ report, exitCode }) => {
        console.log(JSON.stringify(report));
        process.exit(exitCode);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
