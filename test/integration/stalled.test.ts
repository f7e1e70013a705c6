/**
 * A product whose lag stays above 0 with no commit for --stall-after-ms is `stalled`: /healthz and
 * /readyz answer 503, with the product's state `stalled`, whatever its own state says.
 *
 * The stall is a real one, on the shared broker and without blocking the worker's event loop: an
 * exactly-once product is fenced by another producer that takes its transactional id (as a second
 * deployment of the product with the same group would). Its next transaction is refused; it pauses
 * the partition until its group reassigns it, which nothing triggers: records wait, nothing is
 * committed, and its own state stays `running`. A member joining and leaving the group then makes
 * it claim the partition again: it commits the waiting records and is healthy again, nothing lost.
 *
 * (Raising the output topic's min.insync.replicas above the replica count does not refuse writes on
 * Kafka 3.9: the broker caps the effective minimum at the replica count.)
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { connectClients, workerConfig } from '../support/worker.js';

const STALL_AFTER_MS = 2_000;

interface HealthBody {
  alive: boolean;
  ready: boolean;
  details: { worker: string; products: Record<string, { state: string; reason?: string; code?: string }> };
}

describe('stalled product', { timeout: 180_000 }, () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;
  let worker: Worker | undefined;
  const logLines: string[] = [];
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  let rawId: number;
  let brokers: string[];
  let registryUrl: string;

  before(async () => {
    const stack = await testStack();
    brokers = stack.brokers;
    registryUrl = stack.schemaRegistryUrl;
    ({ kafka, admin, producer } = await connectClients(stack));
    product = copyProduct('orders-enriched', (doc) => doc.set('delivery', 'exactly-once'));
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 1 }] });
    rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
  });

  after(async () => {
    await worker?.close();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
    await admin?.disconnect();
    product?.remove();
  });

  const orders = (from: number, to: number) => {
    const now = Date.now();
    return Array.from({ length: to - from }, (_, i) => from + i).map((seq) => ({
      key: `o-${seq}`,
      value: frame(rawId, rawType.toBuffer(rawOrder(seq, now, 'valid'))),
    }));
  };
  const committed = async () => (await groupProgress(admin, product.group, product.inputTopic)).committed;
  async function health(path: '/healthz' | '/readyz'): Promise<{ status: number; body: HealthBody }> {
    const res = await fetch(`${worker!.controlUrl}${path}`);
    return { status: res.status, body: (await res.json()) as HealthBody };
  }
  const logTail = () => `worker log (last 30 lines):\n${logLines.slice(-30).join('\n')}`;

  it('reports a product with lag and no commit for --stall-after-ms as stalled (503), and healthy again once it commits', async () => {
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const config = workerConfig({ brokers, schemaRegistryUrl: registryUrl }, { DATAPROD_STALL_AFTER_MS: String(STALL_AFTER_MS) });
    worker = new Worker({
      config,
      products: [await loadProduct(product.dir)],
      logger: createLogger('info', capture),
      metricsRegistry: new Registry(),
    });
    await worker.start();

    // Healthy: records flow and are committed.
    await producer.send({ topic: product.inputTopic, acks: -1, messages: orders(0, 10) });
    await waitUntil(async () => (await committed()) === 10, {
      what: 'the first 10 records to be committed',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    // Past the stall window with lag 0: an idle product is not stalled.
    await new Promise((r) => setTimeout(r, STALL_AFTER_MS + 500));
    const idle = await health('/healthz');
    assert.equal(idle.status, 200, `an idle product is healthy: ${JSON.stringify(idle.body)}`);
    assert.equal(idle.body.details.products[product.id]?.state, 'running');

    // Probed every 100 ms from here on, as an orchestrator would: the stall clock of an idle product
    // only advances when health is asked (see ProductWorker.stalled).
    const probes: { at: number; status: number; state: string }[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const res = await health('/healthz');
        probes.push({ at: Date.now(), status: res.status, state: res.body.details.products[product.id]?.state ?? '?' });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    // Another producer takes the partition's transactional id: its InitProducerId fences the worker's.
    const usurper = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: `${product.group}.${product.inputTopic}.0`,
    });
    await usurper.connect();
    const tx = await usurper.transaction();
    await tx.abort();
    await usurper.disconnect();
    const sentAt = Date.now();
    await producer.send({ topic: product.inputTopic, acks: -1, messages: orders(10, 20) });
    await waitUntil(async () => logLines.some((l) => l.includes('fenced by a newer owner of the partition')), {
      what: 'the worker to be fenced',
      timeoutMs: 30_000,
      intervalMs: 100,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${logTail()}`);
    });
    const seen = () =>
      JSON.stringify(probes.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.state]: (acc[p.state] ?? 0) + 1 }), {}));
    await waitUntil(async () => probes.some((p) => p.state === 'stalled'), {
      what: `/healthz to report ${product.id} stalled`,
      timeoutMs: 30_000,
      intervalMs: 100,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; states seen: ${seen()}\n${logTail()}`);
    });
    probing = false;
    await prober;
    const stalled = probes.find((p) => p.state === 'stalled')!;
    const stalledAfterMs = stalled.at - sentAt;
    assert.equal(stalled.status, 503);
    // The clock starts at the last probe that saw no lag, at most one probe interval (+ its answer) before the send.
    assert.ok(
      stalledAfterMs >= STALL_AFTER_MS - 200,
      `stalled only after --stall-after-ms (${stalledAfterMs} ms after the records were sent)`,
    );
    assert.equal(await committed(), 10, 'nothing committed while fenced');
    const ready = await health('/readyz');
    assert.equal(ready.status, 503, `/readyz of a stalled product: ${JSON.stringify(ready.body)}`);
    console.error(`[stalled] /healthz said stalled ${stalledAfterMs} ms after the records were sent; probe answers by state: ${seen()}`);

    const rejoinAt = Date.now();
    // A member joins the group and leaves: the worker joins again, claims the partition and goes on.
    const visitor = kafka.consumer({ groupId: product.group, sessionTimeout: 6_000 });
    await visitor.connect();
    await visitor.subscribe({ topic: product.inputTopic, fromBeginning: true });
    let joined = false;
    visitor.on(visitor.events.GROUP_JOIN, () => (joined = true));
    // It holds what it is given without writing or committing anything.
    await visitor.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    await waitUntil(async () => joined, { what: 'a second member to join the group', timeoutMs: 30_000, intervalMs: 100 });
    await visitor.disconnect();
    await waitUntil(async () => (await committed()) === 20, {
      what: 'the waiting records to be committed',
      timeoutMs: 60_000,
      intervalMs: 100,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${logTail()}`);
    });
    await waitUntil(
      async () => {
        const res = await health('/healthz');
        return res.status === 200 && res.body.details.products[product.id]?.state === 'running';
      },
      { what: '/healthz to answer 200 again', timeoutMs: 30_000, intervalMs: 100 },
    );
    console.error(`[stalled] committed and healthy again ${Date.now() - rejoinAt} ms after a second member began to join the group`);
    const outputs = await readTopic(kafka, product.outputTopic, 20);
    assert.deepEqual(new Set(outputs.map((r) => r.key)).size, 20, 'every order published');
  });
});
