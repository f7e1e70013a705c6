/**
 * The dead-letter halt breaker: a transform that throws on every record must not bury the whole
 * stream in the dead-letter topic ("a bug is not data"). Once the window holds enough records and
 * more than the configured share of them is dead-lettered, the product halts: nothing of the
 * tripping batch is written or committed, /healthz answers 503 with the reason. A stream with a
 * normal share of bad records keeps running.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import type { RuntimeConfig } from '../../src/config/runtime.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../src/tools/demo/generators.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';
import { testStack } from '../support/stack.js';

const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
const MIN_RECORDS = 20;

const THROWING_TRANSFORM = `import { defineTransform } from 'dataprod';
export default defineTransform(() => {
  throw new Error('bug');
});
`;

async function topicSize(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

describe('dead-letter halt breaker', { timeout: 180_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let config: Readonly<RuntimeConfig>;
  const copies: ProductCopy[] = [];
  const workers: Worker[] = [];

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
    config = workerConfig(stack, {
      DATAPROD_DLQ_HALT_RATIO: '0.5',
      DATAPROD_DLQ_HALT_MIN_RECORDS: String(MIN_RECORDS),
    });
    assert.deepEqual(config.dlqHalt, { ratio: 0.5, minRecords: MIN_RECORDS, windowMs: 60_000 });
  });

  after(async () => {
    await cleanUpInProcess({ workers, copies, admin, producer });
  });

  /** A product copy with its input topic (one partition) and the raw schema registered. */
  async function setUp(transform?: string): Promise<{ product: ProductCopy; rawId: number; worker: Worker; metrics: Registry }> {
    const product = copyProduct('orders-enriched');
    copies.push(product);
    if (transform !== undefined) writeFileSync(join(product.dir, 'transform.ts'), transform);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 1 }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    const metrics = new Registry();
    const worker = new Worker({
      config,
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: metrics,
    });
    workers.push(worker);
    return { product, rawId, worker, metrics };
  }

  it('a transform that always throws halts the product instead of dead-lettering everything', async () => {
    const TOTAL = 100;
    const { product, rawId, worker, metrics } = await setUp(THROWING_TRANSFORM);
    await worker.start();
    const [productWorker] = worker.products;
    assert.equal(productWorker!.state, 'running');

    const now = Date.now();
    await producer.send({
      topic: product.inputTopic,
      acks: -1,
      messages: Array.from({ length: TOTAL }, (_, seq) => ({
        key: `o-${seq}`,
        value: frame(rawId, rawType.toBuffer(rawOrder(seq, now, 'valid'))),
      })),
    });

    const startedAt = Date.now();
    await waitUntil(async () => productWorker!.state === 'halted', {
      what: `the product to halt (state ${productWorker!.state})`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    console.error(`[dlq-halt] halted ${Date.now() - startedAt} ms after the produce`);
    assert.match(productWorker!.reason, /more than 50% of records dead-lettered within 60 s/);

    // Give it time to do the wrong thing (dead-letter or commit more), if it were going to.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal(productWorker!.state, 'halted', 'nothing un-halts a product but a restart');

    const health = await fetch(`${worker.controlUrl}/healthz`);
    assert.equal(health.status, 503);
    const body = (await health.json()) as { alive: boolean; details: { products: Record<string, { state: string; reason?: string }> } };
    assert.equal(body.alive, false);
    assert.deepEqual(body.details.products[product.id], { state: 'halted', reason: productWorker!.reason });
    assert.equal((await fetch(`${worker.controlUrl}/readyz`)).status, 503);
    assert.match(
      await metrics.metrics(),
      new RegExp(`dataprod_product_state\\{product="${product.id.replace(/\./g, '\\.')}",state="halted"\\} 1`),
    );

    const dlq = await topicSize(admin, product.dlqTopic);
    const output = await topicSize(admin, product.outputTopic);
    const progress = await groupProgress(admin, product.group, product.inputTopic);
    console.error(`[dlq-halt] dead-lettered ${dlq} of ${TOTAL}; committed ${progress.committed} of ${progress.end}`);
    assert.equal(output, 0, 'nothing published');
    assert.equal(progress.end, TOTAL);
    // Only batches before the one that tripped can have gone through, and they held fewer
    // records than the window needs to judge.
    assert.ok(dlq < MIN_RECORDS, `the breaker stopped the dead-lettering: ${dlq} dead letters for ${TOTAL} records`);
    assert.ok(progress.committed < TOTAL, 'nothing past the halt was committed');
    // Every committed record was dead-lettered (nothing committed that was not written).
    assert.equal(progress.committed, dlq, 'committed exactly what was dead-lettered');

    // A halted worker stops cleanly (exit code 0), and the drain commits nothing of the halted batch.
    await worker.close();
    assert.equal(await worker.done, 0);
    assert.equal((await groupProgress(admin, product.group, product.inputTopic)).committed, progress.committed);
    assert.equal(await topicSize(admin, product.dlqTopic), dlq);
  });

  it('a normal share of bad records is dead-lettered and the product keeps running', async () => {
    const TOTAL = 400;
    const { product, rawId, worker } = await setUp();
    await worker.start();
    const [productWorker] = worker.products;

    const now = Date.now();
    const encode = (seq: number): Buffer =>
      kindOf(seq) === 'not-avro' ? Buffer.from(`{"order_id":"o-${seq}"}`) : frame(rawId, rawType.toBuffer(rawOrder(seq, now)));
    const seqs = Array.from({ length: TOTAL }, (_, seq) => seq);
    const expectedOutputs = seqs.filter((seq) => kindOf(seq) === 'valid').length;
    const expectedDlq = seqs.filter((seq) => !['valid', 'filtered'].includes(kindOf(seq))).length;
    // kindOf: 4 of every 50 dead-letter (contract, quality, transform, not-avro), far below 50%.
    assert.equal(expectedDlq, (TOTAL / 50) * 4);
    // Several sends, so the breaker sees several batches, as in a live stream.
    for (let start = 0; start < TOTAL; start += 50) {
      await producer.send({
        topic: product.inputTopic,
        acks: -1,
        messages: seqs.slice(start, start + 50).map((seq) => ({ key: `o-${seq}`, value: encode(seq) })),
      });
    }

    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === TOTAL, {
      what: 'the group to commit every record',
      timeoutMs: 60_000,
      abortReason: () => (productWorker!.state === 'halted' ? `the product halted: ${productWorker!.reason}` : undefined),
    });
    assert.equal(productWorker!.state, 'running');
    assert.equal((await fetch(`${worker.controlUrl}/healthz`)).status, 200);

    const outputs = await readTopic(kafka, product.outputTopic, expectedOutputs);
    const dlq = await readTopic(kafka, product.dlqTopic, expectedDlq);
    assert.equal(outputs.length, expectedOutputs);
    assert.equal(dlq.length, expectedDlq);
    assert.deepEqual(
      dlq.map((r) => r.key).sort(),
      seqs
        .filter((seq) => !['valid', 'filtered'].includes(kindOf(seq)))
        .map((seq) => `o-${seq}`)
        .sort(),
    );
  });
});
