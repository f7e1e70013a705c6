/**
 * The record counters against the real broker, scraped over HTTP (/metrics) while a product works
 * through a mixed input (valid, filtered and dead-lettered records: see kindOf):
 * - at every scrape, during processing and at the end, consumed = published + dead-lettered +
 *   filtered, each summed over its label sets;
 * - at the end, consumed = the input count, the product topic's end offsets = output_records +
 *   records_rewritten{topic=<product topic>}, and the dead-letter topic's end offsets =
 *   dlq_records + records_rewritten{topic=<dead-letter topic>}.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder, type EventKind } from '../../src/tools/demo/generators.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress } from '../support/kafka.js';
import { sum } from '../support/prom-text.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { connectClients, workerConfig } from '../support/worker.js';

const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
const TAG = '[counters]';
const RECORDS = 3_000;
const PARTITIONS = 3;

interface Tally {
  consumed: number;
  published: number;
  deadLettered: number;
  filtered: number;
}

function tally(text: string, product: string): Tally {
  const p = { product };
  return {
    consumed: sum(text, 'dataprod_records_consumed_total', p),
    published: sum(text, 'dataprod_records_published_total', p),
    deadLettered: sum(text, 'dataprod_dlq_records_total', p),
    filtered: sum(text, 'dataprod_records_filtered_total', p),
  };
}

describe('record counters scraped during and after processing', { timeout: 120_000 }, () => {
  let stack: Stack;
  let admin: Admin;
  let producer: Producer;
  let registry: RegistryClient;
  let product: ProductCopy;
  let worker: Worker | undefined;

  before(async () => {
    stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
  });

  after(async () => {
    await worker?.close().catch(() => undefined);
    await producer?.disconnect();
    if (product) {
      await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
      product.remove();
    }
    await admin?.disconnect();
  });

  async function topicSize(topic: string): Promise<number> {
    return (await admin.fetchTopicOffsets(topic)).reduce((acc, p) => acc + Number(p.high), 0);
  }

  it('consumed = published + dead-lettered + filtered at every scrape; topic sizes match the output and rewritten counters', async () => {
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    const rawId = await registry.register(product.inputSubject, rawSchema);

    const kinds = new Map<EventKind, number>();
    const messages = Array.from({ length: RECORDS }, (_, seq) => {
      const kind = kindOf(seq);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const value =
        kind === 'not-avro' ? Buffer.from(JSON.stringify({ seq })) : frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now(), kind)));
      return { key: `o-${seq}`, value };
    });
    const expectFiltered = kinds.get('filtered') ?? 0;
    const expectPublished = kinds.get('valid') ?? 0;
    const expectDeadLettered = RECORDS - expectFiltered - expectPublished;
    console.error(`${TAG} input: ${JSON.stringify(Object.fromEntries(kinds))}`);

    worker = new Worker({
      config: workerConfig(stack),
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: new Registry(),
    });
    await worker.start();
    const metricsUrl = `${worker.controlUrl}/metrics`;

    // Scrapes every 50 ms over HTTP while the records are produced and processed.
    const scrapes: { at: number; t: Tally }[] = [];
    const violations: string[] = [];
    let scraping = true;
    const scrape = async () => {
      const res = await fetch(metricsUrl);
      assert.equal(res.status, 200);
      const t = tally(await res.text(), product.id);
      scrapes.push({ at: Date.now(), t });
      if (t.consumed !== t.published + t.deadLettered + t.filtered) violations.push(JSON.stringify(t));
      return t;
    };
    const scraper = (async () => {
      while (scraping) {
        await scrape();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const startedAt = Date.now();
    // In several sends, so processing overlaps producing.
    for (let i = 0; i < RECORDS; i += 250)
      await producer.send({ topic: product.inputTopic, acks: -1, messages: messages.slice(i, i + 250) });
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === RECORDS, {
      what: `${product.id} to commit ${RECORDS} records`,
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    scraping = false;
    await scraper;
    const final = await scrape();
    const partial = scrapes.filter((s) => s.t.consumed > 0 && s.t.consumed < RECORDS).length;
    console.error(
      `${TAG} ${RECORDS} records committed in ${Date.now() - startedAt} ms; ${scrapes.length} scrapes, ${partial} of them mid-way (0 < consumed < ${RECORDS}); ` +
        `${violations.length} broke consumed = published + dead-lettered + filtered`,
    );
    assert.deepEqual(violations, [], 'consumed = published + dead-lettered + filtered at every scrape');
    assert.ok(partial > 0, 'at least one scrape caught the product mid-way');
    // Counters never go down between scrapes.
    for (let i = 1; i < scrapes.length; i++) assert.ok(scrapes[i]!.t.consumed >= scrapes[i - 1]!.t.consumed, 'consumed never decreases');

    console.error(`${TAG} final: ${JSON.stringify(final)}`);
    assert.equal(final.consumed, RECORDS);
    assert.deepEqual(final, { consumed: RECORDS, published: expectPublished, deadLettered: expectDeadLettered, filtered: expectFiltered });

    const text = await (await fetch(metricsUrl)).text();
    const outputs = sum(text, 'dataprod_output_records_total', { product: product.id });
    const rewrittenOut = sum(text, 'dataprod_records_rewritten_total', { product: product.id, topic: product.outputTopic });
    const rewrittenDlq = sum(text, 'dataprod_records_rewritten_total', { product: product.id, topic: product.dlqTopic });
    const outSize = await topicSize(product.outputTopic);
    const dlqSize = await topicSize(product.dlqTopic);
    console.error(
      `${TAG} product topic: ${outSize} records = output_records ${outputs} + rewritten ${rewrittenOut}; ` +
        `dead-letter topic: ${dlqSize} records = dlq_records ${final.deadLettered} + rewritten ${rewrittenDlq}`,
    );
    assert.equal(outSize, outputs + rewrittenOut, 'product topic end offsets = output_records + rewritten{product topic}');
    assert.equal(dlqSize, final.deadLettered + rewrittenDlq, 'dead-letter topic end offsets = dlq_records + rewritten{dead-letter topic}');
    assert.equal(worker.products[0]!.state, 'running');
  });
});
