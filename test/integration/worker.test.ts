/**
 * The worker against the real broker and registry: happy path read back by Confluent's Python
 * client, every poison class (raw bytes sent with kcat), upstream schema evolution.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { Stack } from '../../src/devstack/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { DLQ_HEADER } from '../../src/pipeline/dead-letter.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { runPythonScript } from '../support/python-clients.js';
import { connectClients, workerConfig } from '../support/worker.js';
import { testStack } from '../support/stack.js';
import { requireTool } from '../support/tools.js';

const exec = promisify(execFile);
const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);

describe('worker: orders-enriched against real Kafka and registry', () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registry: RegistryClient;
  let product: ProductCopy;
  let worker: Worker;
  let rawId: number;
  const logLines: string[] = [];
  let sent = 0;

  async function send(messages: { key: string; value: Buffer | null }[]): Promise<void> {
    await producer.send({ topic: product.inputTopic, acks: -1, messages });
    sent += messages.length;
  }

  const encodeOrder = (order: Record<string, unknown>) => frame(rawId, rawType.toBuffer(order));

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 2 }] });
    rawId = await registry.register(product.inputSubject, rawSchema);

    const config = workerConfig(stack, { DATAPROD_LOG_LEVEL: 'info' });
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    worker = new Worker({
      config,
      products: [await loadProduct(product.dir)],
      logger: createLogger('info', capture),
      metricsRegistry: new Registry(),
    });
    await worker.start();
  });

  after(async () => {
    await worker?.close();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
    await admin?.disconnect();
    product?.remove();
  });

  it("publishes enriched orders in Confluent wire format that Confluent's Python client reads field by field", async () => {
    const createdAt = Date.now();
    const orders = [1, 2, 4, 5, 6].map((seq) => rawOrder(seq, createdAt, 'valid'));
    await send(orders.map((o) => ({ key: String(o.order_id), value: encodeOrder(o) })));

    const out = await readTopic(kafka, product.outputTopic, orders.length);
    const latest = await registry.latest(`${product.outputTopic}-value`);
    assert.ok(latest, 'the worker registered the output schema');
    for (const record of out) assert.equal(record.value!.readUInt32BE(1), latest.id);

    const python = await runPythonScript<{ key: string; schemaId: number; value: Record<string, unknown> }>('confluent_read.py', [
      stack.brokers.join(','),
      stack.schemaRegistryUrl,
      product.outputTopic,
      String(orders.length),
      '60',
    ]);
    assert.equal(python.length, orders.length);
    for (const order of orders) {
      const got = python.find((r) => r.key === order.order_id);
      assert.ok(got, `output for ${String(order.order_id)}`);
      assert.equal(got.schemaId, latest.id);
      const items = order.items as { quantity: number; unit_price: number }[];
      const subtotal = items.reduce((s, i) => s + i.quantity * Math.round(i.unit_price * 100), 0);
      const total =
        subtotal + Math.round((order.shipping_cost as number) * 100) - Math.round(((order.discount as number | null) ?? 0) * 100);
      assert.equal(got.value.order_id, order.order_id);
      assert.equal(got.value.customer_id, order.customer_id);
      assert.equal(got.value.customer_email, String(order.customer_email).toLowerCase());
      assert.equal(got.value.currency, String(order.currency).toUpperCase());
      assert.equal(
        got.value.item_count,
        items.reduce((s, i) => s + i.quantity, 0),
      );
      assert.equal(got.value.subtotal, subtotal / 100);
      assert.equal(got.value.total, total / 100);
      assert.equal(got.value.channel, order.channel);
      // Python's Avro reader maps timestamp-millis to a datetime; compare the instant.
      assert.equal(new Date(String(got.value.created_at)).getTime(), createdAt);
    }
  });

  it('dead-letters every poison class with its reason and headers, stays up and commits past them', async () => {
    requireTool('kcat');
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-poison-'));
    const raw: Record<string, Buffer> = {
      'not-avro': Buffer.from('{"order_id":"o-json","note":"json, not avro"}'),
      'truncated-frame': Buffer.from([0, 0, 1]),
      'unknown-schema-id': frame(987_654, rawType.toBuffer(rawOrder(100, Date.now(), 'valid'))),
      'avro-decode': frame(rawId, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01])),
    };
    // Raw bytes straight from kcat: one file, one message.
    for (const [reason, bytes] of Object.entries(raw)) {
      const file = join(dir, reason);
      writeFileSync(file, bytes);
      await exec('kcat', ['-P', '-b', stack.brokers.join(','), '-t', product.inputTopic, '-p', '0', '-k', `poison-${reason}`, file]);
      sent += 1;
    }
    // A tombstone: kcat -Z sends an empty value as NULL.
    await exec('sh', ['-c', `printf 'poison-tombstone:\\n' | kcat -P -b ${stack.brokers.join(',')} -t ${product.inputTopic} -p 0 -K: -Z`]);
    sent += 1;
    rmSync(dir, { recursive: true, force: true });

    // A writer schema the reader cannot resolve: currency became an int.
    const incompatible = {
      ...rawSchema,
      fields: (rawSchema.fields as { name: string }[]).map((f) => (f.name === 'currency' ? { name: 'currency', type: 'int' } : f)),
    };
    const incompatibleId = await registry.register(`${product.inputTopic}-incompatible-value`, incompatible);
    const incompatibleType = avsc.Type.forSchema(incompatible as avsc.Schema);
    const now = Date.now();
    await send([
      {
        key: 'poison-incompatible-writer-schema',
        value: frame(incompatibleId, incompatibleType.toBuffer({ ...rawOrder(101, now, 'valid'), currency: 978 })),
      },
      { key: 'poison-contract', value: encodeOrder(rawOrder(102, now, 'contract')) },
      { key: 'poison-quality', value: encodeOrder(rawOrder(103, now, 'quality')) },
      { key: 'poison-transform', value: encodeOrder(rawOrder(104, now, 'transform')) },
    ]);

    const dlq = await readTopic(kafka, product.dlqTopic, 9);
    const expected: Record<string, { stage: string; rule?: string; field?: string }> = {
      'not-avro': { stage: 'decode' },
      'truncated-frame': { stage: 'decode' },
      'unknown-schema-id': { stage: 'decode' },
      'avro-decode': { stage: 'decode' },
      tombstone: { stage: 'decode' },
      // The field whose writer type the reader cannot read (docs/contracts.md).
      'incompatible-writer-schema': { stage: 'decode', field: 'currency' },
      contract: { stage: 'contract', rule: 'currency-iso-code', field: 'currency' },
      quality: { stage: 'quality', rule: 'shipping-cost-non-negative', field: 'shipping_cost' },
      transform: { stage: 'transform' },
    };
    for (const [reason, want] of Object.entries(expected)) {
      const record = dlq.find((r) => r.key === `poison-${reason}`);
      assert.ok(record, `dead-letter for ${reason}`);
      const h = record.headers;
      assert.equal(h[DLQ_HEADER.reason], reason);
      assert.equal(h[DLQ_HEADER.stage], want.stage);
      assert.equal(h[DLQ_HEADER.rule], want.rule);
      assert.equal(h[DLQ_HEADER.field], want.field);
      assert.equal(h[DLQ_HEADER.topic], product.inputTopic);
      assert.equal(h[DLQ_HEADER.product], product.id);
      assert.equal(h[DLQ_HEADER.version], '1.0.0');
      assert.match(h[DLQ_HEADER.offset]!, /^\d+$/);
      assert.match(h[DLQ_HEADER.timestamp]!, /^\d{13}$/);
      if (raw[reason]) assert.deepEqual(record.value, raw[reason], `${reason}: original bytes kept`);
    }
    assert.equal(dlq.find((r) => r.key === 'poison-tombstone')!.value, null);

    assert.equal(worker.state, 'running');
    assert.ok(worker.products.every((p) => p.state === 'running'));
    await waitUntil(
      async () => {
        const { committed, end } = await groupProgress(admin, product.group, product.inputTopic);
        return committed === end && end === sent;
      },
      { what: 'the group to commit past every record', timeoutMs: 30_000 },
    );
  });

  it('reads a newer, compatible writer schema through the reader schema', async () => {
    const v2 = { ...rawSchema, fields: [...(rawSchema.fields as object[]), { name: 'gift_wrap', type: 'boolean', default: false }] };
    const v2Id = await registry.register(product.inputSubject, v2);
    assert.notEqual(v2Id, rawId);
    const order = { ...rawOrder(200, Date.now(), 'valid'), gift_wrap: true };
    await send([{ key: 'o-200', value: frame(v2Id, avsc.Type.forSchema(v2 as avsc.Schema).toBuffer(order)) }]);
    const out = await readTopic(kafka, product.outputTopic, 6);
    assert.ok(
      out.some((r) => r.key === 'o-200'),
      'the v2 order was published',
    );
  });

  it('keeps event values and pii out of the logs', () => {
    assert.ok(logLines.length > 0, 'the worker logged');
    const text = logLines.join('\n');
    assert.doesNotMatch(text, /@example\.com/i, 'no customer email');
    assert.doesNotMatch(text, /json, not avro/, 'no raw value');
    assert.match(text, /records dead-lettered/);
    assert.match(text, /"component":"kafkajs"/, 'kafkajs logs are routed into pino');
  });
});
