/**
 * The three systems of `npm run bench:compare` (and `npm run bench:profile`), each run as its own
 * process against one input topic with its own consumer group and output topic:
 *   (a) bench/passthrough.ts: kafkajs consume -> produce of the same bytes, dataprod's I/O shape;
 *   (b) `node bin/dataprod.js run <copy of bench/products/orders-wide>`;
 *   (c) bench/baseline.ts: per-record async decode / transform / encode / await send.
 * Plus the drain watcher: polls the group's committed offsets and samples the process's CPU time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import type { RegistryClient } from '../src/contracts/registry-client.js';
import type { Stack } from '../src/devstack/index.js';
import { BENCH_PRODUCT_DIR, benchSchema, encoder } from './events.js';
import {
  copyBenchProduct,
  machineJiffies,
  mainThreadCpuSeconds,
  processCpuSeconds,
  processPeakRssMiB,
  processRssMiB,
  repoRoot,
  uniqueSuffix,
  type BenchProduct,
} from './support.js';

/**
 * a, b, c are the systems with the defaults; the others are variants of a or b with one
 * setting changed, to see what each part of the worker's shape is worth in the same run.
 */
export type SystemId = 'a' | 'b' | 'c' | 'a1' | 'b1' | 'b0' | 'bx';
export const SYSTEM_IDS: readonly SystemId[] = ['a', 'b', 'c', 'a1', 'b1', 'b0', 'bx'];
export const SYSTEM_LABELS: Record<SystemId, string> = {
  a: '(a) kafkajs passthrough',
  b: '(b) dataprod run',
  c: '(c) hand-written baseline',
  a1: '(a1) kafkajs passthrough, one partition at a time',
  b1: '(b1) dataprod run, one partition at a time (the shape before this change)',
  b0: '(b0) dataprod run of another build (BENCH_B0_DIR: a checkout with its own dist/)',
  bx: '(bx) dataprod run, the product with delivery: exactly-once',
};
/** The system a variant is a variant of. */
export function kindOf(system: SystemId): 'a' | 'b' | 'c' {
  return system[0] as 'a' | 'b' | 'c';
}
/** What the variants change: dataprod's settings (env) and the passthrough's concurrency. */
const VARIANT_ENV: Partial<Record<SystemId, Record<string, string>>> = {
  b1: { DATAPROD_PARTITIONS_CONCURRENTLY: '1' },
};
/** (a) handles as many partitions at once as dataprod does by default (--partitions-concurrently). */
const PASSTHROUGH_CONCURRENCY: Partial<Record<SystemId, string>> = { a: '3', a1: '1' };

export interface BenchContext {
  stack: Stack;
  admin: Admin;
  partitions: number;
}

/** One system's consumer group and topics for one run. */
export interface Deployment {
  system: SystemId;
  inputTopic: string;
  group: string;
  outputTopic: string;
  dlqTopic?: string;
  product?: BenchProduct;
  /** The schema the output values are written with: the raw one for (a), the output one otherwise. */
  outputSchemaFile: string;
  /** Registry subjects the system registers (deleted afterwards). */
  subjects: string[];
}

/**
 * Names the run's group and output topic(s) and creates the topics with the input's partition
 * count (so dataprod's own topic creation finds them and does nothing, like the others).
 */
export async function deploy(system: SystemId, ctx: BenchContext, inputTopic: string): Promise<Deployment> {
  let d: Deployment;
  if (kindOf(system) === 'b') {
    const product = copyBenchProduct('orders-wide', inputTopic);
    // A descriptor setting, not a worker option: the copy's product.yaml says it.
    if (system === 'bx') appendFileSync(join(product.dir, 'product.yaml'), '\ndelivery: exactly-once\n');
    d = {
      system,
      inputTopic,
      group: product.group,
      outputTopic: product.outputTopic,
      dlqTopic: product.dlqTopic,
      product,
      outputSchemaFile: join(BENCH_PRODUCT_DIR, 'schemas', 'orders-enriched.avsc'),
      subjects: [`${product.outputTopic}-value`],
    };
  } else {
    const suffix = uniqueSuffix();
    d = {
      system,
      inputTopic,
      group: `bench.${system}.${suffix}`,
      outputTopic: `bench.out-${system}.${suffix}`,
      outputSchemaFile: join(BENCH_PRODUCT_DIR, 'schemas', kindOf(system) === 'a' ? 'raw-order.avsc' : 'orders-enriched.avsc'),
      subjects: system === 'c' ? [`bench.out-${system}.${suffix}-value`] : [],
    };
  }
  const topics = [d.outputTopic, ...(d.dlqTopic ? [d.dlqTopic] : [])];
  await ctx.admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: ctx.partitions })) });
  return d;
}

export interface Running {
  deployment: Deployment;
  child: ChildProcess;
  pid: number;
  /** performance.now() at the spawn. */
  spawnedAt: number;
  /** The tail of its stdout and stderr, for error messages. */
  log(): string;
  /** Its whole stdout (small: the systems print one JSON line when they stop). */
  stdout(): string;
}

export interface StartOptions {
  /** Extra node flags before the script, e.g. --cpu-prof (which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export function start(d: Deployment, ctx: BenchContext, options: StartOptions = {}): Running {
  const brokers = ctx.stack.brokers.join(',');
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  let args: string[];
  if (kindOf(d.system) === 'b') {
    let root = repoRoot;
    if (d.system === 'b0') {
      // An earlier build against this one in the same run (e.g. a git worktree of the commit before a change).
      if (!process.env.BENCH_B0_DIR) throw new Error('system b0 needs BENCH_B0_DIR: a checkout of dataprod with its dist/ built');
      root = process.env.BENCH_B0_DIR;
    }
    args = [join(root, 'bin', 'dataprod.js'), 'run', d.product!.dir];
    Object.assign(env, VARIANT_ENV[d.system] ?? {}, {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: ctx.stack.schemaRegistryUrl,
      DATAPROD_HTTP_HOST: '127.0.0.1',
      DATAPROD_HTTP_PORT: '0',
      DATAPROD_LOG_LEVEL: 'warn',
    });
  } else if (kindOf(d.system) === 'a') {
    args = ['--import', 'tsx', join(repoRoot, 'bench', 'passthrough.ts'), '--brokers', brokers, '--input', d.inputTopic, '--output', d.outputTopic, '--group', d.group];
    args.push('--concurrency', PASSTHROUGH_CONCURRENCY[d.system]!);
  } else {
    args = [
      '--import',
      'tsx',
      join(repoRoot, 'bench', 'baseline.ts'),
      '--brokers',
      brokers,
      '--registry',
      ctx.stack.schemaRegistryUrl,
      '--input',
      d.inputTopic,
      '--output',
      d.outputTopic,
      '--group',
      d.group,
      '--product',
      BENCH_PRODUCT_DIR,
    ];
  }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let out = '';
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 200) tail.shift();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (out.length < 1_000_000) out += chunk.toString();
  });
  child.stderr!.on('data', keep);
  return { deployment: d, child, pid: child.pid!, spawnedAt: performance.now(), log: () => tail.join('').slice(-4000), stdout: () => out };
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after 60 s; the exit code and the last JSON line the process printed. */
export async function stop(r: Running): Promise<{ exitCode: number | null; report: Record<string, unknown> | undefined }> {
  if (!exited(r.child)) {
    const done = once(r.child, 'exit');
    r.child.kill('SIGTERM');
    const killer = setTimeout(() => r.child.kill('SIGKILL'), 60_000);
    await done;
    clearTimeout(killer);
  }
  const json = r
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  let report: Record<string, unknown> | undefined;
  try {
    report = json ? (JSON.parse(json) as Record<string, unknown>) : undefined;
  } catch {
    report = undefined;
  }
  return { exitCode: r.child.exitCode, report };
}

export async function kill(r: Running): Promise<void> {
  if (exited(r.child)) return;
  const done = once(r.child, 'exit');
  r.child.kill('SIGKILL');
  await done;
}

/** Deletes the run's topics, group, subjects and product folder; every step best effort. */
export async function teardown(d: Deployment, ctx: BenchContext, extraGroups: string[] = []): Promise<void> {
  await ctx.admin.deleteTopics({ topics: [d.outputTopic, ...(d.dlqTopic ? [d.dlqTopic] : [])], timeout: 30_000 }).catch(() => undefined);
  await ctx.admin.deleteGroups([d.group, ...extraGroups]).catch(() => undefined);
  for (const subject of d.subjects) await deleteSubject(ctx.stack.schemaRegistryUrl, subject);
  d.product?.remove();
}

export async function deleteSubject(registryUrl: string, subject: string): Promise<void> {
  const url = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
  await fetch(url, { method: 'DELETE' }).catch(() => undefined);
  await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
}

export async function committedTotal(admin: Admin, group: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

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

export interface DrainOptions {
  target: number;
  /** Stop watching this long after the first commit even if not all records are committed. */
  capMs: number;
  /** Fail if the first commit has not come this long after the spawn. */
  firstCommitTimeoutMs: number;
  pollMs: number;
}

/** Polls the committed offsets until all `target` records are committed or the cap is reached. */
export async function watchDrain(r: Running, admin: Admin, o: DrainOptions): Promise<Drain> {
  const { group, inputTopic } = r.deployment;
  let first: Sample | undefined;
  let last: Sample | undefined;
  const early = () => new Error(`${SYSTEM_LABELS[r.deployment.system]} exited early (code ${r.child.exitCode}, signal ${r.child.signalCode}):\n${r.log()}`);
  for (;;) {
    if (exited(r.child)) throw early();
    const committed = await committedTotal(admin, group, inputTopic).catch(() => 0);
    const t = performance.now();
    let sample: Sample;
    try {
      sample = {
        t,
        monoUs: Number(process.hrtime.bigint() / 1000n),
        committed,
        cpu: processCpuSeconds(r.pid),
        mainCpu: mainThreadCpuSeconds(r.pid),
        jiffies: machineJiffies(),
      };
    } catch (err) {
      // /proc/<pid> is gone: the process ended between the check above and here.
      if (exited(r.child) || (err as NodeJS.ErrnoException).code === 'ENOENT') {
        await once(r.child, 'exit').catch(() => undefined);
        throw early();
      }
      throw err;
    }
    if (committed > 0) {
      first ??= sample;
      if (!last || committed > last.committed) last = sample;
      const complete = committed >= o.target;
      if (complete || t - first.t >= o.capMs) {
        return { first, last, complete, peakRssMiB: processPeakRssMiB(r.pid), rssMiB: processRssMiB(r.pid) };
      }
    } else if (t - r.spawnedAt > o.firstCommitTimeoutMs) {
      throw new Error(`${SYSTEM_LABELS[r.deployment.system]} committed nothing within ${o.firstCommitTimeoutMs} ms:\n${r.log()}`);
    }
    await new Promise((res) => setTimeout(res, o.pollMs));
  }
}

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

/**
 * Creates `topic` with `partitions` partitions, registers the bench raw schema under <topic>-value
 * and writes `records` wide raw orders (seq 0..records-1, round-robin over the partitions,
 * created_at = now) in sendBatch calls of 1000 with acks -1, `concurrency` at a time.
 */
export async function seedTopic(
  kafka: Kafka,
  admin: Admin,
  registry: RegistryClient,
  topic: string,
  partitions: number,
  records: number,
  concurrency = 1,
): Promise<{ schemaId: number; rate: number; meanValueBytes: number }> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  const schemaId = await registry.register(`${topic}-value`, benchSchema('raw-order.avsc'));
  if (records === 0) return { schemaId, rate: Number.NaN, meanValueBytes: Number.NaN };
  const encode = encoder(schemaId);
  // A producer per topic: kafkajs keeps refreshing metadata for every topic a producer has sent
  // to, and fails once one of them is deleted.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  try {
    const lane = async () => {
      while (next < records) {
        const from = next;
        const to = Math.min(records, from + 1_000);
        next = to;
        const now = Date.now();
        const messages = [];
        for (let seq = from; seq < to; seq++) {
          const value = encode(seq, now);
          bytes += value.length;
          messages.push({ key: `o-${seq}`, value, partition: seq % partitions });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  const end = await topicEnd(admin, topic);
  if (end !== records) throw new Error(`seeded ${records} records but ${topic} ends at ${end}`);
  return { schemaId, rate: records / seconds, meanValueBytes: bytes / records };
}
