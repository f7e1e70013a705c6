/**
 * System (k) of bench:compare, the physical limit: Kafka's own kafka-consumer-perf-test reading
 * the seeded input topic and kafka-producer-perf-test writing as many records of the same mean
 * size to an output topic, both at once, each a JVM started from the kafka-tools jars the local
 * stack already resolved (the classes the two shell scripts run, with their heap and GC flags).
 * No decoding, no checks, no per-record work: the cost of moving the bytes in and out through
 * Kafka's reference clients, against which the other systems' CPU per event is a ratio.
 *
 * The pair is watched like the other drains (bench/harness/drain.ts), with "committed" = the
 * records both have done: min(consumed, as the consumer's detailed stats print it; produced, the
 * output topic's end offsets). CPU and RSS are the two JVMs' together; main thread cores mean
 * nothing for a JVM and are left out.
 */
import { performance } from 'node:perf_hooks';
import { kafkaLibDir, provisionKafka } from '../../src/devstack/index.js';
import { exitOf, exited, kill, spawnProcess, type Child } from './child.js';
import type { Bench } from './context.js';
import { FIRST_COMMIT_TIMEOUT_MS, POLL_MS, drainMetrics, type Drain, type DrainResult, type Sample } from './drain.js';
import { createTopics, topicEnd } from './kafka.js';
import { backgroundCores, machineJiffies, processCpuSeconds, processPeakRssMiB, processRssMiB } from './machine.js';
import { repoRoot, uniqueSuffix } from './product.js';

/** What kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh give the JVM (kafka-run-class.sh's defaults). */
const JVM_FLAGS = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  '-Dlog4j.configuration=file:/dev/null',
];

/** One line of ConsumerPerformance --show-detailed-stats: `time, threadId, MB, MB.sec, nMsg, ...`; nMsg is cumulative. */
export function consumedOf(line: string): number | undefined {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length < 10 || !/^\d{4}-\d\d-\d\d /.test(cells[0]!)) return undefined;
  const n = Number(cells[4]);
  return Number.isFinite(n) ? n : undefined;
}

function java(tool: 'ConsumerPerformance' | 'ProducerPerformance', args: string[]): Child {
  return spawnProcess('java', ['-cp', `${kafkaLibDir()}/*`, ...JVM_FLAGS, `org.apache.kafka.tools.${tool}`, ...args], repoRoot);
}

/** Both tools on `inputTopic` (seeded with `records` values of `valueBytes` on average), watched until both are done. */
export async function runKafkaPerfDrain(
  bench: Bench,
  round: number,
  inputTopic: string,
  o: { records: number; capMs: number; valueBytes: number },
): Promise<DrainResult> {
  await provisionKafka();
  const background = await backgroundCores();
  const suffix = uniqueSuffix();
  const outputTopic = `bench.out-k.${suffix}`;
  const group = `bench.k.${suffix}`;
  const remove = bench.cleanup.add(async () => {
    await bench.admin.deleteTopics({ topics: [outputTopic], timeout: 30_000 }).catch(() => undefined);
    await bench.admin.deleteGroups([group]).catch(() => undefined);
  });
  const brokers = bench.stack.brokers.join(',');
  let tools: Child[] = [];
  const killTools = bench.cleanup.add(async () => {
    for (const t of tools) await kill(t);
  });
  try {
    await createTopics(bench, [outputTopic]);
    // The consumer's own timeout is between records: the cap below ends a stuck run first.
    const consumer = java('ConsumerPerformance', [
      ...['--bootstrap-server', brokers, '--topic', inputTopic, '--group', group],
      ...['--messages', String(o.records), '--timeout', '60000', '--show-detailed-stats', '--reporting-interval', String(POLL_MS)],
    ]);
    const producer = java('ProducerPerformance', [
      ...['--topic', outputTopic, '--num-records', String(o.records), '--record-size', String(Math.round(o.valueBytes))],
      ...['--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all'],
    ]);
    tools = [consumer, producer];
    let consumed = 0;
    consumer.onLine((line) => (consumed = Math.max(consumed, consumedOf(line) ?? consumed)));

    // Per tool: the last CPU time and peak RSS read while it was alive (an exited JVM keeps them).
    const cpu = new Map<Child, number>();
    const peak = new Map<Child, number>();
    const rss = new Map<Child, number>();
    const read = () => {
      for (const t of tools) {
        if (exited(t)) continue;
        try {
          cpu.set(t, processCpuSeconds(t.pid));
          // An exited JVM not yet reaped (a zombie) has no memory lines: NaN, keep the last value.
          const [peakNow, rssNow] = [processPeakRssMiB(t.pid), processRssMiB(t.pid)];
          if (Number.isFinite(peakNow)) peak.set(t, peakNow);
          if (Number.isFinite(rssNow)) rss.set(t, rssNow);
        } catch {
          // gone between the check and the read: keep its last values
        }
      }
    };
    const sum = (m: Map<Child, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const spawnedAt = performance.now();
    let first: Sample | undefined;
    let last: Sample | undefined;
    let complete = false;
    for (;;) {
      if (exited(consumer) && consumer.process.exitCode === 0) consumed = o.records;
      const produced = await topicEnd(bench.admin, outputTopic).catch(() => 0);
      read();
      const t = performance.now();
      const done = Math.min(consumed, produced);
      const sample: Sample = {
        t,
        monoUs: Number(process.hrtime.bigint() / 1000n),
        committed: done,
        cpu: sum(cpu),
        mainCpu: Number.NaN,
        jiffies: machineJiffies(),
      };
      if (done > 0) {
        first ??= sample;
        if (!last || done > last.committed) last = sample;
        complete = done >= o.records;
        if (complete || t - first.t >= o.capMs) break;
      } else if (t - spawnedAt > FIRST_COMMIT_TIMEOUT_MS) {
        throw new Error(`Kafka's perf tools moved nothing within ${FIRST_COMMIT_TIMEOUT_MS} ms:\n${consumer.log()}\n${producer.log()}`);
      }
      const failed = tools.find((c) => exited(c) && c.process.exitCode !== 0);
      if (failed) throw new Error(`a Kafka perf tool exited with code ${failed.process.exitCode}:\n${failed.log()}`);
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
    const drain: Drain = { first: first!, last: last!, complete, peakRssMiB: sum(peak), rssMiB: sum(rss) };
    const problems: string[] = [];
    const exitCodes = complete ? await Promise.all(tools.map((t) => exitOf(t, 60_000))) : [];
    if (exitCodes.some((c) => c !== 0)) problems.push(`exit codes ${exitCodes.join(', ')}:\n${consumer.log()}\n${producer.log()}`);
    const outputs = await topicEnd(bench.admin, outputTopic);
    if (complete && outputs !== o.records) problems.push(`${outputs} output records for ${o.records} inputs`);
    return {
      system: 'k',
      round,
      m: drainMetrics(drain, spawnedAt, bench.machine.cores),
      drain,
      pid: consumer.pid,
      complete,
      backgroundCores: background,
      peakRssMiB: drain.peakRssMiB,
      rssMiB: drain.rssMiB,
      exitCode: exitCodes.find((c) => c !== 0) ?? 0,
      outputs,
      committed: drain.last.committed,
      deadLetters: 0,
      problems,
    };
  } finally {
    await killTools();
    await remove();
  }
}
