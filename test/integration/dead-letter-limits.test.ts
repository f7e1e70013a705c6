/**
 * Dead letters sized to the dead-letter topic, and blocked products, against the real broker, with
 * two products in one worker process:
 * - a ~1 MiB raw value (sent with kcat) on an input topic that accepts 2 MiB, to a dead-letter topic
 *   that accepts 1 MiB, is dead-lettered truncated (with the original size in a header); the good
 *   records around it are published once, and the other product is not disturbed;
 * - a dead-letter topic too small for even an empty dead letter blocks that product (503 on
 *   /readyz, TOPIC_WRITE_REFUSED naming the topic) while the other one keeps publishing; raising
 *   the topic's max.message.bytes lets it resume by itself, with nothing lost or duplicated.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import type { RuntimeConfig } from '../../src/config/runtime.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { ConfigResourceTypes } from '../../src/kafka/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { BATCH_OVERHEAD_BYTES, DLQ_HEADER, recordBytes } from '../../src/pipeline/dead-letter.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { requireTool, runTool } from '../support/tools.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
const MiB = 1024 * 1024;
/** Kafka's default max.message.bytes: what the dead-letter topic of the blocked product is raised to. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

interface HealthBody {
  alive: boolean;
  ready: boolean;
  details: { worker: string; products: Record<string, { state: string; reason?: string; code?: string }> };
}

async function topicSize(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Sorted keys, and an assertion that none repeats. */
function distinctKeys(records: { key: string | null }[], what: string): string[] {
  const keys = records.map((r) => r.key ?? '<null>').sort();
  assert.equal(new Set(keys).size, keys.length, `${what}: a key appears twice: ${keys.join(', ')}`);
  return keys;
}

describe('dead letters sized to their topic, and blocked products', { timeout: 170_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registry: RegistryClient;
  let config: Readonly<RuntimeConfig>;
  const copies: ProductCopy[] = [];
  const workers: Worker[] = [];
  const logLines: string[] = [];

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    config = workerConfig(stack, { DATAPROD_LOG_LEVEL: 'info' });
  });

  after(async () => {
    await cleanUpInProcess({ workers, copies, admin, producer });
  });

  /**
   * A product copy with a one-partition input topic and its raw schema registered; with `dlqMaxBytes`,
   * its dead-letter topic is created beforehand with that max.message.bytes.
   */
  async function setUpProduct(
    options: { inputMaxBytes?: number; dlqMaxBytes?: number } = {},
  ): Promise<{ product: ProductCopy; rawId: number }> {
    const product = copyProduct('orders-enriched');
    copies.push(product);
    const maxBytes = (bytes: number | undefined) =>
      bytes === undefined ? undefined : [{ name: 'max.message.bytes', value: String(bytes) }];
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: product.inputTopic, numPartitions: 1, configEntries: maxBytes(options.inputMaxBytes) }],
    });
    if (options.dlqMaxBytes !== undefined) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: product.dlqTopic, numPartitions: 1, configEntries: maxBytes(options.dlqMaxBytes) }],
      });
    }
    const rawId = await registry.register(product.inputSubject, rawSchema);
    return { product, rawId };
  }

  /** One worker process running every product given, with its log captured and its own metrics. */
  async function startWorker(products: ProductCopy[]): Promise<{ worker: Worker; metrics: Registry }> {
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const metrics = new Registry();
    const worker = new Worker({
      config,
      products: await Promise.all(products.map((p) => loadProduct(p.dir))),
      logger: createLogger('info', capture),
      metricsRegistry: metrics,
    });
    workers.push(worker);
    // A new group on an input that already holds records backfills first
    // (docs/runtime.md#backfill-of-a-new-major), for as long as the machine takes to catch up on a
    // few recent records: either state is right here; callers wait for running where it matters.
    const history = await Promise.all(products.map(async (p) => (await topicSize(admin, p.inputTopic)) > 0));
    await worker.start();
    worker.products.forEach((p, i) =>
      assert.ok(history[i] ? ['backfilling', 'running'].includes(p.state) : p.state === 'running', `${p.product.id}: ${p.state}`),
    );
    return { worker, metrics };
  }

  const goodOrders = (rawId: number, seqs: number[]) => {
    const now = Date.now();
    return seqs.map((seq) => ({ key: `o-${seq}`, value: frame(rawId, rawType.toBuffer(rawOrder(seq, now, 'valid'))) }));
  };
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  async function health(worker: Worker, path: '/healthz' | '/readyz'): Promise<{ status: number; body: HealthBody }> {
    const res = await fetch(`${worker.controlUrl}${path}`);
    return { status: res.status, body: (await res.json()) as HealthBody };
  }

  async function waitCommitted(product: ProductCopy, count: number, timeoutMs: number): Promise<void> {
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === count, {
      what: `${product.id} to commit ${count} records`,
      timeoutMs,
      intervalMs: 200,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nworker log (last 30 lines):\n${logLines.slice(-30).join('\n')}`);
    });
  }

  it('a dead letter larger than its topic accepts is written truncated; good records around it and the other product go on', async () => {
    requireTool('kcat');
    // Input takes 2 MiB; the dead-letter topic is created with the broker's default (1 MiB + overhead).
    const { product: big, rawId } = await setUpProduct({ inputMaxBytes: 2 * MiB });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: big.dlqTopic, numPartitions: 1 }] });
    const { product: other, rawId: otherRawId } = await setUpProduct();

    // 10 good, 1 MiB of raw bytes (JSON text, not the Avro wire format), 10 good: one partition.
    await producer.send({ topic: big.inputTopic, acks: -1, messages: goodOrders(rawId, range(0, 10)) });
    const original = Buffer.alloc(MiB);
    const pattern = Buffer.from('{"order_id":"o-big","note":"raw bytes, not avro"} ');
    for (let i = 0; i < original.length; i += pattern.length) pattern.copy(original, i);
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-big-'));
    try {
      writeFileSync(join(dir, 'big'), original);
      const sent = await runTool(
        'kcat',
        [
          '-P',
          '-b',
          stack.brokers.join(','),
          '-t',
          big.inputTopic,
          '-p',
          '0',
          '-k',
          'o-big',
          '-X',
          `message.max.bytes=${3 * MiB}`,
          join(dir, 'big'),
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(sent.code, 0, `kcat failed: ${sent.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await producer.send({ topic: big.inputTopic, acks: -1, messages: goodOrders(rawId, range(10, 20)) });
    assert.equal(await topicSize(admin, big.inputTopic), 21);

    const startedAt = Date.now();
    const { worker, metrics } = await startWorker([big, other]);
    await producer.send({ topic: other.inputTopic, acks: -1, messages: goodOrders(otherRawId, range(100, 105)) });

    await waitCommitted(big, 21, 60_000);
    await waitCommitted(other, 5, 30_000);
    console.error(`[dead-letter-limits] 21 records incl. the 1 MiB one committed ${Date.now() - startedAt} ms after the worker started`);

    // Exactly the 20 good records published, once each; exactly one dead letter.
    assert.equal(await topicSize(admin, big.outputTopic), 20);
    const outputs = await readTopic(kafka, big.outputTopic, 20);
    assert.deepEqual(
      distinctKeys(outputs, 'output'),
      range(0, 20)
        .map((s) => `o-${s}`)
        .sort(),
    );
    assert.equal(await topicSize(admin, big.dlqTopic), 1);
    const [letter] = await readTopic(kafka, big.dlqTopic, 1);
    assert.ok(letter);
    assert.equal(letter.key, 'o-big');
    const h = letter.headers;
    assert.equal(h[DLQ_HEADER.reason], 'not-avro');
    assert.equal(h[DLQ_HEADER.stage], 'decode');
    assert.equal(h[DLQ_HEADER.topic], big.inputTopic);
    assert.equal(h[DLQ_HEADER.partition], '0');
    assert.equal(h[DLQ_HEADER.offset], '10');
    assert.equal(h[DLQ_HEADER.product], big.id);
    assert.equal(h[DLQ_HEADER.valueTruncated], String(original.length));
    const value = letter.value!;
    assert.ok(value.length > 0 && value.length < original.length, `a prefix of the value: ${value.length} of ${original.length} bytes`);
    assert.ok(value.equals(original.subarray(0, value.length)), 'the dead letter keeps a prefix of the original bytes');
    const letterBytes = recordBytes({ key: letter.key, value, headers: letter.headers }) + BATCH_OVERHEAD_BYTES;
    assert.ok(
      letterBytes <= DEFAULT_MAX_MESSAGE_BYTES,
      `the dead letter (${letterBytes} bytes) fits max.message.bytes ${DEFAULT_MAX_MESSAGE_BYTES}`,
    );
    console.error(
      `[dead-letter-limits] original value ${original.length} bytes; dead letter value ${value.length} bytes, record ~${letterBytes} bytes of ${DEFAULT_MAX_MESSAGE_BYTES}`,
    );

    // The whole original stays in the input topic at the position the headers give.
    const input = await readTopic(kafka, big.inputTopic, 21);
    const kept = input.find((r) => r.partition === Number(h[DLQ_HEADER.partition]) && r.offset === h[DLQ_HEADER.offset]);
    assert.ok(kept?.value?.equals(original), 'the original is in the input topic at dataprod.source.partition/offset');

    const scraped = await metrics.metrics();
    assert.match(scraped, new RegExp(`dataprod_dlq_records_truncated_total\\{product="${escapeRegExp(big.id)}"\\} 1\\b`));

    // Nothing blocked: both products run (big's backfill of its 21 records is over once they are
    // committed, at the next progress refresh), the other one published its records once.
    await waitUntil(async () => worker.products[0]!.state === 'running', {
      what: `${big.id} caught up (running)`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    assert.equal(worker.state, 'running');
    assert.deepEqual(
      worker.products.map((p) => p.state),
      ['running', 'running'],
    );
    assert.equal(await topicSize(admin, other.outputTopic), 5);
    assert.deepEqual(
      distinctKeys(await readTopic(kafka, other.outputTopic, 5), 'other output'),
      range(100, 105)
        .map((s) => `o-${s}`)
        .sort(),
    );
    assert.equal(await topicSize(admin, other.dlqTopic), 0);
    const ready = await health(worker, '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.details.products[big.id]?.state, 'running');
    assert.equal(ready.body.details.products[other.id]?.state, 'running');
  });

  it('a dead-letter topic too small for any dead letter blocks that product only; raising its limit resumes it without loss or duplicates', async () => {
    const { product: blocked, rawId } = await setUpProduct({ dlqMaxBytes: 200 });
    const { product: other, rawId: otherRawId } = await setUpProduct();
    const { worker, metrics } = await startWorker([blocked, other]);
    const [blockedWorker, otherWorker] = worker.products;

    // 5 good, 1 bad (not Avro), 5 good: the good ones before it go through, the rest wait behind it.
    const inputs = [
      ...goodOrders(rawId, range(0, 5)),
      { key: 'o-bad', value: Buffer.from('{"order_id":"o-bad"}') },
      ...goodOrders(rawId, range(5, 10)),
    ];
    const sentAt = Date.now();
    await producer.send({ topic: blocked.inputTopic, acks: -1, messages: inputs });

    let body: HealthBody | undefined;
    await waitUntil(
      async () => {
        const res = await health(worker, '/readyz');
        body = res.body;
        return res.status === 503 && res.body.details.products[blocked.id]?.state === 'blocked';
      },
      { what: `/readyz to answer 503 with ${blocked.id} blocked`, timeoutMs: 30_000, intervalMs: 100 },
    );
    const blockedAt = Date.now();
    console.error(`[dead-letter-limits] blocked ${blockedAt - sentAt} ms after the produce`);
    const status = body!.details.products[blocked.id]!;
    assert.equal(status.code, 'TOPIC_WRITE_REFUSED');
    assert.ok(status.reason?.includes(blocked.dlqTopic), `the reason names the dead-letter topic: ${status.reason}`);
    console.error(`[dead-letter-limits] reason: ${status.reason}`);
    assert.equal(body!.details.products[other.id]?.state, 'running');
    assert.equal((await health(worker, '/healthz')).status, 503);
    assert.match(
      await metrics.metrics(),
      new RegExp(`dataprod_product_state\\{product="${escapeRegExp(blocked.id)}",state="blocked"\\} 1\\b`),
    );

    // The other product of the process goes on meanwhile.
    await producer.send({ topic: other.inputTopic, acks: -1, messages: goodOrders(otherRawId, range(100, 110)) });
    await waitCommitted(other, 10, 30_000);
    assert.equal(otherWorker!.state, 'running');
    assert.equal(await topicSize(admin, other.outputTopic), 10);

    // Still blocked after retries with the limit unchanged (back-off 1 s, then 2 s): each retry re-reads
    // the limit and blocks again.
    const retries = () => logLines.filter((l) => l.includes(blocked.id) && l.includes('retrying the blocked write')).length;
    // Readiness sampled meanwhile: logged, not asserted (see the report: a retry shows 'running' until it blocks again).
    const probes = { ok: 0, unavailable: 0 };
    await waitUntil(
      async () => {
        if ((await health(worker, '/readyz')).status === 200) probes.ok += 1;
        else probes.unavailable += 1;
        return retries() >= 2 && blockedWorker!.state === 'blocked';
      },
      {
        what: `${blocked.id} to block again after 2 retries (${retries()} so far, state ${blockedWorker!.state})`,
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
    assert.equal(blockedWorker!.reason, status.reason);
    console.error(
      `[dead-letter-limits] while blocked, before the limit was raised: /readyz answered 503 to ${probes.unavailable} probes and 200 to ${probes.ok}`,
    );
    // A retry does not make the product look healthy before its write went through.
    assert.equal(
      probes.ok,
      0,
      `/readyz answered 200 to ${probes.ok} of ${probes.ok + probes.unavailable} probes while the product was blocked`,
    );
    // Nothing past the bad record was committed, and it was not dead-lettered.
    assert.equal((await groupProgress(admin, blocked.group, blocked.inputTopic)).committed, 5);
    assert.equal(await topicSize(admin, blocked.dlqTopic), 0);
    assert.equal(await topicSize(admin, blocked.outputTopic), 5);
    assert.notEqual(blockedWorker!.state, 'stopped');

    // Raise the dead-letter topic's limit: the product resumes by itself.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: blocked.dlqTopic,
          configEntries: [{ name: 'max.message.bytes', value: String(DEFAULT_MAX_MESSAGE_BYTES) }],
        },
      ],
    });
    const raisedAt = Date.now();
    console.error(`[dead-letter-limits] raised max.message.bytes ${raisedAt - blockedAt} ms after the block`);
    await waitCommitted(blocked, inputs.length, 60_000).finally(() => {
      for (const line of logLines)
        if (line.includes(blocked.id) && /blocked|retrying|product state|refuses|max\.message\.bytes/.test(line))
          console.error(`[dead-letter-limits] log: ${line.slice(0, 400)}`);
    });
    console.error(`[dead-letter-limits] resumed: everything committed ${Date.now() - raisedAt} ms after the limit was raised`);
    await waitUntil(async () => (await health(worker, '/readyz')).status === 200, {
      what: '/readyz to answer 200 again',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    assert.equal(blockedWorker!.state, 'running');
    assert.equal(otherWorker!.state, 'running');
    const ready = await health(worker, '/readyz');
    assert.equal(ready.body.details.products[blocked.id]?.state, 'running');
    assert.match(
      await metrics.metrics(),
      new RegExp(`dataprod_product_state\\{product="${escapeRegExp(blocked.id)}",state="blocked"\\} 0\\b`),
    );

    // Every input record published or dead-lettered exactly once.
    assert.equal(await topicSize(admin, blocked.outputTopic), 10);
    assert.equal(await topicSize(admin, blocked.dlqTopic), 1);
    const outputs = distinctKeys(await readTopic(kafka, blocked.outputTopic, 10), 'output');
    const letters = await readTopic(kafka, blocked.dlqTopic, 1);
    assert.deepEqual(
      outputs,
      range(0, 10)
        .map((s) => `o-${s}`)
        .sort(),
    );
    assert.deepEqual(
      letters.map((r) => r.key),
      ['o-bad'],
    );
    assert.equal(letters[0]!.headers[DLQ_HEADER.reason], 'not-avro');
    assert.equal(letters[0]!.headers[DLQ_HEADER.offset], '5');
    assert.equal(letters[0]!.headers[DLQ_HEADER.valueTruncated], undefined, 'it fits whole now');
    console.error(
      `[dead-letter-limits] the dead letter was written ${Number(letters[0]!.timestamp) - raisedAt} ms after the limit was raised`,
    );
    assert.deepEqual([...outputs, ...letters.map((r) => r.key)].sort(), inputs.map((m) => m.key).sort());
    assert.equal(await topicSize(admin, other.outputTopic), 10, 'the other product published nothing twice');
  });
});
