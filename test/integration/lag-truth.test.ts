/**
 * Lag in records against Kafka's own ConsumerGroupCommand (kafka-consumer-groups) while a product
 * is halted with /metrics alive: records keep arriving, nothing is fetched or committed, and the
 * first scrape after they were written must already count them (end offsets are read at scrape
 * time, not every 5 s or from the last batch fetched). Checked for the worker's own lag
 * (dataprod_consumer_lag_records) and the group's (dataprod_group_lag_records), partition by
 * partition, exactly: the input is at rest when both are read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { SCRAPE_MIN_INTERVAL_MS } from '../../src/runtime/progress-refresh.js';
import { groupProgress } from '../support/kafka.js';
import { kafkaToolLag } from '../support/prometheus.js';
import { samples } from '../support/prom-text.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const TAG = '[lag-truth]';
const PARTITIONS = 2;

describe("lag in records against Kafka's consumer-groups tool while halted", { timeout: 180_000 }, () => {
  let brokers: string[];
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;
  let worker: Worker | undefined;
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  let rawId: number;
  let seq = 0;

  before(async () => {
    const stack = await testStack();
    brokers = stack.brokers;
    ({ admin, producer } = await connectClients(stack));
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    worker = new Worker({
      config: workerConfig(stack, { DATAPROD_DLQ_HALT_RATIO: '0.5', DATAPROD_DLQ_HALT_MIN_RECORDS: '10' }),
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: new Registry(),
    });
  });

  after(() => cleanUpInProcess({ workers: worker ? [worker] : [], copies: product ? [product] : [], admin, producer }));

  const send = async (n: number, junk = false) => {
    const messages = Array.from({ length: n }, () => {
      const s = seq++;
      return { key: `o-${s}`, value: junk ? Buffer.from('junk') : frame(rawId, rawType.toBuffer(rawOrder(s, Date.now(), 'valid'))) };
    });
    await producer.send({ topic: product.inputTopic, acks: -1, messages });
  };

  /** One scrape over HTTP: lag per partition of the worker's own view and of the group's. */
  async function scrape(): Promise<{ own: Map<number, number>; group: Map<number, number> }> {
    const text = await (await fetch(`${worker!.controlUrl}/metrics`)).text();
    const of = (name: string) =>
      new Map(
        samples(text, name)
          .filter((s) => s.labels.product === product.id)
          .map((s) => [Number(s.labels.partition), s.value]),
      );
    return { own: of('dataprod_consumer_lag_records'), group: of('dataprod_group_lag_records') };
  }

  it('equals the tool at the first scrape after records arrive, partition by partition', async () => {
    await worker!.start();
    await send(40);
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === 40, {
      what: 'the first 40 records to be committed',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await send(60, true);
    await waitUntil(async () => worker!.products[0]!.state === 'halted', {
      what: 'the dead-letter breaker to halt the product',
      timeoutMs: 60_000,
    });

    for (const round of [1, 2]) {
      await scrape();
      await send(round === 1 ? 500 : 1_300);
      // Scrapes closer together than SCRAPE_MIN_INTERVAL_MS share one read: this one reads afresh.
      await new Promise((r) => setTimeout(r, SCRAPE_MIN_INTERVAL_MS + 100));
      const ours = await scrape();
      const theirs = await kafkaToolLag(brokers, product.group, product.inputTopic);
      const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      console.error(
        `${TAG} round ${round} (halted): consumer-groups ${JSON.stringify(Object.fromEntries(theirs))} (total ${total(theirs)}); ` +
          `dataprod_consumer_lag_records ${JSON.stringify(Object.fromEntries(ours.own))}; dataprod_group_lag_records ${JSON.stringify(Object.fromEntries(ours.group))}`,
      );
      assert.equal(theirs.size, PARTITIONS, 'the tool reports every partition');
      assert.ok(total(theirs) >= (round === 1 ? 500 : 1_800), 'the records written while halted wait');
      assert.deepEqual(ours.own, theirs, "the worker's own lag equals the tool's at the first scrape");
      assert.deepEqual(ours.group, theirs, "the group's lag equals the tool's at the first scrape");
      assert.equal(worker!.products[0]!.state, 'halted');
    }
  });
});
