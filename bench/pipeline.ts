/**
 * `npm run bench`: a first full-pipeline benchmark. Per round, a fresh copy of the
 * orders-enriched product (own topics, own consumer group) gets a backlog of N valid raw orders,
 * then `dataprod run` is started as its own process and timed until its group has committed all
 * N. Reports the steady drain rate, the total time including start-up, the worker's CPU time per
 * million events and its peak RSS; medians over the rounds.
 *
 *   npm run bench -- --records 200000 --rounds 3 --partitions 3
 *
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when both are set, otherwise starts a stack like the
 * tests do. Linux only (reads /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import avsc from 'avsc';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { RegistryClient } from '../src/contracts/registry-client.js';
import { frame } from '../src/contracts/wire.js';
import { rawOrder } from '../src/demo/generators.js';
import { APICURIO_VERSION, KAFKA_VERSION, startStack, type Stack } from '../src/devstack/index.js';
import {
  copyProduct,
  machineDescription,
  machineJiffies,
  mainThreadCpuSeconds,
  median,
  processCpuSeconds,
  processPeakRssMiB,
  readJson,
  repoRoot,
  type BenchProduct,
} from './support.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '3' },
  },
});
const positiveInt = (flag: string, raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${raw}: must be a positive integer`);
  return n;
};
const RECORDS = positiveInt('records', values.records);
const ROUNDS = positiveInt('rounds', values.rounds);
const PARTITIONS = positiveInt('partitions', values.partitions);
const SEND_BATCH = 1_000;
const POLL_MS = 200;
const DRAIN_TIMEOUT_MS = 120_000 + RECORDS * 2;

const bin = join(repoRoot, 'bin', 'dataprod.js');
const rawSchema = readJson(join(repoRoot, 'products', 'orders-enriched', 'schemas', 'raw-order.avsc'));
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);

interface RoundResult {
  round: number;
  /** Events per second from the first observed commit to all N committed. */
  drainRate: number;
  /** Seconds from spawning the worker to all N committed. */
  totalSeconds: number;
  /** Seconds from spawning the worker to the first observed commit (start-up + group join + first batches). */
  firstCommitSeconds: number;
  /** Worker utime + stime over its whole life up to all N committed. */
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
  /** Worker CPU time during the steady drain per million events drained in it (start-up excluded). */
  drainCpuSecondsPerMillion: number;
  /** Worker CPU time during the steady drain divided by its wall time: cores the worker kept busy. */
  workerCoresInDrain: number;
  /** The same for the worker's main (JavaScript) thread alone: 1.00 means that thread never waited. */
  mainThreadCoresInDrain: number;
  /**
   * Busy cores of the whole machine during one second just before the worker starts, when nothing
   * of the benchmark runs: anything well above zero is other load sharing the machine.
   */
  backgroundCores: number;
  /** Busy time of the whole machine (worker, broker, registry, bench) during the steady drain, in cores. */
  machineCoresInDrain: number;
  peakRssMiB: number;
  seedRate: number;
  meanValueBytes: number;
  outputRecords: number;
  deadLetters: number;
  exitCode: number | null;
}

const machine = machineDescription();
const stack: Stack = await startStack();
const kafka = new Kafka({ clientId: 'dataprod-bench', brokers: stack.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const registry = new RegistryClient({ url: stack.schemaRegistryUrl });

const kafkaKind = stack.kind === 'local' ? `local (Apache Kafka ${KAFKA_VERSION} KRaft single node, Apicurio Registry ${APICURIO_VERSION}, JVMs on this machine)` : stack.kind;
console.log(`dataprod pipeline benchmark
  machine:    ${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM
  node:       ${process.version}
  kafka:      ${kafkaKind}
  workload:   ${RECORDS} valid raw orders per round, ${PARTITIONS} input partitions, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, product orders-enriched
`);

let current: { product: BenchProduct; worker?: ChildProcess } | undefined;
let cleaningUp: Promise<void> | undefined;

/** Removes one round's topics, group, subjects and folder; every step best effort. */
async function cleanRound(product: BenchProduct): Promise<void> {
  await admin.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic], timeout: 30_000 }).catch(() => undefined);
  await admin.deleteGroups([product.group]).catch(() => undefined);
  for (const subject of [product.inputSubject, `${product.outputTopic}-value`]) {
    const url = `${stack.schemaRegistryUrl}/subjects/${encodeURIComponent(subject)}`;
    await fetch(url, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
  product.remove();
}

async function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    if (current) {
      if (current.worker && current.worker.exitCode === null && current.worker.signalCode === null) {
        const exited = once(current.worker, 'exit');
        current.worker.kill('SIGKILL');
        await exited;
      }
      await cleanRound(current.product);
      current = undefined;
    }
    await admin.disconnect().catch(() => undefined);
    await stack.stop();
  })();
  return cleaningUp;
}

process.once('SIGINT', () => {
  console.error('\nSIGINT: cleaning up...');
  void cleanup().finally(() => process.exit(130));
});

async function committedTotal(adminClient: Admin, group: string, topic: string): Promise<number> {
  const [committed] = await adminClient.fetchOffsets({ groupId: group, topics: [topic] });
  return (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function topicEnd(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

async function seed(product: BenchProduct): Promise<{ rate: number; meanValueBytes: number }> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
  const schemaId = await registry.register(product.inputSubject, rawSchema);
  // A producer per round: kafkajs keeps refreshing metadata for every topic a producer has sent
  // to, and fails once an earlier round's topic is deleted.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let bytes = 0;
  let seconds: number;
  try {
    const started = performance.now();
    for (let start = 0; start < RECORDS; start += SEND_BATCH) {
      const messages = [];
      const now = Date.now();
      for (let seq = start; seq < Math.min(RECORDS, start + SEND_BATCH); seq++) {
        const value = frame(schemaId, rawType.toBuffer(rawOrder(seq, now, 'valid')));
        bytes += value.length;
        messages.push({ key: `o-${seq}`, value, partition: seq % PARTITIONS });
      }
      await producer.send({ topic: product.inputTopic, acks: -1, messages });
    }
    seconds = (performance.now() - started) / 1000;
  } finally {
    await producer.disconnect();
  }
  const end = await topicEnd(product.inputTopic);
  if (end !== RECORDS) throw new Error(`seeded ${RECORDS} records but ${product.inputTopic} ends at ${end}`);
  return { rate: RECORDS / seconds, meanValueBytes: bytes / RECORDS };
}

async function runRound(round: number): Promise<RoundResult> {
  const product = copyProduct('orders-enriched');
  current = { product };
  process.stdout.write(`round ${round}: seeding ${RECORDS} records into ${product.inputTopic}... `);
  const seeded = await seed(product);
  console.log(`${Math.round(seeded.rate)} records/s, ${seeded.meanValueBytes.toFixed(0)} bytes per value`);

  const quietStart = machineJiffies();
  await new Promise((r) => setTimeout(r, 1_000));
  const quietEnd = machineJiffies();
  const backgroundCores = ((quietEnd.busy - quietStart.busy) / Math.max(1, quietEnd.total - quietStart.total)) * machine.cores;

  const log: string[] = [];
  const keepLog = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 200) log.shift();
  };
  const t0 = performance.now();
  const worker = spawn(process.execPath, [bin, 'run', product.dir], {
    env: {
      ...process.env,
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      DATAPROD_HTTP_HOST: '127.0.0.1',
      DATAPROD_HTTP_PORT: '0',
      DATAPROD_LOG_LEVEL: 'warn',
    },
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current.worker = worker;
  worker.stdout!.on('data', keepLog);
  worker.stderr!.on('data', keepLog);
  const pid = worker.pid!;

  let first: { t: number; committed: number; cpu: number; mainCpu: number; jiffies: ReturnType<typeof machineJiffies> } | undefined;
  let done: { t: number; cpu: number; mainCpu: number; rss: number; jiffies: ReturnType<typeof machineJiffies> } | undefined;
  while (!done) {
    if (worker.exitCode !== null || worker.signalCode !== null) {
      throw new Error(`worker exited early (code ${worker.exitCode}, signal ${worker.signalCode}):\n${log.join('').slice(-4000)}`);
    }
    if (performance.now() - t0 > DRAIN_TIMEOUT_MS) {
      throw new Error(`worker did not commit ${RECORDS} records within ${DRAIN_TIMEOUT_MS} ms:\n${log.join('').slice(-4000)}`);
    }
    const committed = await committedTotal(admin, product.group, product.inputTopic).catch(() => 0);
    const t = performance.now();
    if (committed > 0 && !first) first = { t, committed, cpu: processCpuSeconds(pid), mainCpu: mainThreadCpuSeconds(pid), jiffies: machineJiffies() };
    if (committed >= RECORDS) {
      // Sampled before the worker is stopped: the drain is over, the shutdown is not measured.
      done = { t, cpu: processCpuSeconds(pid), mainCpu: mainThreadCpuSeconds(pid), rss: processPeakRssMiB(pid), jiffies: machineJiffies() };
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const exited = once(worker, 'exit');
  worker.kill('SIGTERM');
  // A worker that does not stop within 60 s is killed (and the round reported as failed).
  const killer = setTimeout(() => worker.kill('SIGKILL'), 60_000);
  const [exitCode] = (await exited) as [number | null];
  clearTimeout(killer);
  if (exitCode !== 0) console.error(`round ${round}: worker exited with ${exitCode} after SIGTERM:\n${log.join('').slice(-4000)}`);

  const outputRecords = await topicEnd(product.outputTopic);
  const deadLetters = await topicEnd(product.dlqTopic);
  await cleanRound(product);
  current = undefined;

  const f = first!;
  // When the whole backlog was committed before the first poll saw anything, there is no drain window.
  const drainSeconds = (done.t - f.t) / 1000;
  const busy = done.jiffies.busy - f.jiffies.busy;
  const total = done.jiffies.total - f.jiffies.total;
  return {
    round,
    drainRate: drainSeconds > 0 ? (RECORDS - f.committed) / drainSeconds : Number.NaN,
    totalSeconds: (done.t - t0) / 1000,
    firstCommitSeconds: (f.t - t0) / 1000,
    cpuSeconds: done.cpu,
    cpuSecondsPerMillion: (done.cpu / RECORDS) * 1e6,
    drainCpuSecondsPerMillion: RECORDS > f.committed ? ((done.cpu - f.cpu) / (RECORDS - f.committed)) * 1e6 : Number.NaN,
    workerCoresInDrain: drainSeconds > 0 ? (done.cpu - f.cpu) / drainSeconds : Number.NaN,
    mainThreadCoresInDrain: drainSeconds > 0 ? (done.mainCpu - f.mainCpu) / drainSeconds : Number.NaN,
    backgroundCores,
    machineCoresInDrain: total > 0 ? (busy / total) * machine.cores : Number.NaN,
    peakRssMiB: done.rss,
    seedRate: seeded.rate,
    meanValueBytes: seeded.meanValueBytes,
    outputRecords,
    deadLetters,
    exitCode,
  };
}

const columns: [string, (r: RoundResult) => string][] = [
  ['events/s (drain)', (r) => r.drainRate.toFixed(0)],
  ['total s', (r) => r.totalSeconds.toFixed(1)],
  ['1st commit s', (r) => r.firstCommitSeconds.toFixed(1)],
  ['worker CPU s', (r) => r.cpuSeconds.toFixed(1)],
  ['CPU s / M events', (r) => r.cpuSecondsPerMillion.toFixed(1)],
  ['drain CPU s / M', (r) => r.drainCpuSecondsPerMillion.toFixed(1)],
  ['worker cores', (r) => r.workerCoresInDrain.toFixed(2)],
  ['main thread cores', (r) => r.mainThreadCoresInDrain.toFixed(2)],
  ['machine cores', (r) => r.machineCoresInDrain.toFixed(2)],
  ['background cores', (r) => r.backgroundCores.toFixed(2)],
  ['peak RSS MiB', (r) => r.peakRssMiB.toFixed(0)],
];

function row(label: string, cells: string[]): string {
  return `${label.padEnd(8)}${cells.map((c, i) => c.padStart(columns[i]![0].length + 2)).join('')}`;
}

/** The median of every measured column (each column on its own). */
function medianOf(rs: RoundResult[]): RoundResult {
  const pick = (key: keyof RoundResult) => median(rs.map((r) => r[key] as number));
  return {
    ...rs[0]!,
    drainRate: pick('drainRate'),
    totalSeconds: pick('totalSeconds'),
    firstCommitSeconds: pick('firstCommitSeconds'),
    cpuSeconds: pick('cpuSeconds'),
    cpuSecondsPerMillion: pick('cpuSecondsPerMillion'),
    drainCpuSecondsPerMillion: pick('drainCpuSecondsPerMillion'),
    workerCoresInDrain: pick('workerCoresInDrain'),
    mainThreadCoresInDrain: pick('mainThreadCoresInDrain'),
    machineCoresInDrain: pick('machineCoresInDrain'),
    backgroundCores: pick('backgroundCores'),
    peakRssMiB: pick('peakRssMiB'),
  };
}

let failed = false;
const results: RoundResult[] = [];
try {
  await admin.connect();
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await runRound(round);
    results.push(r);
    const checks = [
      r.exitCode === 0 ? 'exit 0' : `EXIT ${r.exitCode}`,
      `${r.outputRecords} outputs${r.outputRecords === RECORDS ? '' : ` (EXPECTED ${RECORDS})`}`,
      `${r.deadLetters} dead letters`,
    ];
    if (r.exitCode !== 0 || r.outputRecords < RECORDS || r.deadLetters !== 0) failed = true;
    if (r.backgroundCores > 0.3) {
      console.log(`round ${r.round}: WARNING: ${r.backgroundCores.toFixed(2)} cores were busy before the worker started: something else shares this machine, this round's numbers are not clean`);
    }
    console.log(
      `round ${r.round}: ${r.drainRate.toFixed(0)} events/s drain, ${r.totalSeconds.toFixed(1)} s total (first commit after ${r.firstCommitSeconds.toFixed(1)} s), ` +
        `${r.cpuSecondsPerMillion.toFixed(1)} CPU s / M events, peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${checks.join(', ')}`,
    );
  }
} catch (err) {
  failed = true;
  console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}

if (results.length > 0) {
  console.log(`
results (${RECORDS} records, ${PARTITIONS} partitions; drain = from the first observed commit to all committed, polled every ${POLL_MS} ms;
total = from spawning the worker to all committed; CPU = worker utime+stime incl. start-up; drain CPU = the worker's
CPU during the drain only; worker / main thread / machine cores = busy cores during the drain, for the worker process,
its JavaScript thread alone, and the whole machine incl. broker and registry; background cores = machine busy in the 1 s
before the worker starts, i.e. load that is not this benchmark)
${row('', columns.map(([h]) => h))}
${results.map((r) => row(`round ${r.round}`, columns.map(([, f]) => f(r)))).join('\n')}
${row('median', columns.map(([, f]) => f(medianOf(results))))}
machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB; node ${process.version}; kafka ${stack.kind}`);
}
process.exit(failed ? 1 : 0);
