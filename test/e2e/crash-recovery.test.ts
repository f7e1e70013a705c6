/**
 * `dataprod run` as a real process, killed mid-stream. A count oracle over numbered records: every
 * input ends up published, dead-lettered or filtered; duplicates only come from the window that
 * was not committed when the worker died, and a SIGTERM drain leaves none at all.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../src/demo/generators.js';
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

interface Scenario {
  product: ProductCopy;
  /** Committed offset per partition right after the first worker stopped. */
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

  function startWorker(product: ProductCopy, log: string[], env: NodeJS.ProcessEnv): ChildProcess {
    // The restarted worker waits the session timeout for the killed one's partitions.
    const worker = spawnWorker(product.dir, stack, { DATAPROD_SHUTDOWN_GRACE_MS: '20000', DATAPROD_SESSION_TIMEOUT_MS: '8000', ...env });
    worker.child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    worker.child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    return worker.child;
  }

  /** Seq n goes to partition n % 3 at offset floor(n / 3): the oracle knows every record's position. */
  const offsetOf = (seq: number) => Math.floor(seq / PARTITIONS);

  // The SIGTERM drain runs with the processing thread, so its shutdown (the thread ends last) is covered too.
  async function run(stop: 'SIGKILL' | 'SIGTERM'): Promise<Scenario> {
    const env = { DATAPROD_PROCESSING_THREAD: String(stop === 'SIGTERM') };
    const product = copyProduct('orders-enriched');
    copies.push(product);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    const encode = (seq: number): Buffer =>
      kindOf(seq) === 'not-avro' ? Buffer.from(`{"order_id":"o-${seq}"}`) : frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now())));

    const log: string[] = [];
    let worker = startWorker(product, log, env);
    // Produce while the worker runs, so it is stopped with work in flight.
    const producing = (async () => {
      for (let start = 0; start < TOTAL; start += CHUNK) {
        const messages = [];
        for (let seq = start; seq < start + CHUNK; seq++) messages.push({ key: `o-${seq}`, value: encode(seq), partition: seq % PARTITIONS });
        await producer.send({ topic: product.inputTopic, acks: -1, messages });
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed >= 400, {
      what: 'the worker to commit a first share',
      timeoutMs: 60_000,
      abortReason: () => (worker.exitCode !== null ? `worker exited early:\n${log.join('')}` : undefined),
    });
    const exited = once(worker, 'exit');
    worker.kill(stop);
    const [exitCode, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    const [committed] = await admin.fetchOffsets({ groupId: product.group, topics: [product.inputTopic] });
    const committedAtStop = Array.from({ length: PARTITIONS }, (_, p) => Number(committed!.partitions.find((x) => x.partition === p)?.offset ?? 0));
    assert.ok(committedAtStop.reduce((a, b) => a + b, 0) < TOTAL, 'stopped mid-stream');
    console.error(`[${stop}] committed at stop: ${JSON.stringify(committedAtStop)}`);
    if (stop === 'SIGKILL') assert.equal(signal, 'SIGKILL');

    await producing;
    worker = startWorker(product, log, env);
    try {
      await waitUntil(async () => {
        const { committed: c, end } = await groupProgress(admin, product.group, product.inputTopic);
        return end === TOTAL && c === TOTAL;
      }, { what: 'the restarted worker to drain the topic', timeoutMs: 120_000, abortReason: () => (worker.exitCode !== null ? `restarted worker exited:\n${log.join('')}` : undefined) });
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
      `${duplicated.slice(0, 10).map((q) => `p${q % PARTITIONS}@${offsetOf(q)}`).join(' ')}\n` +
      s.log.join('').split('\n').filter((l) => !l.includes('"level":30') || /group|stopping|stopped|signal/.test(l)).slice(-60).join('\n');
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
        assert.ok(offsetOf(seq) >= s.committedAtStop[seq % PARTITIONS]!, `${key} at offset ${offsetOf(seq)} was committed before the crash yet came twice; ${context()}`);
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
