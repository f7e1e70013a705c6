/**
 * The registry goes away mid-run: the worker pauses (no dead-letter, no commit) and picks up
 * where it stopped once the registry is back. A private registry on the shared broker, so
 * stopping it harms no other test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawClick } from '../../src/tools/demo/generators.js';
import { RegistryNode } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { connectClients, workerConfig } from '../support/worker.js';
import { testStack, uniqueName } from '../support/stack.js';

const rawSchema = readSchema('page-views', 'raw-click.avsc');

describe('registry outage', { timeout: 240_000 }, () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registryNode: RegistryNode;
  let registry: RegistryClient;
  let product: ProductCopy;
  let worker: Worker;
  let metrics: Registry;
  let workDir: string;

  before(async () => {
    const stack = await testStack();
    workDir = mkdtempSync(join(tmpdir(), 'dataprod-registry-'));
    registryNode = new RegistryNode({
      workDir,
      kafkaBootstrap: stack.brokers[0]!,
      journalTopic: uniqueName('registry-journal'),
      progress: () => undefined,
    });
    await registryNode.start();
    registry = new RegistryClient({ url: registryNode.url });
    ({ kafka, admin, producer } = await connectClients(stack));
    product = copyProduct('page-views');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic }] });
    metrics = new Registry();
    const config = workerConfig({ brokers: stack.brokers, schemaRegistryUrl: registryNode.url });
    worker = new Worker({ config, products: [await loadProduct(product.dir)], logger: createLogger('warn'), metricsRegistry: metrics });
  });

  after(async () => {
    await worker?.close();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
    await admin?.disconnect();
    await registryNode?.stop();
    product?.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('pauses without dead-lettering or committing, and resumes with nothing lost', async () => {
    const v1 = await registry.register(product.inputSubject, rawSchema);
    await worker.start();
    const now = Date.now();
    const send = (id: number, schema: object, seqs: number[]) =>
      producer.send({
        topic: product.inputTopic,
        acks: -1,
        messages: seqs.map((seq) => ({
          key: `k-${seq}`,
          value: frame(id, avsc.Type.forSchema(schema as avsc.Schema).toBuffer(rawClick(seq, now, 'valid'))),
        })),
      });
    await send(v1, rawSchema, [1, 2, 4, 5, 6]);
    await readTopic(kafka, product.outputTopic, 5);

    // Upstream moves to v2 while the registry is down: the worker has never seen v2's id.
    const v2Schema = { ...rawSchema, fields: [...(rawSchema.fields as object[]), { name: 'consent', type: 'boolean', default: true }] };
    const v2 = await registry.register(product.inputSubject, v2Schema);
    await registryNode.stop();
    await send(v2, v2Schema, [8, 9, 10, 11, 12]);

    const [productWorker] = worker.products;
    await waitUntil(async () => productWorker!.state === 'backing-off', { what: 'the product to back off', timeoutMs: 30_000 });
    // Give it time to do the wrong thing, if it were going to.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await groupProgress(admin, product.group, product.inputTopic), { committed: 5, end: 10 });
    const dlqOffsets = await admin.fetchTopicOffsets(product.dlqTopic);
    assert.equal(
      dlqOffsets.reduce((s, p) => s + Number(p.high), 0),
      0,
      'nothing dead-lettered',
    );
    const text = await metrics.metrics();
    assert.match(text, /dataprod_processing_errors_total\{product="[^"]+",stage="registry"\} [1-9]/);

    await registryNode.start();
    const out = await readTopic(kafka, product.outputTopic, 10, 90_000);
    assert.deepEqual(
      out.map((r) => r.key).sort(),
      [1, 2, 4, 5, 6, 8, 9, 10, 11, 12].map((seq) => `k-${seq}`).sort(),
      'every click published exactly once',
    );
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === 10, {
      what: 'the group to commit all ten',
      timeoutMs: 30_000,
    });
    assert.equal(
      (await admin.fetchTopicOffsets(product.dlqTopic)).reduce((s, p) => s + Number(p.high), 0),
      0,
      'still nothing dead-lettered',
    );
    assert.equal(productWorker!.state, 'running');
  });
});
