/**
 * Dead-letter redrive against the real broker and registry, through the real CLI: a transform bug
 * dead-letters 1,000 of 10,000 orders (plus one order that is bad data, not a bug); `dlq inspect`
 * counts exactly what was dead-lettered and never prints the pii field; the transform is fixed
 * (patch version bump); `dlq replay --dry-run` writes nothing; `dlq replay` publishes the 1,000
 * once (read back and compared by key and content) and leaves its group at the dead-letter topic's
 * end; a second replay publishes nothing; the still-bad order comes back with attempt 2, then is
 * parked at attempt 3 and copied forward after that. A replay killed with SIGKILL mid-way and run
 * again publishes every dead letter once on an exactly-once product (transactions), and on an
 * at-least-once one loses nothing and writes again at most the step in flight. `inspect` bounded by
 * offsets or --since fetches only its range (records read = records in it); a second replay while
 * one runs is refused with REPLAY_RUNNING, and the first, with a dry run beside it, stays exact.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { deadLetterMessage } from '../../src/pipeline/dead-letter.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { groupProgress, readTopicSettled, type ReadRecord } from '../support/kafka.js';
import { copyProduct, editTransform, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig, workerEnv } from '../support/worker.js';

const bin = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));
const rawType = avsc.Type.forSchema(readSchema('orders-enriched', 'raw-order.avsc') as avsc.Schema);
const outputType = avsc.Type.forSchema(readSchema('orders-enriched', 'orders-enriched.avsc') as avsc.Schema);
const BUG = "  if (Number(order.order_id.slice(2)) % 10 === 3) throw new Error('order ids ending in 3 are mis-parsed');\n";
const BAD_DATA_SEQ = 1_000_000;
/** In the pii field (customer_email) of every order: it must never reach inspect's output. */
const canary = (seq: number) => `Canary.${seq}@PII.invalid`;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('dead-letter redrive (dlq inspect, dlq replay)', { timeout: 360_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const copies: ProductCopy[] = [];
  const workers: Worker[] = [];

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
  });

  after(async () => {
    await cleanUpInProcess({ workers, copies, admin, producer });
  });

  function dataprod(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const env = { ...process.env, ...workerEnv(stack), ...extraEnv };
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { env, timeout: 90_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (err && typeof (err as { code?: unknown }).code !== 'number')
            reject(new Error(`dataprod ${args.join(' ')}: ${err.message}\n${stderr}`));
          else resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  async function endOf(topic: string): Promise<number> {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  }

  /**
   * A product copy per delivery mode, each with the bug in its transform, fed `total` orders (keys
   * o-<seq>) and one order with a negative shipping cost, run by one in-process worker until every
   * record of every copy is committed.
   */
  async function deadLetterSome(total: number, deliveries: readonly ('at-least-once' | 'exactly-once')[]): Promise<ProductCopy[]> {
    const products = deliveries.map((delivery) => copyProduct('orders-enriched', (doc) => doc.set('delivery', delivery)));
    copies.push(...products);
    for (const product of products) {
      editTransform(product, (source) =>
        source.replace('  if (order.is_test) return null;\n', `${BUG}  if (order.is_test) return null;\n`),
      );
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 3 }] });
      const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(
        product.inputSubject,
        readSchema('orders-enriched', 'raw-order.avsc'),
      );
      const now = Date.now();
      const order = (seq: number, kind: 'valid' | 'quality') => ({
        key: `o-${seq}`,
        value: frame(rawId, rawType.toBuffer({ ...rawOrder(seq, now, kind), customer_email: canary(seq) })),
      });
      for (let start = 0; start < total; start += 1000) {
        const seqs = Array.from({ length: Math.min(1000, total - start) }, (_, i) => start + i);
        await producer.send({ topic: product.inputTopic, acks: -1, messages: seqs.map((seq) => order(seq, 'valid')) });
      }
      await producer.send({ topic: product.inputTopic, acks: -1, messages: [order(BAD_DATA_SEQ, 'quality')] });
    }

    const worker = new Worker({
      config: workerConfig(stack),
      products: await Promise.all(products.map((p) => loadProduct(p.dir))),
      logger: createLogger('warn'),
    });
    workers.push(worker);
    await worker.start();
    for (const product of products) {
      await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === total + 1, {
        what: `the worker to commit all ${total + 1} orders of ${product.id}`,
        timeoutMs: 120_000,
        abortReason: () => worker.products.find((w) => w.state === 'halted')?.reason,
      });
    }
    await worker.close();
    return products;
  }

  /** The bug fixed and the version bumped: the product as it would be redeployed. */
  function fix(product: ProductCopy): void {
    editTransform(product, (source) => source.replace(BUG, ''));
    const file = join(product.dir, 'product.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^version: 1\.0\.0$/m, 'version: 1.0.1'));
  }

  /** Outputs per key; every output must decode and carry the order's own fields. */
  function outputsByKey(records: ReadRecord[]): Map<string, ReadRecord[]> {
    const byKey = new Map<string, ReadRecord[]>();
    for (const r of records) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r]);
    return byKey;
  }

  /**
   * Starts `dlq replay --rate <rate>` (slowed down so the kill lands between steps or inside one,
   * whichever it is), kills it with SIGKILL once its group committed a first step, and returns what
   * was committed then (less than all `deadLetters`: it was killed mid-way).
   */
  async function killMidway(product: ProductCopy, rate: number, deadLetters: number): Promise<number> {
    const child = spawn(process.execPath, [bin, 'dlq', 'replay', product.dir, '--rate', String(rate)], {
      env: { ...process.env, ...workerEnv(stack) },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    await waitUntil(async () => (await groupProgress(admin, replayGroup(product), product.dlqTopic)).committed > 0, {
      what: 'the replay to commit its first step',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.equal(signal, 'SIGKILL', `the replay was killed, not finished (exit ${code})`);
    const atKill = (await groupProgress(admin, replayGroup(product), product.dlqTopic)).committed;
    assert.ok(atKill < deadLetters, `killed mid-way: ${atKill} of ${deadLetters} committed`);
    return atKill;
  }

  const replayGroup = (product: ProductCopy) => `${product.group}.dlq-replay`;
  const isBug = (seq: number) => seq % 10 === 3;

  it('inspect counts the dead letters, replay publishes them once after the fix, a bad record is parked', async () => {
    const TOTAL = 10_000;
    const BUGGY = TOTAL / 10;
    const [product] = (await deadLetterSome(TOTAL, ['at-least-once'])) as [ProductCopy];
    const dlqBefore = await readTopicSettled(kafka, product.dlqTopic, BUGGY + 1);
    assert.equal(dlqBefore.length, BUGGY + 1, 'the bug and the bad order dead-lettered');
    const outputsBefore = await endOf(product.outputTopic);
    assert.equal(outputsBefore, TOTAL - BUGGY);

    // inspect: counts equal what was dead-lettered, per reason and per source partition.
    const inspected = await dataprod(['dlq', 'inspect', product.dir, '--json']);
    assert.equal(inspected.code, 0, inspected.stderr);
    const report = JSON.parse(inspected.stdout) as Record<string, unknown> & { samples: { value: unknown }[] };
    assert.equal(report.total, BUGGY + 1);
    assert.deepEqual(report.byReason, { transform: BUGGY, quality: 1 });
    assert.deepEqual(report.byStage, { transform: BUGGY, quality: 1 });
    assert.deepEqual(report.byRule, { '(none)': BUGGY, 'shipping-cost-non-negative': 1 });
    assert.deepEqual(report.byField, { '(none)': BUGGY, shipping_cost: 1 });
    assert.deepEqual(report.byAttempt, { 1: BUGGY + 1 });
    const perSource: Record<string, number> = {};
    for (const r of dlqBefore) {
      const at = `${r.headers['dataprod.source.topic']}[${r.headers['dataprod.source.partition']}]`;
      perSource[at] = (perSource[at] ?? 0) + 1;
    }
    assert.deepEqual(report.bySource, perSource);
    assert.equal(report.samples.length, 4, '3 samples of transform, 1 of quality');
    const table = await dataprod(['dlq', 'inspect', product.dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^transform +${BUGGY}$`, 'm'));
    for (const out of [inspected.stdout, inspected.stderr, table.stdout, table.stderr]) {
      assert.doesNotMatch(out, /canary/i, 'the pii field is never printed');
    }
    assert.match(table.stdout, /"customer_email":"\*\*\*"/, 'samples are decoded, with the pii field masked');
    console.error(`[dlq-redrive] inspect:\n${table.stdout}`);

    fix(product);

    // --dry-run: decides everything, writes and commits nothing.
    const dry = await dataprod(['dlq', 'replay', product.dir, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(pick(JSON.parse(dry.stdout), ['dryRun', 'replayed', 'republished', 'redeadLettered', 'parked']), {
      dryRun: true,
      replayed: BUGGY + 1,
      republished: BUGGY,
      redeadLettered: 1,
      parked: 0,
    });
    assert.equal(await endOf(product.outputTopic), outputsBefore, 'dry run: nothing published');
    assert.equal(await endOf(product.dlqTopic), BUGGY + 1, 'dry run: nothing dead-lettered');
    assert.equal((await groupProgress(admin, replayGroup(product), product.dlqTopic)).committed, 0, 'dry run: nothing committed');

    // replay: the 1,000 published once, the bad order dead-lettered again with attempt 2.
    const metricsFile = join(product.dir, 'replay.prom');
    const first = await dataprod(['dlq', 'replay', product.dir, '--metrics-file', metricsFile]);
    assert.equal(first.code, 0, first.stderr);
    console.error(`[dlq-redrive] replay:\n${first.stdout}${first.stderr}`);
    assert.match(
      first.stdout,
      new RegExp(
        `replayed ${BUGGY + 1} dead letters .*: ${BUGGY} republished \\(${BUGGY} outputs\\), 1 dead-lettered again \\(0 parked\\)`,
      ),
    );
    const idLabel = `product="${product.id}"`;
    const prom = readFileSync(metricsFile, 'utf8');
    assert.match(prom, new RegExp(`^dataprod_dlq_replayed_total\\{${idLabel}\\} ${BUGGY + 1}$`, 'm'));
    assert.match(prom, new RegExp(`^dataprod_dlq_republished_total\\{${idLabel}\\} ${BUGGY}$`, 'm'));
    assert.match(prom, new RegExp(`^dataprod_dlq_redeadlettered_total\\{${idLabel}\\} 1$`, 'm'));
    assert.deepEqual(await groupProgress(admin, replayGroup(product), product.dlqTopic), { committed: BUGGY + 1, end: BUGGY + 2 });

    const outputs = await readTopicSettled(kafka, product.outputTopic, TOTAL);
    const byKey = outputsByKey(outputs);
    assert.equal(outputs.length, TOTAL, 'every order published exactly once');
    assert.equal(byKey.size, TOTAL);
    for (let seq = 0; seq < TOTAL; seq++) {
      const [out] = byKey.get(`o-${seq}`) ?? [];
      assert.ok(out, `o-${seq} published`);
      const event = outputType.fromBuffer(out.value!.subarray(5)) as { order_id: string; customer_email: string; customer_id: string };
      assert.deepEqual(
        [event.order_id, event.customer_id, event.customer_email],
        [`o-${seq}`, `c-${seq % 997}`, canary(seq).toLowerCase()],
      );
      if (isBug(seq)) {
        assert.equal(out.headers['dataprod.redrive.attempt'], '2', `o-${seq} marked as a redrive`);
        const original = dlqBefore.find((d) => d.key === `o-${seq}`)!;
        assert.equal(out.headers['dataprod.source.offset'], original.headers['dataprod.source.offset']);
        assert.equal(out.headers['dataprod.source.partition'], original.headers['dataprod.source.partition']);
      } else assert.equal(out.headers['dataprod.redrive.attempt'], undefined, `o-${seq} published by the worker`);
    }

    // Second replay: nothing published again; the bad order comes back a third time and is parked.
    const second = await dataprod(['dlq', 'replay', product.dir, '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(pick(JSON.parse(second.stdout), ['replayed', 'republished', 'redeadLettered', 'parked']), {
      replayed: 1,
      republished: 0,
      redeadLettered: 1,
      parked: 1,
    });
    assert.equal(await endOf(product.outputTopic), TOTAL, 'a second replay publishes nothing');

    // Third: the parked one is not taken (copied forward for a later --include-parked); nothing published.
    const third = await dataprod(['dlq', 'replay', product.dir, '--json']);
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(pick(JSON.parse(third.stdout), ['replayed', 'skippedParked']), { replayed: 0, skippedParked: 1 });
    assert.deepEqual(await groupProgress(admin, replayGroup(product), product.dlqTopic), { committed: BUGGY + 3, end: BUGGY + 4 });
    // --include-parked takes it again: still bad, attempt 4, parked again.
    const parkedToo = await dataprod(['dlq', 'replay', product.dir, '--include-parked', '--json']);
    assert.equal(parkedToo.code, 0, parkedToo.stderr);
    assert.deepEqual(pick(JSON.parse(parkedToo.stdout), ['replayed', 'redeadLettered', 'parked']), {
      replayed: 1,
      redeadLettered: 1,
      parked: 1,
    });
    const bad = (await readTopicSettled(kafka, product.dlqTopic, BUGGY + 5)).filter((r) => r.key === `o-${BAD_DATA_SEQ}`);
    assert.deepEqual(
      bad.map((r) => [r.headers['dataprod.redrive.attempt'], r.headers['dataprod.redrive.parked'], r.headers['dataprod.error.reason']]),
      [
        [undefined, undefined, 'quality'],
        ['2', undefined, 'quality'],
        ['3', 'true', 'quality'],
        ['3', 'true', 'quality'],
        ['4', 'true', 'quality'],
      ],
    );
    assert.equal(await endOf(product.outputTopic), TOTAL);

    // inspect counts each dead letter once, as its latest record says.
    const end = await dataprod(['dlq', 'inspect', product.dir, '--json']);
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(pick(JSON.parse(end.stdout), ['read', 'total', 'byStatus']), {
      read: BUGGY + 5,
      total: BUGGY + 1,
      byStatus: { handled: BUGGY, parked: 1 },
    });
  });

  it('a replay killed with SIGKILL mid-way and run again: exactly-once publishes once, at-least-once loses nothing and writes again at most one step', async () => {
    const TOTAL = 1_000;
    const BUGGY = TOTAL / 10;
    const RATE = 20;
    const [exactly, atLeast] = (await deadLetterSome(TOTAL, ['exactly-once', 'at-least-once'])) as [ProductCopy, ProductCopy];
    fix(exactly);
    fix(atLeast);
    const dlqEnd = await endOf(exactly.dlqTopic);

    // Both at once: two products, two replay groups.
    const atKill = await Promise.all([exactly, atLeast].map((p) => killMidway(p, RATE, BUGGY + 1)));
    const reruns = await Promise.all([exactly, atLeast].map((p) => dataprod(['dlq', 'replay', p.dir, '--json'])));
    for (const rerun of reruns) assert.equal(rerun.code, 0, rerun.stderr);
    const [eos, alo] = await Promise.all([exactly, atLeast].map((p) => readTopicSettled(kafka, p.outputTopic, TOTAL)));

    // Exactly-once: each order once, the redriven ones marked.
    const eosByKey = outputsByKey(eos!);
    assert.deepEqual(
      [...eosByKey].filter(([, rs]) => rs.length > 1).map(([k]) => k),
      [],
      'exactly-once: no order published twice',
    );
    assert.equal(eosByKey.size, TOTAL, 'exactly-once: every order published');
    assert.equal(eos!.filter((r) => r.headers['dataprod.redrive.attempt'] === '2').length, BUGGY);
    // The group ends past the last transaction marker the run began with: at the topic's end then.
    const after = await groupProgress(admin, replayGroup(exactly), exactly.dlqTopic);
    assert.ok(after.committed >= dlqEnd, `replay group at ${after.committed}, the dead-letter topic ended at ${dlqEnd}`);

    // At-least-once: nothing lost; only the step in flight at the kill may be written again.
    const aloByKey = outputsByKey(alo!);
    const missing = Array.from({ length: TOTAL }, (_, seq) => `o-${seq}`).filter((k) => !aloByKey.has(k));
    assert.deepEqual(missing, [], 'at-least-once: every order published');
    const again = alo!.length - TOTAL;
    assert.ok(again <= RATE, `at-least-once: ${again} outputs written twice; the window is one step of ${RATE}`);
    for (const [key, rs] of aloByKey) {
      if (rs.length > 1)
        assert.ok(
          rs.every((r) => r.headers['dataprod.redrive.attempt'] === '2'),
          `${key}: only a redrive is written twice`,
        );
    }
    console.error(
      `[dlq-redrive] killed after ${atKill.join(' and ')} committed (exactly-once, at-least-once); at-least-once wrote ${again} outputs again`,
    );
  });

  it('inspect by offsets and by --since reads only the range: it seeks, never reads from the start and filters', async () => {
    const PER_PARTITION = 100;
    const product = copyProduct('orders-enriched');
    copies.push(product);
    const { descriptor } = await loadProduct(product.dir);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [product.dlqTopic, product.outputTopic].map((topic) => ({ topic, numPartitions: 3 })),
    });
    // Dead letters written as the worker writes them, at dlq[p]@i with the timestamp t0 + i s, source partition = p.
    const t0 = Date.now() - 3_600_000;
    for (let partition = 0; partition < 3; partition++) {
      const messages = Array.from({ length: PER_PARTITION }, (_, i) => {
        const source = {
          topic: product.inputTopic,
          partition,
          offset: String(i),
          timestamp: String(t0),
          key: Buffer.from(`o-${i}`),
          value: Buffer.from('not avro'),
          headers: {},
        };
        return {
          ...deadLetterMessage(source, { reason: 'transform', stage: 'transform' }, descriptor),
          partition,
          timestamp: String(t0 + i * 1000),
        };
      });
      await producer.send({ topic: product.dlqTopic, acks: -1, messages });
    }
    const inspect = async (...args: string[]) => {
      const run = await dataprod(['dlq', 'inspect', product.dir, '--json', ...args]);
      assert.equal(run.code, 0, run.stderr);
      return pick(JSON.parse(run.stdout), ['read', 'total', 'ranges', 'bySource']);
    };
    const src = (p: number) => `${product.inputTopic}[${p}]`;

    assert.deepEqual(await inspect('--from-offset', '0:10,2:40', '--to-offset', '0:30,2:45'), {
      read: 25,
      total: 25,
      ranges: [
        { partition: 0, from: '10', to: '30' },
        { partition: 2, from: '40', to: '45' },
      ],
      bySource: { [src(0)]: 20, [src(2)]: 5 },
    });
    assert.deepEqual(
      pick(await inspect('--from-offset', '95'), ['read', 'total']),
      { read: 15, total: 15 },
      'one offset for every partition',
    );
    // --since seeks by the broker's time index: 3 x 10 records read, not 300.
    const since = new Date(t0 + 90_000).toISOString();
    assert.deepEqual(await inspect('--since', since), {
      read: 30,
      total: 30,
      ranges: [0, 1, 2].map((partition) => ({ partition, from: '90', to: String(PER_PARTITION) })),
      bySource: { [src(0)]: 10, [src(1)]: 10, [src(2)]: 10 },
    });
    // --until only filters (timestamps are not ordered by offset once a replay copies forward).
    assert.deepEqual(pick(await inspect('--since', since, '--until', String(t0 + 95_000)), ['read', 'total']), { read: 30, total: 15 });
    const table = await dataprod(['dlq', 'inspect', product.dir, '--since', since, '--from-offset', '1:95']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^.*: 5 dead letters in .* \(5 records read\)$/m);
    assert.match(table.stdout, /^offsets read: 1:95\.\.100 \(partition:from\.\.to, to exclusive\)$/m);
    console.error(`[dlq-redrive] bounded inspect:\n${table.stdout.split('\n').slice(0, 3).join('\n')}`);

    const unknown = await dataprod(['dlq', 'inspect', product.dir, '--from-offset', '7:0']);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      new RegExp(`--from-offset/--to-offset: ${product.dlqTopic.replace(/\./g, '\\.')} has no partition 7; it has partitions 0 to 2`),
    );
    const backwards = await dataprod(['dlq', 'inspect', product.dir, '--from-offset', '0:50', '--to-offset', '0:50']);
    assert.equal(backwards.code, 1);
    assert.match(backwards.stderr, /--to-offset: 50 of partition 0 must be greater than --from-offset 50/);
  });

  it('a second replay of a product while one runs is refused, naming the group; a dry run beside it does not disturb it', async () => {
    const TOTAL = 300;
    const BUGGY = TOTAL / 10;
    const [product] = (await deadLetterSome(TOTAL, ['at-least-once'])) as [ProductCopy];
    fix(product);
    const dlqEnd = await endOf(product.dlqTopic);
    // The second replay waits a session timeout (and 3 s) for members to leave before refusing: the
    // broker's minimum, 6 s. The first is slowed down (a dead letter a second: about 30 s) so it
    // is still running, heartbeating, when the second gives up.
    const session = { DATAPROD_SESSION_TIMEOUT_MS: '6000' };
    const first = spawn(process.execPath, [bin, 'dlq', 'replay', product.dir, '--rate', '1', '--json'], {
      env: { ...process.env, ...workerEnv(stack), ...session },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let firstOut = '';
    let firstErr = '';
    first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
    first.stderr.on('data', (d: Buffer) => (firstErr += d.toString()));
    const firstExit = once(first, 'exit');
    await waitUntil(async () => (await groupProgress(admin, replayGroup(product), product.dlqTopic)).committed > 0, {
      what: 'the first replay to commit its first step',
      timeoutMs: 60_000,
      intervalMs: 50,
    });

    const [second, dry] = await Promise.all([
      dataprod(['dlq', 'replay', product.dir], session),
      dataprod(['dlq', 'replay', product.dir, '--dry-run', '--json'], session),
    ]);
    // A replay disturbed by another member of its group (a second replay, or a dry run that joins) stops with exit 1.
    assert.equal(first.exitCode, null, `the first replay still runs beside the refused one and the dry run:\n${firstErr}`);
    assert.equal(second.code, 1, `the second replay is refused:\n${second.stdout}${second.stderr}`);
    assert.match(
      second.stderr,
      new RegExp(
        `^dataprod dlq replay: ${product.id}: a replay is already running: consumer group ${replayGroup(product).replace(/\./g, '\\.')} has 1 member \\(.+\\) still heartbeating after 9 s; wait for it to finish`,
        'm',
      ),
    );
    assert.equal(second.stdout, '', 'the refused replay wrote no result');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).dryRun, true);

    const [code] = await firstExit;
    assert.equal(code, 0, firstErr);
    assert.deepEqual(pick(JSON.parse(firstOut), ['replayed', 'republished', 'redeadLettered']), {
      replayed: BUGGY + 1,
      republished: BUGGY,
      redeadLettered: 1,
    });
    const outputs = await readTopicSettled(kafka, product.outputTopic, TOTAL);
    const byKey = outputsByKey(outputs);
    assert.equal(outputs.length, TOTAL, 'every order published once: nothing lost, nothing twice');
    assert.equal(byKey.size, TOTAL);
    assert.equal(outputs.filter((r) => r.headers['dataprod.redrive.attempt'] === '2').length, BUGGY);
    assert.deepEqual(await groupProgress(admin, replayGroup(product), product.dlqTopic), { committed: dlqEnd, end: dlqEnd + 1 });
  });

  it('refuses a product that never ran by naming its topics, and a bad --since or --reason by naming the flag', async () => {
    const product = copyProduct('orders-enriched');
    copies.push(product);
    const inspect = await dataprod(['dlq', 'inspect', product.dir]);
    assert.equal(inspect.code, 1);
    assert.match(
      inspect.stderr,
      new RegExp(`^dataprod dlq inspect: ${product.dlqTopic.replace(/\./g, '\\.')}, .* do not exist: run the product`, 'm'),
    );
    const since = await dataprod(['dlq', 'replay', product.dir, '--since', 'yesterday']);
    assert.equal(since.code, 1);
    assert.match(since.stderr, /--since: must be an ISO 8601 time .*got "yesterday"/);
    const reason = await dataprod(['dlq', 'replay', product.dir, '--reason', 'transfrom,quality']);
    assert.equal(reason.code, 1);
    assert.match(reason.stderr, /--reason: "transfrom": not a dead-letter reason; one of not-avro, /);
    const usage = await dataprod(['dlq', product.dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /dataprod dlq inspect\|replay/);
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
