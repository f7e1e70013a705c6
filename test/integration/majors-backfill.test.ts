/**
 * Two majors of one product side by side, on the shared broker and registry. v1 runs (worker A);
 * 50,000 orders from an hour ago are in its input. Then v2 (same id, next major, its own folder)
 * starts in worker B beside a second replica of v1: its new group backfills the 50,000 from the
 * earliest offset while live orders keep arriving, and turns running once caught up. v2's topic is
 * then read whole and every record counted by key and content: none lost, none twice, each
 * partition in input order across the switch from backfill to live. The state changes are read
 * from the worker's own log (every transition is logged), so the verdict does not depend on how
 * fast the backfill runs; /products and /metrics are polled for the progress meanwhile.
 *
 * Who consumes: two consumer groups read v1's topic; one moves to v2. With a one-second discovery
 * (--consumer-groups-refresh-ms 1000) /products and /metrics of worker B show the moved group on
 * v2 and the other on v1, with their lag and the last commit seen moving.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { parseDocument } from 'yaml';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadProduct } from '../../src/product/load.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { Worker } from '../../src/runtime/worker.js';
import { readTopicSettled } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const BACKFILL = 50_000;
const LIVE_SENDS = 20;
const LIVE_PER_SEND = 200;
const MOVE_RECORDS = 300;
const TOTAL = BACKFILL + LIVE_SENDS * LIVE_PER_SEND + MOVE_RECORDS;
const HOUR_MS = 3_600_000;

interface GroupView {
  group: string;
  lagRecords: number;
  lastCommitMovedAt: number | null;
}

interface CatalogueProduct {
  majorId: string;
  state: string;
  live: { backfill?: { recordsBehind: number; etaSeconds: number | null } | null };
  consumers: { total: number; refreshedAt: number | null; groups: GroupView[] } | null;
}

describe('two majors side by side: v2 backfills, then follows live input; consumers are discovered', { timeout: 600_000 }, () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let v1: ProductCopy;
  let v2: ProductCopy;
  const workers: Worker[] = [];
  const readers: Consumer[] = [];
  const logB: string[] = [];
  let brokers: string[];
  let registryUrl: string;
  let rawId: number;
  const rawType = avsc.Type.forSchema(readSchema('orders-enriched', 'raw-order.avsc') as avsc.Schema);
  const outType = avsc.Type.forSchema(readSchema('orders-enriched', 'orders-enriched.avsc') as avsc.Schema);
  /** Broker timestamp of each order, by sequence number (the content check compares created_at). */
  const createdAt = new Map<number, number>();
  /** The /products and /metrics poller of the first test, stopped in after() too if the test fails early. */
  let polling = false;
  let poller: Promise<void> | undefined;

  before(async () => {
    const stack = await testStack();
    brokers = stack.brokers;
    registryUrl = stack.schemaRegistryUrl;
    ({ kafka, admin, producer } = await connectClients(stack));
    v1 = copyProduct('orders-enriched');
    v2 = nextMajor(v1);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: v1.inputTopic, numPartitions: 3 }] });
    rawId = await new RegistryClient({ url: registryUrl }).register(v1.inputSubject, readSchema('orders-enriched', 'raw-order.avsc'));
  });

  after(async () => {
    polling = false;
    await poller;
    for (const r of readers) await r.disconnect().catch(() => undefined);
    await cleanUpInProcess({ workers, copies: [v1, v2].filter(Boolean), admin, producer });
  });

  /** v2 of a copied product: the same folder, id and input, version 2.0.0, its own topics (default dead-letter topic). */
  function nextMajor(first: ProductCopy): ProductCopy {
    const dir = `${first.dir}-v2`;
    cpSync(first.dir, dir, { recursive: true });
    const file = `${dir}/product.yaml`;
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const outputTopic = first.outputTopic.replace(/\.v1$/, '.v2');
    doc.set('version', '2.0.0');
    doc.setIn(['outputPorts', 0, 'topic'], outputTopic);
    doc.delete('deadLetter');
    writeFileSync(file, doc.toString());
    return {
      ...first,
      dir,
      outputTopic,
      dlqTopic: first.dlqTopic.replace(/\.dlq$/, '.v2.dlq'),
      group: first.group.replace(/\.v1$/, '.v2'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  }

  async function send(from: number, count: number, at: number): Promise<void> {
    const messages = [];
    for (let seq = from; seq < from + count; seq++) {
      createdAt.set(seq, at);
      messages.push({ key: `o-${seq}`, value: frame(rawId, rawType.toBuffer(rawOrder(seq, at, 'valid'))), timestamp: String(at) });
    }
    await producer.send({ topic: v1.inputTopic, acks: -1, messages });
  }

  async function startWorker(products: string[], log?: string[]): Promise<Worker> {
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        log?.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const worker = new Worker({
      config: workerConfig({ brokers, schemaRegistryUrl: registryUrl }, { DATAPROD_CONSUMER_GROUPS_REFRESH_MS: '1000' }),
      products: await Promise.all(products.map((dir) => loadProduct(dir))),
      logger: createLogger('info', capture),
      metricsRegistry: new Registry(),
    });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  /** A reader group on a product topic that commits what it reads every half second. */
  async function reader(groupId: string, topic: string): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 500, eachMessage: async () => undefined });
    readers.push(consumer);
    return consumer;
  }

  const catalogue = async (w: Worker) =>
    ((await (await fetch(`${w.controlUrl}/products`)).json()) as { products: CatalogueProduct[] }).products;
  const productOf = async (w: Worker, majorId: string) => (await catalogue(w)).find((p) => p.majorId === majorId)!;
  const metricsOf = async (w: Worker) => (await fetch(`${w.controlUrl}/metrics`)).text();

  it('backfills 50,000 records into v2 then follows live input: each record once, in order; backfilling -> running', async (t) => {
    const workerA = await startWorker([v1.dir]);
    await waitUntil(async () => (await productOf(workerA, v1.id)).state === 'running', {
      what: 'v1 running',
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    // History: an hour old, produced in batches of 5,000.
    const historyAt = Date.now() - HOUR_MS;
    for (let from = 0; from < BACKFILL; from += 5_000) await send(from, 5_000, historyAt);

    const readerA = uniqueName('reader-a');
    const readerB = uniqueName('reader-b');
    await reader(readerA, v1.outputTopic);
    const movingReader = await reader(readerB, v1.outputTopic);

    // v2 beside a second replica of v1, in one worker; live orders keep coming meanwhile.
    const workerB = await startWorker([v1.dir, v2.dir], logB);
    const v2Id = `${v2.id}.v2`;
    const seen = { states: [] as string[], backfillInProducts: 0, backfillInMetrics: 0 };
    polling = true;
    poller = (async () => {
      while (polling) {
        const p = await productOf(workerB, v2Id).catch(() => undefined);
        if (p && seen.states.at(-1) !== p.state) seen.states.push(p.state);
        if (p?.live.backfill && p.live.backfill.recordsBehind > 0) seen.backfillInProducts += 1;
        const m = await metricsOf(workerB).catch(() => '');
        if (new RegExp(`^dataprod_backfill_records_behind\\{product="${v2Id.replace(/\./g, '\\.')}"\\} [1-9]`, 'm').test(m))
          seen.backfillInMetrics += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let next = BACKFILL;
    for (let i = 0; i < LIVE_SENDS; i++) {
      await send(next, LIVE_PER_SEND, Date.now());
      next += LIVE_PER_SEND;
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitUntil(async () => (await productOf(workerB, v2Id)).state === 'running', {
      what: 'v2 caught up (running)',
      timeoutMs: 240_000,
      intervalMs: 500,
    });

    // One reader moves to v2. Once the discovery has seen it there, more live orders: both readers
    // commit them, so both are seen moving (whatever the speed of the readers and the discovery).
    await movingReader.disconnect();
    readers.splice(readers.indexOf(movingReader), 1);
    await reader(readerB, v2.outputTopic);
    const movedAt = Date.now();
    const groupsOf = async (majorId: string) => (await productOf(workerB, majorId)).consumers?.groups ?? [];
    const explain = async (err: Error) => {
      const consumers = (await catalogue(workerB)).map((p) => [p.majorId, p.consumers]);
      return new Error(`${err.message}\n/products consumers: ${JSON.stringify(consumers)}`);
    };
    await waitUntil(async () => (await groupsOf(v2Id)).some((g) => g.group === readerB), {
      what: `${readerB} discovered on v2`,
      timeoutMs: 60_000,
      intervalMs: 250,
    }).catch(async (err: Error) => Promise.reject(await explain(err)));
    t.diagnostic(`${readerB} discovered on v2 ${Date.now() - movedAt} ms after it subscribed there (refresh every 1000 ms)`);
    const movedFrom = Date.now();
    await send(next, MOVE_RECORDS, Date.now());
    next += MOVE_RECORDS;
    assert.equal(next, TOTAL);
    const movedAfter = (groups: GroupView[], group: string) =>
      (groups.find((g) => g.group === group)?.lastCommitMovedAt ?? 0) >= movedFrom - 1_000;
    await waitUntil(async () => movedAfter(await groupsOf(v1.id), readerA) && movedAfter(await groupsOf(v2Id), readerB), {
      what: `${readerA} on v1 and ${readerB} on v2 seen committing the last ${MOVE_RECORDS} orders`,
      timeoutMs: 60_000,
      intervalMs: 250,
    }).catch(async (err: Error) => Promise.reject(await explain(err)));
    // The status page renders /api/status: the same readers there.
    const status = (await (await fetch(`${workerB.controlUrl}/api/status`)).json()) as { products: CatalogueProduct[] };
    const readersIn = (majorId: string) => status.products.find((p) => p.majorId === majorId)?.consumers?.groups.map((g) => g.group) ?? [];
    assert.ok(readersIn(v2Id).includes(readerB), JSON.stringify(status.products.map((p) => p.consumers)));
    assert.ok(!readersIn(v2Id).includes(readerA));
    assert.ok(readersIn(v1.id).includes(readerA));
    const metrics = await metricsOf(workerB);
    const lagLine = (product: string, group: string) =>
      new RegExp(`^dataprod_product_consumer_group_lag_records\\{product="${product}",topic="[^"]+",group="${group}"\\} \\d+$`, 'm');
    assert.match(metrics, lagLine(v2Id, readerB));
    assert.match(metrics, lagLine(v1.id, readerA));
    assert.match(metrics, lagLine(v1.id, readerB), 'its offsets on v1 remain (Kafka keeps them until they expire)');
    assert.doesNotMatch(metrics, lagLine(v2Id, readerA), `${readerA} never read v2`);

    polling = false;
    await poller;

    // Every record exactly once on v2, with its content, each partition in input order.
    const records = await readTopicSettled(kafka, v2.outputTopic, TOTAL, { timeoutMs: 120_000 });
    const count = new Map<number, number>();
    const lastSeq = new Map<number, number>();
    const problems: string[] = [];
    for (const r of records) {
      const seq = Number(r.key!.slice(2));
      count.set(seq, (count.get(seq) ?? 0) + 1);
      const out = outType.fromBuffer(r.value!.subarray(5)) as Record<string, unknown>;
      const input = rawOrder(seq, createdAt.get(seq) ?? 0, 'valid');
      const items = input.items as { quantity: number }[];
      const expected = {
        order_id: `o-${seq}`,
        customer_id: input.customer_id,
        customer_email: String(input.customer_email).toLowerCase(),
        item_count: items.reduce((n, i) => n + i.quantity, 0),
        created_at: createdAt.get(seq),
      };
      const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, out[k]]));
      if (JSON.stringify(actual) !== JSON.stringify(expected) && problems.length < 5)
        problems.push(`${r.key}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
      const before = lastSeq.get(r.partition);
      // Keys stay on their partition (same murmur2, same partition count), so seq only grows there.
      if (before !== undefined && seq < before && problems.length < 5)
        problems.push(`partition ${r.partition}: o-${seq} after o-${before}`);
      lastSeq.set(r.partition, seq);
    }
    const lost = Array.from({ length: TOTAL }, (_, s) => s).filter((s) => !count.has(s));
    const twice = [...count].filter(([, n]) => n > 1).map(([s]) => s);
    assert.deepEqual(
      { records: records.length, lost: lost.length, duplicated: twice.length, problems },
      { records: TOTAL, lost: 0, duplicated: 0, problems: [] },
      `lost ${lost.slice(0, 5).join(',')}; twice ${twice.slice(0, 5).join(',')}`,
    );

    // The state changes of v2, as logged: backfilling from its first join, running once caught up, never back.
    const changes = logB
      .map((l) => JSON.parse(l) as { msg?: string; product?: string; from?: string; to?: string; time: number })
      .filter((l) => l.msg === 'product state' && l.product === v2Id);
    const transitions = changes.map((l) => `${l.from}->${l.to}`);
    if (changes.length >= 2)
      t.diagnostic(`v2 backfilling for ${changes[1]!.time - changes[0]!.time} ms (${BACKFILL} records behind at start)`);
    assert.deepEqual(transitions.slice(0, 2), ['starting->backfilling', 'backfilling->running'], transitions.join(', '));
    assert.ok(!transitions.slice(2).some((t) => t.endsWith('backfilling')), transitions.join(', '));
    assert.deepEqual(
      seen.states.filter((s) => s === 'backfilling' || s === 'running'),
      ['backfilling', 'running'],
      `states seen in /products: ${seen.states.join(', ')}`,
    );
    assert.ok(seen.backfillInProducts > 0, 'backfill progress shown in /products');
    assert.ok(seen.backfillInMetrics > 0, 'dataprod_backfill_records_behind exported');
    // v1 in the same worker was not backfilling: its group had committed offsets.
    assert.ok(
      !logB.some((l) => l.includes('"msg":"product state"') && l.includes(`"product":"${v1.id}"`) && l.includes('"to":"backfilling"')),
    );
  });
});
