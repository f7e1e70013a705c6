/**
 * Lookup tables against the real broker and registry, with the example product orders-by-tier
 * (orders enriched with the customer's tier, a miss dead-lettered as lookup-miss):
 * - a compacted customers topic of 100,000 entries (plus two unreadable records, skipped and
 *   counted) is restored before any order is processed: orders produced before the worker started
 *   are all enriched, none dead-lettered, and the product went starting -> restoring -> running;
 * - an update is seen by orders produced after the table applied it; a tombstone gives a miss;
 * - a restart restores the table before any order is processed (orders produced while the worker
 *   was down are all enriched with the current tiers);
 * - two replicas in one group each hold the whole table and both enrich what they are assigned;
 * - a copy with `store: disk` (LMDB) reading the same orders gives exactly the same outputs and
 *   dead letters as the memory store;
 * - `dataprod dlq replay` restores the tables before it replays: the lookup-miss dead letters of a
 *   customer that exists again are published with its tier (dead letters and lookups, issues 14
 *   and 15, meet here).
 * Oracles count every order: each is published once with its expected tier or dead-lettered once
 * as lookup-miss; nothing lost, nothing duplicated.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { copyProductFolder } from '../../src/devstack/product-copy.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { DLQ_HEADER } from '../../src/pipeline/dead-letter.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import { readTopicSettled } from '../support/kafka.js';
import type { ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { connectClients, workerConfig, workerEnv } from '../support/worker.js';

const TAG = '[lookups]';
const EXAMPLE = fileURLToPath(new URL('../../products/orders-by-tier', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));
const CUSTOMERS = 100_000;
const TIERS = ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'] as const;
const PARTITIONS = 3;
const tierOf = (n: number) => TIERS[n % TIERS.length]!;

const customerSchema = (await loadProduct(EXAMPLE, { loadTransform: false })).descriptor.lookups![0]!.schema;
const customerType = avsc.Type.forSchema(customerSchema as avsc.Schema);
const orderSchema = (await loadProduct(EXAMPLE, { loadTransform: false })).descriptor.inputPorts[0]!.contract.schema;
const orderType = avsc.Type.forSchema(orderSchema as avsc.Schema);

/** One order of one unit at 10.00: its total is 10 whatever the customer. */
function order(id: string, customer: string) {
  return {
    order_id: id,
    customer_id: customer,
    customer_email: null,
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 1, unit_price: 10 }],
    shipping_cost: 0,
    discount: null,
    coupon_code: null,
    channel: 'WEB',
    payment_method: 'CARD',
    shipping_country: 'DE',
    store_id: null,
    is_test: false,
    created_at: 1_767_225_600_000,
  };
}

function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .map((line) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === name)
    .map((m) => ({
      labels: Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!])),
      value: Number(m[3]),
    }));
}

const metric = async (worker: Worker, name: string, labels: Record<string, string> = {}) =>
  samples(await (await fetch(`${worker.controlUrl}/metrics`)).text(), name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

/** The product's outputs by order id (every copy counted) and dead letters by order key. */
async function outcomes(kafka: Kafka, copy: ProductCopy, outputs: number, deadLetters: number) {
  const outputType = avsc.Type.forSchema((await loadProduct(copy.dir, { loadTransform: false })).descriptor.output.schema as avsc.Schema);
  const published = new Map<string, string[]>();
  for (const r of await readTopicSettled(kafka, copy.outputTopic, outputs, { timeoutMs: 90_000 })) {
    const o = outputType.fromBuffer(r.value!.subarray(5)) as { order_id: string; tier: string; total: number };
    assert.equal(o.total, 10);
    published.set(o.order_id, [...(published.get(o.order_id) ?? []), o.tier]);
  }
  const dead = new Map<string, string[]>();
  if (deadLetters > 0) {
    for (const r of await readTopicSettled(kafka, copy.dlqTopic, deadLetters, { timeoutMs: 60_000 })) {
      const why = `${r.headers[DLQ_HEADER.reason]}:${r.headers[DLQ_HEADER.rule]}`;
      dead.set(r.key!, [...(dead.get(r.key!) ?? []), why]);
    }
  }
  return { published, dead };
}

describe('lookup tables from a compacted topic', { timeout: 300_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registry: RegistryClient;
  let customersTopic: string;
  let customerId: number;
  let orderId: number;
  let memory: ProductCopy;
  let disk: ProductCopy;
  const workers: Worker[] = [];
  const lookupDir = mkdtempSync(join(tmpdir(), 'dataprod-lookups-it-'));
  /** Order id -> the tier it must be published with, or 'lookup-miss'. */
  const expected = new Map<string, string>();

  before(async () => {
    stack = await testStack();
    const clients = await connectClients(stack);
    ({ kafka, admin, producer } = clients);
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    customersTopic = uniqueName('crm.customers');
    const editCopy = (store: 'memory' | 'disk') => (doc: import('yaml').Document) => {
      doc.set('status', 'active');
      doc.setIn(['lookups', 0, 'topic'], customersTopic);
      doc.setIn(['lookups', 0, 'store'], store);
    };
    memory = copyProductFolder(EXAMPLE, 'test-products', { edit: editCopy('memory') });
    disk = copyProductFolder(EXAMPLE, 'test-products', { inputTopic: memory.inputTopic, edit: editCopy('disk') });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: customersTopic, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: memory.inputTopic, numPartitions: PARTITIONS },
      ],
    });
    customerId = await registry.register(`${customersTopic}-value`, customerSchema);
    orderId = await registry.register(memory.inputSubject, orderSchema);

    const started = Date.now();
    for (let i = 0; i < CUSTOMERS; i += 5_000) {
      const messages = Array.from({ length: Math.min(5_000, CUSTOMERS - i) }, (_, j) => {
        const n = i + j;
        return {
          key: `c-${n}`,
          value: frame(customerId, customerType.toBuffer({ customer_id: `c-${n}`, name: `Customer ${n}`, tier: tierOf(n) })),
        };
      });
      await producer.send({ topic: customersTopic, acks: -1, messages });
    }
    // Unreadable table records: skipped and counted, never fatal, the table goes on. (A record
    // without a key, skipped as no-key too, cannot be written to a compacted topic.)
    await producer.send({
      topic: customersTopic,
      acks: -1,
      messages: [
        { key: 'c-bad-1', value: Buffer.from('{"tier":"GOLD"}') },
        { key: 'c-bad-2', value: frame(2_000_000_000, Buffer.from([2, 0x41])) },
      ],
    });
    console.error(`${TAG} produced ${CUSTOMERS} customers (+2 unreadable) in ${Date.now() - started} ms`);
  });

  after(async () => {
    for (const w of workers) await w.close().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin
      ?.deleteTopics({ topics: [customersTopic, memory.inputTopic, memory.outputTopic, memory.dlqTopic, disk.outputTopic, disk.dlqTopic] })
      .catch(() => undefined);
    memory?.remove();
    disk?.remove();
    await admin?.disconnect().catch(() => undefined);
    rmSync(lookupDir, { recursive: true, force: true });
  });

  async function produceOrders(orders: [id: string, customer: number, expect: string][]): Promise<void> {
    for (const [id, , expect] of orders) expected.set(id, expect);
    for (let i = 0; i < orders.length; i += 1_000) {
      const messages = orders
        .slice(i, i + 1_000)
        .map(([id, customer]) => ({ key: id, value: frame(orderId, orderType.toBuffer(order(id, `c-${customer}`))) }));
      await producer.send({ topic: memory.inputTopic, acks: -1, messages });
    }
  }

  /** A worker of one product copy; its log lines are kept to read its state transitions. */
  async function startWorker(
    copy: ProductCopy,
    { watchReadiness = false } = {},
  ): Promise<{
    worker: Worker;
    states: () => string[];
    readiness: { status: number; state?: string }[];
    logs: () => { msg: string; [field: string]: unknown }[];
  }> {
    const lines: string[] = [];
    const log = new PassThrough();
    log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const worker = new Worker({
      config: workerConfig(stack, { DATAPROD_LOOKUP_DIR: lookupDir }),
      products: [await loadProduct(copy.dir)],
      logger: createLogger('info', log),
      metricsRegistry: new Registry(),
    });
    workers.push(worker);
    const started = Date.now();
    const starting = worker.start();
    // /readyz answers from the moment the control port listens, before the tables are restored.
    const readiness: { status: number; state?: string }[] = [];
    let done = false;
    const watcher = (async () => {
      while (watchReadiness && !done) {
        if (worker.controlUrl) {
          const res = await fetch(`${worker.controlUrl}/readyz`).catch(() => undefined);
          if (res && !done) {
            const body = (await res.json()) as { details?: { products?: Record<string, { state: string }> } };
            readiness.push({ status: res.status, state: body.details?.products?.[copy.id]?.state });
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await starting.finally(() => (done = true));
    await watcher;
    console.error(`${TAG} ${copy.id} started (tables restored) in ${Date.now() - started} ms`);
    const logs = () => lines.map((l) => JSON.parse(l) as { msg: string; [field: string]: unknown });
    const states = () =>
      logs()
        .filter((l) => l.msg === 'product state')
        .map((l) => `${String(l.from)}->${String(l.to)}`);
    return { worker, states, readiness, logs };
  }

  /** Every order expected so far is published once with its tier, or dead-lettered once as lookup-miss. */
  function assertOutcomes(got: { published: Map<string, string[]>; dead: Map<string, string[]> }): void {
    const wrong: string[] = [];
    for (const [id, want] of expected) {
      const tiers = got.published.get(id) ?? [];
      const dead = got.dead.get(id) ?? [];
      const ok =
        want === 'lookup-miss' ? tiers.length === 0 && dead.join() === 'lookup-miss:customers' : dead.length === 0 && tiers.join() === want;
      if (!ok) wrong.push(`${id}: want ${want}, published ${JSON.stringify(tiers)}, dead-lettered ${JSON.stringify(dead)}`);
    }
    const unexpected = [...got.published.keys(), ...got.dead.keys()].filter((id) => !expected.has(id));
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} orders with a wrong outcome`);
    assert.deepEqual(unexpected, []);
  }

  const misses = () => [...expected.values()].filter((v) => v === 'lookup-miss').length;

  let first: Worker;

  it('restores 100,000 customers before processing orders that were waiting, and enriches every one', async () => {
    // Orders for customers spread over the whole table, produced before any worker runs.
    await produceOrders(Array.from({ length: 2_000 }, (_, i) => [`o-a-${i}`, (i * 37) % CUSTOMERS, tierOf((i * 37) % CUSTOMERS)]));
    const { worker, states } = await startWorker(memory);
    first = worker;
    // A new group with orders waiting backfills after the restore (docs/runtime.md#backfill-of-a-new-major),
    // and may already be running by now: the first two steps are what is certain.
    assert.deepEqual(states().slice(0, 2), ['starting->restoring', 'restoring->backfilling']);
    assertOutcomes(await outcomes(kafka, memory, expected.size, 0));
    const p = { product: memory.id };
    assert.equal(await metric(worker, 'dataprod_lookup_entries', p), CUSTOMERS);
    assert.equal(await metric(worker, 'dataprod_lookup_restore_ratio', p), 1);
    assert.equal(await metric(worker, 'dataprod_lookup_records_skipped_total', { ...p, reason: 'not-avro' }), 1);
    assert.equal(await metric(worker, 'dataprod_lookup_records_skipped_total', { ...p, reason: 'unknown-schema-id' }), 1);
    assert.equal(await metric(worker, 'dataprod_dlq_records_total', p), 0);
    assert.ok((await metric(worker, 'dataprod_lookup_last_update_timestamp_seconds', p)) > 0);
    // The status page's data names the table, its size and that it is restored.
    const status = (await (await fetch(`${worker.controlUrl}/api/status`)).json()) as {
      products: { lookups: { name: string; entries: number; restored: boolean; lagRecords: number }[] }[];
    };
    assert.deepEqual(
      status.products[0]!.lookups.map((l) => [l.name, l.entries, l.restored, l.lagRecords]),
      [['customers', CUSTOMERS, true, 0]],
    );
    assert.equal((await fetch(`${worker.controlUrl}/readyz`)).status, 200);
  });

  it('sees an update in orders produced after the table applied it, and a tombstone as a miss', async () => {
    const p = { product: memory.id };
    await producer.send({
      topic: customersTopic,
      acks: -1,
      messages: [
        { key: 'c-5', value: frame(customerId, customerType.toBuffer({ customer_id: 'c-5', name: 'Customer 5', tier: 'PLATINUM' })) },
        { key: 'c-6', value: null },
      ],
    });
    // Not a sleep: the table says it applied both (no lag, one entry less).
    await waitUntil(
      async () =>
        (await metric(first, 'dataprod_lookup_lag_records', p)) === 0 &&
        (await metric(first, 'dataprod_lookup_entries', p)) === CUSTOMERS - 1,
      { what: 'the update and the tombstone applied', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(tierOf(5), 'SILVER');
    await produceOrders([
      ['o-b-1', 5, 'PLATINUM'],
      ['o-b-2', 6, 'lookup-miss'],
      ['o-b-3', 7, tierOf(7)],
    ]);
    assertOutcomes(await outcomes(kafka, memory, expected.size - misses(), misses()));
  });

  it('after a restart, restores the table before processing the orders produced while it was down', async () => {
    await first.close();
    await produceOrders(
      Array.from({ length: 1_000 }, (_, i) => [
        `o-c-${i}`,
        i === 0 ? 5 : i === 1 ? 6 : (i * 91) % CUSTOMERS,
        i === 0 ? 'PLATINUM' : i === 1 ? 'lookup-miss' : tierOf((i * 91) % CUSTOMERS),
      ]),
    );
    const { worker, states, readiness } = await startWorker(memory, { watchReadiness: true });
    first = worker;
    assert.deepEqual(states(), ['starting->restoring', 'restoring->running']);
    // Whatever /readyz answered while the worker was starting (restoring included) was 503.
    console.error(`${TAG} /readyz during the restart: ${JSON.stringify(readiness)}`);
    assert.deepEqual(
      readiness.filter((r) => r.status !== 503),
      [],
    );
    assertOutcomes(await outcomes(kafka, memory, expected.size - misses(), misses()));
  });

  it('runs two replicas that each hold the whole table and both enrich what they are assigned', async () => {
    const { worker: second } = await startWorker(memory);
    const p = { product: memory.id };
    // Both members hold partitions once the first one joined again after the second came in.
    await waitUntil(async () => (await metric(first, 'dataprod_consumer_rebalances_total', p)) >= 2, {
      what: 'the first replica to rejoin the group',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    for (const w of [first, second]) assert.equal(await metric(w, 'dataprod_lookup_entries', p), CUSTOMERS - 1);
    const consumedBefore = await Promise.all([first, second].map((w) => metric(w, 'dataprod_records_consumed_total', p)));
    await produceOrders(
      Array.from({ length: 1_000 }, (_, i) => [`o-d-${i}`, (i * 53 + 11) % CUSTOMERS, tierOf((i * 53 + 11) % CUSTOMERS)]),
    );
    assertOutcomes(await outcomes(kafka, memory, expected.size - misses(), misses()));
    const consumedAfter = await Promise.all([first, second].map((w) => metric(w, 'dataprod_records_consumed_total', p)));
    console.error(
      `${TAG} two replicas consumed ${consumedAfter[0]! - consumedBefore[0]!} and ${consumedAfter[1]! - consumedBefore[1]!} of 1000 orders`,
    );
    assert.ok(consumedAfter[0]! > consumedBefore[0]! && consumedAfter[1]! > consumedBefore[1]!, 'both replicas processed orders');
  });

  it('refuses to start without the lookup topic, naming it, and warns about a topic that is not compacted', async () => {
    const missing = uniqueName('crm.missing');
    const plain = uniqueName('crm.plain');
    const copyWith = (topic: string) =>
      copyProductFolder(EXAMPLE, 'test-products', {
        inputTopic: memory.inputTopic,
        edit: (doc) => {
          doc.set('status', 'active');
          doc.setIn(['lookups', 0, 'topic'], topic);
        },
      });
    const noTopic = copyWith(missing);
    const notCompacted = copyWith(plain);
    try {
      await assert.rejects(startWorker(noTopic), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(
          err.message,
          new RegExp(`lookup topic ${missing.replace(/\./g, '\\.')} does not exist on the cluster \\(lookups customers\\)`),
        );
        return true;
      });
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: plain, numPartitions: 1 }] });
      const { worker, logs } = await startWorker(notCompacted);
      const warning = logs().find((l) => l.msg.startsWith('the lookup topic is not compacted'));
      assert.deepEqual(warning && [warning.lookup, warning.topic, warning.cleanupPolicy], ['customers', plain, 'delete']);
      // Its input already holds orders and its group is new: backfilling or already caught up, not restoring.
      assert.ok(
        ['backfilling', 'running'].includes(worker.products[0]!.state),
        `an empty table is restored at once (${worker.products[0]!.state})`,
      );
      await worker.close();
    } finally {
      const topics = [plain, ...[noTopic, notCompacted].flatMap((c) => [c.outputTopic, c.dlqTopic])];
      await admin.deleteTopics({ topics }).catch(() => undefined);
      noTopic.remove();
      notCompacted.remove();
    }
  });

  it('gives the same outputs and dead letters with store: disk as with the memory store', async () => {
    const { worker } = await startWorker(disk);
    const p = { product: disk.id };
    assert.equal(await metric(worker, 'dataprod_lookup_entries', p), CUSTOMERS - 1);
    assert.ok((await metric(worker, 'dataprod_lookup_bytes', p)) > 0);
    assert.equal(readdirSync(lookupDir).length, 1, 'one LMDB folder for the one disk table');
    const fromDisk = await outcomes(kafka, disk, expected.size - misses(), misses());
    assertOutcomes(fromDisk);
    const fromMemory = await outcomes(kafka, memory, expected.size - misses(), misses());
    assert.deepEqual(fromDisk, fromMemory);
    await worker.close();
    assert.deepEqual(readdirSync(lookupDir), [], 'the disk store is removed on stop');
  });

  it('replays the lookup-miss dead letters once the customer exists: dlq replay restores the tables first', async () => {
    const missed = [...expected].filter(([, want]) => want === 'lookup-miss').map(([id]) => id);
    assert.deepEqual(missed.sort(), ['o-b-2', 'o-c-1'], 'the orders of the tombstoned customer c-6');
    await producer.send({
      topic: customersTopic,
      acks: -1,
      messages: [{ key: 'c-6', value: frame(customerId, customerType.toBuffer({ customer_id: 'c-6', name: 'Customer 6', tier: 'GOLD' })) }],
    });
    // The disk copy: its table is rebuilt under --lookup-dir by the replay and removed after it.
    const env = { ...process.env, ...workerEnv(stack, { DATAPROD_LOOKUP_DIR: lookupDir }) };
    const replay = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN, 'dlq', 'replay', disk.dir, '--reason', 'lookup-miss', '--json'],
        { env, timeout: 120_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(replay.code, 0, replay.stderr);
    const tally = JSON.parse(replay.stdout) as { product: string; replayed: number; republished: number; redeadLettered: number };
    assert.deepEqual([tally.product, tally.replayed, tally.republished, tally.redeadLettered], [disk.id, 2, 2, 0]);
    assert.deepEqual(readdirSync(lookupDir), [], 'the replay removed its disk store');
    for (const id of missed) expected.set(id, 'GOLD');
    const got = await outcomes(kafka, disk, expected.size, missed.length);
    // The original dead letters stay on the topic (the replay group's offset moved past them).
    assert.deepEqual(
      missed.map((id) => got.dead.get(id)),
      missed.map(() => ['lookup-miss:customers']),
    );
    got.dead.clear();
    assertOutcomes(got);
  });
});
