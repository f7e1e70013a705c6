/**
 * `dataprod run` as a real process, killed mid-stream. A count oracle over numbered records: every
 * input ends up published, dead-lettered or filtered; duplicates only come from the window that
 * was not committed when the worker died, and a SIGTERM drain leaves none at all.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { Stack } from '../../src/devstack/index.js';
import { DLQ_HEADER } from '../../src/pipeline/dead-letter.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { connectClients, spawnWorker } from '../support/worker.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';

const PARTITIONS = 3;
const TOTAL = 3_000;
const CHUNK = 100;
/** Produced before anything else; the worker commits part of it before it is stopped. */
const FIRST_SHARE = 600;
/** Produced only once the first worker has exited, so it is stopped mid-stream however fast it is. */
const HELD_BACK = 900;

interface Scenario {
  product: ProductCopy;
  /** Committed offset per partition right after the first worker stopped (0 where it committed none). */
  committedAtStop: number[];
  exitCode: number | null;
  outputs: Map<string, number>;
  deadLetters: Map<string, number>;
  /** Both workers' JSON logs, shown when the oracle fails. */
  log: string[];
}

describe('worker process: crash and drain', { timeout: 300_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  const copies: ProductCopy[] = [];

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
  });

  after(async () => {
    await producer?.disconnect();
    for (const p of copies) {
      await admin.deleteTopics({ topics: [p.inputTopic, p.outputTopic, p.dlqTopic] }).catch(() => undefined);
      p.remove();
    }
    await admin?.disconnect();
  });

  function startWorker(product: ProductCopy, log: string[]): ChildProcess {
    // The restarted worker waits the session timeout for the killed one's partitions.
    const worker = spawnWorker(product.dir, stack, { DATAPROD_SHUTDOWN_GRACE_MS: '20000', DATAPROD_SESSION_TIMEOUT_MS: '8000' });
    worker.child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    worker.child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    return worker.child;
  }

  /** Seq n goes to partition n % 3 at offset floor(n / 3): the oracle knows every record's position. */
  const offsetOf = (seq: number) => Math.floor(seq / PARTITIONS);

  async function run(stop: 'SIGKILL' | 'SIGTERM'): Promise<Scenario> {
    const product = copyProduct('orders-enriched');
    copies.push(product);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    const encode = (seq: number): Buffer =>
      kindOf(seq) === 'not-avro' ? Buffer.from(`{"order_id":"o-${seq}"}`) : frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now())));
    // Records go out in seq order, one awaited send at a time, so seq n lands at offsetOf(n).
    let produced = 0;
    const produceUpTo = async (end: number): Promise<void> => {
      const messages = [];
      for (let seq = produced; seq < end; seq++) messages.push({ key: `o-${seq}`, value: encode(seq), partition: seq % PARTITIONS });
      await producer.send({ topic: product.inputTopic, acks: -1, messages });
      produced = end;
    };

    const log: string[] = [];
    let worker = startWorker(product, log);
    // The input comes in three parts, so the oracle does not depend on how fast the worker is:
    // a first share it commits part of; more, produced while it is being stopped (work in flight);
    // and the rest only after it has exited, so it stops mid-stream on an idle broker or a busy one.
    while (produced < FIRST_SHARE) await produceUpTo(Math.min(produced + CHUNK, FIRST_SHARE));
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed >= FIRST_SHARE / 2, {
      what: 'the worker to commit part of the first share',
      timeoutMs: 60_000,
      intervalMs: 50,
      abortReason: () => (worker.exitCode !== null ? `worker exited early:\n${log.join('')}` : undefined),
    });
    // `dataprod run` re-executed itself with V8's worker flags (src/cli/worker-node-flags.ts) under
    // the same pid: the process the signal below stops is the worker itself.
    assert.match(readFileSync(`/proc/${worker.pid}/cmdline`, 'utf8'), /\0--max-semi-space-size=16\0/);
    let stopped = false;
    let sendFailed: Error | undefined;
    const producing = (async () => {
      while (!stopped && produced < TOTAL - HELD_BACK) {
        await produceUpTo(Math.min(produced + CHUNK, TOTAL - HELD_BACK));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    // Awaited below; until then a failed send is only noted, not left unhandled.
    producing.catch((err: Error) => (sendFailed = err));
    // A couple of chunks past the first share, so the stop lands while the worker has records to process.
    await waitUntil(async () => produced >= FIRST_SHARE + 2 * CHUNK, {
      what: 'the producer to get going',
      timeoutMs: 30_000,
      intervalMs: 10,
      abortReason: () => sendFailed?.message ?? (worker.exitCode !== null ? `worker exited early:\n${log.join('')}` : undefined),
    });

    const exited = once(worker, 'exit');
    worker.kill(stop);
    const [exitCode, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    stopped = true;
    await producing;
    const producedAtStop = produced;
    const [committed] = await admin.fetchOffsets({ groupId: product.group, topics: [product.inputTopic] });
    const committedAtStop = Array.from({ length: PARTITIONS }, (_, p) =>
      Math.max(0, Number(committed!.partitions.find((x) => x.partition === p)?.offset ?? 0)),
    );
    console.error(`[${stop}] committed at stop: ${JSON.stringify(committedAtStop)} of ${producedAtStop} produced then, ${TOTAL} in all`);
    assert.ok(committedAtStop.reduce((a, b) => a + b, 0) <= producedAtStop && producedAtStop <= TOTAL - HELD_BACK, 'stopped mid-stream');
    if (stop === 'SIGKILL') assert.equal(signal, 'SIGKILL');

    while (produced < TOTAL) await produceUpTo(Math.min(produced + CHUNK, TOTAL));
    worker = startWorker(product, log);
    try {
      await waitUntil(
        async () => {
          const { committed: c, end } = await groupProgress(admin, product.group, product.inputTopic);
          return end === TOTAL && c === TOTAL;
        },
        {
          what: 'the restarted worker to drain the topic',
          timeoutMs: 120_000,
          abortReason: () => (worker.exitCode !== null ? `restarted worker exited:\n${log.join('')}` : undefined),
        },
      );
    } finally {
      const done = once(worker, 'exit');
      worker.kill('SIGTERM');
      const [code] = (await done) as [number | null];
      assert.equal(code, 0, `the second worker drained and exited 0:\n${log.join('').slice(-3000)}`);
    }

    const expectedOutputs = Array.from({ length: TOTAL }, (_, seq) => seq).filter((seq) => kindOf(seq) === 'valid').length;
    const expectedDlq = Array.from({ length: TOTAL }, (_, seq) => seq).filter((seq) => !['valid', 'filtered'].includes(kindOf(seq))).length;
    const count = (records: { key: string | null }[]) => {
      const map = new Map<string, number>();
      for (const r of records) map.set(r.key!, (map.get(r.key!) ?? 0) + 1);
      return map;
    };
    const outputs = count(await readTopic(kafka, product.outputTopic, expectedOutputs, 90_000));
    const dlqRecords = await readTopic(kafka, product.dlqTopic, expectedDlq, 90_000);
    for (const r of dlqRecords) {
      // The dead-letter headers point back at the source record the oracle placed there.
      const seq = Number(r.key!.slice(2));
      assert.equal(Number(r.headers[DLQ_HEADER.partition]), seq % PARTITIONS);
      assert.equal(Number(r.headers[DLQ_HEADER.offset]), offsetOf(seq));
      assert.equal(r.headers[DLQ_HEADER.reason], kindOf(seq));
    }
    return { product, committedAtStop, exitCode, outputs, deadLetters: count(dlqRecords), log };
  }

  function checkOracle(s: Scenario, allowDuplicates: boolean): void {
    const duplicated = [...s.outputs, ...s.deadLetters].filter(([, n]) => n > 1).map(([k]) => Number(k.slice(2)));
    const context = () =>
      `committed at stop ${JSON.stringify(s.committedAtStop)}; ${duplicated.length} duplicated, e.g. ` +
      `${duplicated
        .slice(0, 10)
        .map((q) => `p${q % PARTITIONS}@${offsetOf(q)}`)
        .join(' ')}\n` +
      s.log
        .join('')
        .split('\n')
        .filter((l) => !l.includes('"level":30') || /group|stopping|stopped|signal/.test(l))
        .slice(-60)
        .join('\n');
    for (let seq = 0; seq < TOTAL; seq++) {
      const key = `o-${seq}`;
      const kind = kindOf(seq);
      const published = s.outputs.get(key) ?? 0;
      const deadLettered = s.deadLetters.get(key) ?? 0;
      if (kind === 'valid') assert.ok(published >= 1 && deadLettered === 0, `${key} published (${published}, dlq ${deadLettered})`);
      else if (kind === 'filtered') assert.ok(published === 0 && deadLettered === 0, `${key} filtered`);
      else assert.ok(deadLettered >= 1 && published === 0, `${key} dead-lettered as ${kind}`);
      const copies = published + deadLettered;
      if (copies > 1) {
        assert.ok(allowDuplicates, `${key} duplicated after a clean drain; ${context()}`);
        // Only records the first worker had not committed may come twice.
        assert.ok(
          offsetOf(seq) >= s.committedAtStop[seq % PARTITIONS]!,
          `${key} at offset ${offsetOf(seq)} was committed before the crash yet came twice; ${context()}`,
        );
      }
    }
  }

  it('SIGKILL mid-stream: nothing lost, duplicates only from the uncommitted window', async () => {
    const s = await run('SIGKILL');
    checkOracle(s, true);
  });

  it('SIGTERM mid-stream: clean drain with exit 0, no duplicates after restart', async () => {
    const s = await run('SIGTERM');
    assert.equal(s.exitCode, 0);
    checkOracle(s, false);
  });
});
