/**
 * `dataprod run` as a real process while its only Kafka broker dies. A private local stack, so
 * killing the broker harms no other test.
 *
 * - A short outage (SIGKILL, a few seconds, restart on the same ports and data) loses nothing:
 *   every order produced before, during and after it ends up on the output topic and the group
 *   commits to the end.
 * - Under `delivery: exactly-once` the same outage (input produced before it and after the restart,
 *   none while the broker is down) leaves every input record exactly once on the output topic in a
 *   read_committed read: 0 lost, 0 duplicates.
 * - A permanent outage ends the process with a non-zero code after a bounded number of consumer
 *   restarts, so a supervisor restarts it, instead of a worker that hangs forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { startLocalStack, type LocalStack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { groupProgress, readTopic, readTopicSettled } from '../support/kafka.js';
import { connectClients, spawnWorker, type WorkerProcess } from '../support/worker.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';

const PARTITIONS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type RunningWorker = WorkerProcess;

describe('worker process: broker failure', { timeout: 480_000 }, () => {
  let stack: LocalStack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  const copies: ProductCopy[] = [];
  const workers: RunningWorker[] = [];

  before(async () => {
    stack = await startLocalStack((m) => process.stderr.write(`[private stack] ${m}\n`));
    ({ kafka, admin, producer } = await connectClients(stack));
  });

  after(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGKILL');
        await w.exit;
      }
    }
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    // The whole private stack goes, topics and all: no topic to delete one by one.
    await stack?.stop();
    for (const p of copies) p.remove();
  });

  function startWorker(product: ProductCopy, extraEnv: NodeJS.ProcessEnv = {}): RunningWorker {
    const worker = spawnWorker(product.dir, stack, { DATAPROD_SESSION_TIMEOUT_MS: '8000', ...extraEnv });
    workers.push(worker);
    return worker;
  }

  const exited = (w: RunningWorker) => w.child.exitCode !== null || w.child.signalCode !== null;
  const lines = (w: RunningWorker, pattern: RegExp) =>
    w.log
      .join('')
      .split('\n')
      .filter((l) => pattern.test(l));
  /** The worker's log without kafkajs's info chatter, for failure messages. */
  const tail = (w: RunningWorker, n = 60) =>
    w.log
      .join('')
      .split('\n')
      .filter((l) => !l.includes('"level":30') || !l.includes('"component":"kafkajs"'))
      .slice(-n)
      .join('\n');

  async function setUpProduct(delivery?: 'exactly-once'): Promise<{ product: ProductCopy; encode: (seq: number) => Buffer }> {
    const product = copyProduct('orders-enriched', delivery ? (doc) => doc.set('delivery', delivery) : undefined);
    copies.push(product);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    return { product, encode: (seq) => frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now(), 'valid'))) };
  }

  /** Sends seqs [from, to) in chunks; a chunk whose send fails (broker down) is sent again until acknowledged. */
  async function produce(
    product: ProductCopy,
    encode: (seq: number) => Buffer,
    from: number,
    to: number,
    chunk = 50,
    pauseMs = 0,
  ): Promise<number> {
    let failures = 0;
    for (let start = from; start < to; start += chunk) {
      const messages = [];
      for (let seq = start; seq < Math.min(to, start + chunk); seq++)
        messages.push({ key: `o-${seq}`, value: encode(seq), partition: seq % PARTITIONS });
      for (;;) {
        try {
          await producer.send({ topic: product.inputTopic, acks: -1, messages });
          break;
        } catch {
          // At-least-once on our side too: a resent chunk may duplicate input records; the
          // oracle only needs every order at least once.
          failures += 1;
          await sleep(500);
        }
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    return failures;
  }

  it('a short broker outage (SIGKILL, restart) loses nothing', async () => {
    const BEFORE = 1_500;
    const AFTER = 500;
    const { product, encode } = await setUpProduct();
    const worker = startWorker(product);

    // A live stream: the broker dies while orders are produced and processed.
    const streaming = produce(product, encode, 0, BEFORE, 50, 100);
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed >= 300, {
      what: 'the worker to commit a first share',
      timeoutMs: 60_000,
      abortReason: () => (exited(worker) ? `worker exited early:\n${tail(worker)}` : undefined),
    });
    const [committed] = await admin.fetchOffsets({ groupId: product.group, topics: [product.inputTopic] });
    const committedAtKill = new Map(committed!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    const atKill = await groupProgress(admin, product.group, product.inputTopic);
    await stack.kafka.kill();
    const killedAt = Date.now();
    await sleep(5_000);
    await stack.kafka.start();
    const outageMs = Date.now() - killedAt;
    const sendFailures = await streaming;
    await produce(product, encode, BEFORE, BEFORE + AFTER);
    console.error(
      `[short outage] committed ${atKill.committed} of ${atKill.end} at the kill; broker down for ${outageMs} ms; ` +
        `${sendFailures} test sends retried; worker ${exited(worker) ? `EXITED ${worker.child.exitCode}` : 'alive'}`,
    );

    let drained = worker;
    if (exited(worker)) {
      // Restarts ran out: that is the supervisor's cue. Record it, restart, and still check nothing was lost.
      const { code } = await worker.exit;
      console.error(`[short outage] the worker exited with ${code} during the outage; restarting it\n${tail(worker, 30)}`);
      assert.notEqual(code, 0, 'a worker that gives up exits non-zero');
      drained = startWorker(product);
    }
    const TOTAL = BEFORE + AFTER;
    const drainStarted = Date.now();
    await waitUntil(
      async () => {
        const { committed, end } = await groupProgress(admin, product.group, product.inputTopic);
        return end >= TOTAL && committed === end;
      },
      {
        what: 'the group to commit to the end after the outage',
        timeoutMs: 120_000,
        abortReason: () => (exited(drained) ? `worker exited:\n${tail(drained)}` : undefined),
      },
    );
    console.error(`[short outage] group committed to the end ${Date.now() - drainStarted} ms after the last produce`);

    // Read the whole output topic (to its end offsets, not just TOTAL records: with duplicates a
    // count would stop before every partition was read).
    const outputs = await readTopic(kafka, product.outputTopic, await topicSize(product.outputTopic), 90_000);
    const seen = new Map<string, number>();
    for (const r of outputs) seen.set(r.key!, (seen.get(r.key!) ?? 0) + 1);
    const missing = Array.from({ length: TOTAL }, (_, seq) => `o-${seq}`).filter((k) => !seen.has(k));
    assert.deepEqual(missing, [], `every order published at least once; worker log:\n${tail(drained)}`);
    assert.equal(await topicSize(product.dlqTopic), 0, 'a broker outage dead-letters nothing');

    // Duplicates are the price of at-least-once, but only for records not committed at the kill:
    // a committed record published again would mean the commit was lost or ran ahead.
    const inputs = await readTopic(kafka, product.inputTopic, await topicSize(product.inputTopic), 90_000);
    const positions = new Map<string, { partition: number; offset: number }[]>();
    for (const r of inputs) positions.set(r.key!, [...(positions.get(r.key!) ?? []), { partition: r.partition, offset: Number(r.offset) }]);
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([key]) => key);
    const committedBeforeKill = duplicated.filter((key) => {
      const at = positions.get(key)!;
      // A chunk our producer sent again is in the input twice: its second output is no duplicate.
      return at.length === 1 && at[0]!.offset < (committedAtKill.get(at[0]!.partition) ?? 0);
    });
    assert.deepEqual(
      committedBeforeKill,
      [],
      `only records not yet committed at the kill (${JSON.stringify([...committedAtKill])}) may be published twice`,
    );
    const duplicates = duplicated.length;
    const restarts = lines(drained, /consumer failed; restarting/).length;
    console.error(
      `[short outage] ${outputs.length} outputs for ${TOTAL} orders (${duplicates} keys duplicated); ${restarts} consumer restarts logged`,
    );

    assert.ok(!exited(drained), `the worker is still running:\n${tail(drained)}`);
    const health = lines(drained, /control port listening/)[0];
    const url = (JSON.parse(health!) as { url: string }).url;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);

    drained.child.kill('SIGTERM');
    const { code } = await drained.exit;
    assert.equal(code, 0, `drained and exited 0 after the outage:\n${tail(drained)}`);
  });

  it('exactly-once: a short broker outage (SIGKILL, restart) writes every order exactly once', async () => {
    const BEFORE = 3_000;
    const AFTER = 1_000;
    const TOTAL = BEFORE + AFTER;
    const { product, encode } = await setUpProduct('exactly-once');
    // All of BEFORE is acknowledged before the broker dies and AFTER is sent only once it is back:
    // no test send is retried, so the input holds each order once and the oracle can be exact.
    assert.equal(await produce(product, encode, 0, BEFORE, 500), 0);
    let worker = startWorker(product);
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed >= 300, {
      what: 'the worker to commit a first share',
      timeoutMs: 60_000,
      intervalMs: 20,
      abortReason: () => (exited(worker) ? `worker exited early:\n${tail(worker)}` : undefined),
    });
    const atKill = await groupProgress(admin, product.group, product.inputTopic);
    await stack.kafka.kill();
    const killedAt = Date.now();
    await sleep(5_000);
    await stack.kafka.start();
    const outageMs = Date.now() - killedAt;
    const retried = await produce(product, encode, BEFORE, TOTAL, 500);
    console.error(
      `[exactly-once outage] committed ${atKill.committed} of ${atKill.end} at the kill; broker down for ${outageMs} ms; ` +
        `${retried} test sends retried; worker ${exited(worker) ? `EXITED ${worker.child.exitCode}` : 'alive'}`,
    );
    if (exited(worker)) {
      const { code } = await worker.exit;
      console.error(`[exactly-once outage] the worker exited with ${code} during the outage; restarting it\n${tail(worker, 30)}`);
      assert.notEqual(code, 0, 'a worker that gives up exits non-zero');
      worker = startWorker(product);
    }
    const drained = worker;
    await waitUntil(
      async () => {
        const { committed, end } = await groupProgress(admin, product.group, product.inputTopic);
        return end >= TOTAL && committed === end;
      },
      {
        what: 'the group to commit to the end after the outage',
        timeoutMs: 120_000,
        abortReason: () => (exited(drained) ? `worker exited:\n${tail(drained)}` : undefined),
      },
    );
    drained.child.kill('SIGTERM');
    const { code } = await drained.exit;
    assert.equal(code, 0, `drained and exited 0 after the outage:\n${tail(drained)}`);

    // A resent test chunk would put orders in the input twice: count them, so the oracle stays exact.
    const inputs = await readTopic(kafka, product.inputTopic, await topicSize(product.inputTopic), 90_000);
    const sent = new Map<string, number>();
    for (const r of inputs) sent.set(r.key!, (sent.get(r.key!) ?? 0) + 1);
    const outputs = await readTopicSettled(kafka, product.outputTopic, inputs.length, { timeoutMs: 90_000 });
    const seen = new Map<string, number>();
    for (const r of outputs) seen.set(r.key!, (seen.get(r.key!) ?? 0) + 1);
    const keys = Array.from({ length: TOTAL }, (_, seq) => `o-${seq}`);
    const lost = keys.filter((k) => (seen.get(k) ?? 0) < (sent.get(k) ?? 0));
    const duplicated = keys.filter((k) => (seen.get(k) ?? 0) > (sent.get(k) ?? 0));
    const deadLetters = (await readTopicSettled(kafka, product.dlqTopic, 0, { timeoutMs: 30_000 })).length;
    console.error(
      `[exactly-once outage] lost ${lost.length}, duplicates ${duplicated.length}; ${outputs.length} outputs (read_committed) for ${inputs.length} input records ` +
        `(${TOTAL} orders); ${deadLetters} dead letters; ${lines(drained, /consumer failed; restarting/).length} consumer restarts logged`,
    );
    assert.equal(inputs.length, TOTAL, 'the test input holds each order once');
    assert.deepEqual(lost, [], `every order published; worker log:\n${tail(drained)}`);
    assert.deepEqual(duplicated, [], `no order published twice under exactly-once; worker log:\n${tail(drained)}`);
    assert.equal(deadLetters, 0, 'a broker outage dead-letters nothing');
  });

  it('a permanent broker outage ends the process non-zero within a bounded time', { timeout: 240_000 }, async () => {
    const { product, encode } = await setUpProduct();
    const worker = startWorker(product, { DATAPROD_MAX_RESTARTS: '1' });
    await produce(product, encode, 0, 300);
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === 300, {
      what: 'the worker to commit everything before the outage',
      timeoutMs: 60_000,
      abortReason: () => (exited(worker) ? `worker exited early:\n${tail(worker)}` : undefined),
    });

    await stack.kafka.kill();
    const killedAt = Date.now();
    const LIMIT_MS = 180_000;
    const outcome = await Promise.race([worker.exit, sleep(LIMIT_MS).then(() => undefined)]);
    if (!outcome) {
      assert.fail(`the worker still runs ${LIMIT_MS / 1000} s after the broker died (it should exit non-zero):\n${tail(worker, 120)}`);
    }
    const tookMs = outcome.at - killedAt;
    console.error(
      `[permanent outage] worker exited with code ${outcome.code} (signal ${outcome.signal}) ${tookMs} ms after the broker was killed\n` +
        lines(worker, /consumer failed|worker failing|cleanup step failed|grace period|worker stopped/)
          .map((l) => {
            try {
              const { time, msg } = JSON.parse(l) as { time: number; msg: string };
              return `  +${((time - killedAt) / 1000).toFixed(1)} s ${msg}`;
            } catch {
              return `  ${l}`;
            }
          })
          .join('\n'),
    );
    assert.equal(outcome.signal, null);
    assert.ok(outcome.code !== null && outcome.code !== 0, `non-zero exit code, got ${outcome.code}:\n${tail(worker)}`);
    assert.ok(
      lines(worker, /worker failing/).some((l) => l.includes('BROKER_UNAVAILABLE')),
      `the worker says why it gave up (BROKER_UNAVAILABLE):\n${tail(worker)}`,
    );
  });

  async function topicSize(topic: string): Promise<number> {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  }
});
