/**
 * Every Avro logical type through a real worker, with Confluent's own Python client at both ends:
 * its AvroSerializer writes Decimal, datetime, date, time and UUID values (auto-registering the
 * schema), the worker decodes, runs a transform and publishes, and its AvroDeserializer reads the
 * product topic back; each value is compared exactly (tagged JSON, no float in between). On the
 * same topic, a writer whose amount is a string, a long of 2^60 and a decimal failing a rule are
 * dead-lettered with the documented headers, and nothing else is published.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { copyProductFolder, type ProductCopy } from '../../src/devstack/product-copy.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { DLQ_HEADER } from '../../src/pipeline/dead-letter.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress, readTopic } from '../support/kafka.js';
import { runPythonScript } from '../support/python-clients.js';
import { testStack } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const fixture = fileURLToPath(new URL('../fixtures/products/logical-types', import.meta.url));
const readerSchema = JSON.parse(readFileSync(join(fixture, 'schemas', 'payment.avsc'), 'utf8')) as {
  fields: { name: string; type: unknown }[];
};

const ms = (n: number) => ({ $datetime_us: n * 1000 });
const localMs = (n: number) => ({ $local_datetime_us: n * 1000 });
const duration = (months: number, days: number, millis: number) => {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(months, 0);
  b.writeUInt32LE(days, 4);
  b.writeUInt32LE(millis, 8);
  return { $bytes_hex: b.toString('hex') };
};

/** The edges the issue names: decimals 0.29 .. -0.01, timestamps at -1, 0, 999 and 253402300799999 ms. */
const payments = [
  ['0.29', '0.0001', -1, -1, -1, 0, 0, null],
  ['1234567890.12', '-0.0001', 0, 0, 0, 1, 1, '0.01'],
  ['9999999999.99', '99999999999999.9999', 999, 999, 19723, 999, 999, null],
  ['-0.01', '0.0000', 253402300799999, 4102444800000000, 2932896, 86399999, 86399999999, '-12.34'],
].map(([amount, fee, millis, micros, day, timeMs, timeUs, refund], i) => ({
  key: `0b6f7c1e-2a41-4c4f-9d2e-6b1a3f5e8c9${i}`,
  value: {
    payment_id: { $uuid: `0b6f7c1e-2a41-4c4f-9d2e-6b1a3f5e8c9${i}` },
    amount: { $decimal: amount },
    fee: { $decimal: fee },
    booked_at: ms(millis as number),
    settled_at: { $datetime_us: micros },
    local_booked_at: localMs(millis as number),
    local_settled_at: { $local_datetime_us: micros },
    value_date: { $date: day },
    cut_off: { $time_us: (timeMs as number) * 1000 },
    cut_off_precise: { $time_us: timeUs },
    grace: duration(i, 2, 3),
    sequence: [0, -1, 9007199254740990, -9007199254740990][i]!,
    refund: refund === null ? null : { $decimal: refund },
  },
}));
const minorUnits = [29, 123456789012, 999999999999, -1];

describe('logical types: Confluent Python client -> worker -> Confluent Python client', () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;
  let worker: Worker | undefined;
  let specDir: string;

  async function producePython(schema: unknown, records: { key: string; value: unknown }[]): Promise<void> {
    const spec = join(specDir, `spec-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(spec, JSON.stringify({ schema, records }));
    const acks = await runPythonScript<{ key: string }>('confluent_produce.py', [
      stack.brokers.join(','),
      stack.schemaRegistryUrl,
      product.inputTopic,
      spec,
    ]);
    assert.equal(acks.length, records.length, 'every record acknowledged');
  }

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
    specDir = mkdtempSync(join(tmpdir(), 'dataprod-logical-'));
    product = copyProductFolder(fixture, 'test-products');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 1 }] });

    await producePython(readerSchema, payments);
    const big = { ...payments[0]!, key: 'too-long', value: { ...payments[0]!.value, sequence: 2 ** 60 } };
    // A float 2**60 is exact (a power of two), so JSON and Python carry the integer 1152921504606846976.
    await producePython(readerSchema, [big]);
    const stringAmount = {
      ...readerSchema,
      fields: readerSchema.fields.map((f) => (f.name === 'amount' ? { name: 'amount', type: 'string' } : f)),
    };
    await producePython(stringAmount, [{ key: 'string-amount', value: { ...payments[0]!.value, amount: '0.29' } }]);
    await producePython(readerSchema, [{ key: 'below-rule', value: { ...payments[0]!.value, amount: { $decimal: '-1.00' } } }]);

    worker = new Worker({
      config: workerConfig(stack),
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: new Registry(),
    });
    await worker.start();
  });

  after(async () => {
    await cleanUpInProcess({ workers: worker ? [worker] : [], copies: product ? [product] : [], admin, producer });
    rmSync(specDir, { recursive: true, force: true });
  });

  it('publishes every logical type value exactly as Confluent wrote it, and only the four valid payments', async () => {
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed >= 7, {
      what: 'the worker to commit all 7 input records',
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    const [end] = await admin.fetchTopicOffsets(product.outputTopic);
    assert.equal(Number(end!.high), payments.length, 'nothing but the valid payments published');

    const read = await runPythonScript<{ key: string; value: Record<string, unknown> }>('confluent_read.py', [
      stack.brokers.join(','),
      stack.schemaRegistryUrl,
      product.outputTopic,
      String(payments.length),
      '60',
      'typed',
    ]);
    assert.deepEqual(
      read.map((r) => r.key),
      payments.map((p) => p.key),
      'in input order, keyed by payment_id',
    );
    read.forEach((r, i) => assert.deepEqual(r.value, { ...payments[i]!.value, amount_minor: minorUnits[i] }, `payment ${i}`));
  });

  it('dead-letters the 2^60 long, the string-amount writer and the decimal below the rule, with field and rule headers', async () => {
    const dlq = await readTopic(kafka, product.dlqTopic, 3);
    assert.deepEqual(
      dlq.map((r) => [
        r.key,
        r.headers[DLQ_HEADER.reason],
        r.headers[DLQ_HEADER.field],
        r.headers[DLQ_HEADER.rule],
        r.headers[DLQ_HEADER.offset],
      ]),
      [
        ['too-long', 'avro-decode', 'sequence', 'long-precision', '4'],
        ['string-amount', 'incompatible-writer-schema', 'amount', undefined, '5'],
        ['below-rule', 'quality', 'amount', 'amount-above-minus-one', '6'],
      ],
    );
  });
});
