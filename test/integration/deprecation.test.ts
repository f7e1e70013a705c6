/**
 * A product on its way out, against the real broker and registry. Deprecated: the worker warns at
 * start with the sunset and the successor, /products and /api/status show them, and /metrics
 * exports dataprod_product_sunset_timestamp_seconds. Retired: `dataprod check` names the
 * consumer groups that still have offsets on its topic (one reading now, one with offsets only),
 * found with the admin API.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { Stack } from '../../src/devstack/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { runTool, type RunResult } from '../support/tools.js';
import { cleanUpInProcess, connectClients, workerConfig, type TestClients } from '../support/worker.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const SUNSET = '2027-03-31';
const show = (r: RunResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('deprecated and retired products', () => {
  let stack: Stack;
  let clients: TestClients;
  const copies: ProductCopy[] = [];
  const workers: Worker[] = [];
  const consumers: Consumer[] = [];

  before(async () => {
    stack = await testStack();
    clients = await connectClients(stack);
  });

  after(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await cleanUpInProcess({ workers, copies, admin: clients?.admin, producer: clients?.producer });
  });

  it('a deprecated product warns at start and shows its sunset and successor in /products, /api/status and /metrics', async () => {
    const copy = copyProduct('orders-enriched', (doc) => {
      doc.set('status', 'deprecated');
      doc.set('sunset', SUNSET);
      doc.set('successor', 2);
    });
    copies.push(copy);
    await clients.admin.createTopics({ waitForLeaders: true, topics: [{ topic: copy.inputTopic, numPartitions: 1 }] });
    await new RegistryClient({ url: stack.schemaRegistryUrl }).register(copy.inputSubject, readSchema('orders-enriched', 'raw-order.avsc'));
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const worker = new Worker({
      config: workerConfig(stack),
      products: [await loadProduct(copy.dir)],
      logger: createLogger('info', capture),
      metricsRegistry: new Registry(),
    });
    workers.push(worker);
    await worker.start();
    const successor = copy.outputTopic.replace(/\.v1$/, '.v2');

    const warning = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).startsWith('product is deprecated'));
    assert.ok(warning, lines.join('\n'));
    assert.equal(warning.level, 40, 'a warning');
    assert.equal(warning.sunset, SUNSET);
    assert.equal(warning.successor, successor);
    assert.equal(warning.msg, `product is deprecated: consumers should move to its successor ${successor} before the sunset on ${SUNSET}`);

    const get = async (path: string) => (await fetch(worker.controlUrl + path)).text();
    const catalogue = JSON.parse(await get('/products')) as { products: Record<string, unknown>[] };
    const entry = catalogue.products.find((p) => p.id === copy.id)!;
    assert.equal(entry.status, 'deprecated');
    assert.equal(entry.sunset, SUNSET);
    assert.equal(entry.successorTopic, successor);
    const status = JSON.parse(await get('/api/status')) as { products: Record<string, unknown>[] };
    assert.deepEqual(
      status.products.filter((p) => p.id === copy.id).map((p) => [p.sunset, p.successorTopic]),
      [[SUNSET, successor]],
    );
    assert.match(await get('/'), /data-f="sunset"/);
    const metrics = await get('/metrics');
    const line = metrics.split('\n').find((l) => l.startsWith(`dataprod_product_sunset_timestamp_seconds{product="${copy.id}"}`));
    assert.equal(line?.split(' ')[1], String(Date.UTC(2027, 2, 31) / 1000), metrics.slice(0, 2000));
  });

  it('dataprod check names the consumer groups still reading a retired product’s topic', async () => {
    const copy = copyProduct('orders-enriched', (doc) => {
      doc.set('status', 'retired');
      doc.set('successor', 2);
    });
    copies.push(copy);
    const topic = copy.outputTopic;
    await clients.admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    await clients.producer.send({
      topic,
      acks: -1,
      messages: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
    });

    // One group reads now (Stable, one member); one only has offsets left (Empty).
    const reading = uniqueName('still-reading');
    const gone = uniqueName('moved-on');
    const consumer = clients.kafka.consumer({ groupId: reading });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await clients.admin.setOffsets({ groupId: gone, topic, partitions: [{ partition: 0, offset: '1' }] });
    await waitUntil(
      async () =>
        (await clients.admin.fetchOffsets({ groupId: reading, topics: [topic] }))[0]!.partitions.every((p) => Number(p.offset) === 2),
      { timeoutMs: 60_000, what: `${reading} commits on ${topic}` },
    );

    const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl };
    const r = await runTool(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'check', copy.dir, '--against', 'registry'],
      { env },
    );
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      new RegExp(`warning: retired, but 2 consumer groups \\(1 with members now\\) still have offsets on ${topic.replace(/\./g, '\\.')}: `),
    );
    assert.ok(r.stdout.includes(`${reading} (Stable, 1 member), ${gone} (Empty, 0 members)`), show(r));
    assert.ok(r.stdout.includes(`they should move to ${topic.replace(/\.v1$/, '.v2')} before the topic is deleted`), show(r));

    delete env.KAFKA_BROKERS;
    const blind = await runTool(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'check', copy.dir, '--against', 'registry'],
      { env },
    );
    assert.equal(blind.code, 0, show(blind));
    assert.match(
      blind.stdout,
      new RegExp(`retired: set --brokers \\(KAFKA_BROKERS\\) to see which consumer groups still read ${topic.replace(/\./g, '\\.')}`),
    );
  });
});
