/**
 * The registry becomes unreachable while a lookup table follows its topic: a table record with a
 * writer schema the table has not fetched yet is neither skipped nor applied while the registry
 * is away, and is applied once it is back (an infrastructure fault waits, never loses).
 *
 * The worker reaches the shared registry through a forwarding HTTP server on 127.0.0.1 that this
 * test stops and starts again on the same port, so the outage is real for the worker and harms no
 * other test.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { copyProductFolder } from '../../src/devstack/product-copy.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import type { ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { connectClients, workerConfig } from '../support/worker.js';

const EXAMPLE = fileURLToPath(new URL('../../products/orders-by-tier', import.meta.url));
const customerV1 = (await loadProduct(EXAMPLE, { loadTransform: false })).descriptor.lookups![0]!.schema as {
  fields: unknown[];
};
// A newer CRM schema: one more field with a default, which the lookup's reader schema skips.
const customerV2 = { ...customerV1, fields: [...customerV1.fields, { name: 'segment', type: 'string', default: '' }] };

/** Forwards every request to `target`; stop() really closes the port, start() opens the same one again. */
class RegistryForwarder {
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        fetch(`${this.target}${req.url ?? ''}`, {
          method: req.method,
          // The client's own headers (Accept, Content-Type, ...), less those of this hop.
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              (h): h is [string, string] => typeof h[1] === 'string' && !['host', 'connection', 'content-length'].includes(h[0]),
            ),
          ),
          body,
        })
          .then(async (answer) => {
            res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
            res.end(Buffer.from(await answer.arrayBuffer()));
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('lookup table during a registry outage', { timeout: 120_000 }, () => {
  let admin: Admin;
  let producer: Producer;
  let registry: RegistryClient;
  let forwarder: RegistryForwarder;
  let copy: ProductCopy;
  let worker: Worker | undefined;
  const topic = uniqueName('crm.customers');
  const lines: string[] = [];

  before(async () => {
    const stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    forwarder = new RegistryForwarder(stack.schemaRegistryUrl);
    await forwarder.start();
    copy = copyProductFolder(EXAMPLE, 'test-products', {
      edit: (doc) => {
        doc.set('status', 'active');
        doc.setIn(['lookups', 0, 'topic'], topic);
      },
    });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: copy.inputTopic, numPartitions: 1 },
      ],
    });
    const log = new PassThrough();
    log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    worker = new Worker({
      config: workerConfig({ brokers: stack.brokers, schemaRegistryUrl: forwarder.url }),
      products: [await loadProduct(copy.dir)],
      logger: createLogger('warn', log),
      metricsRegistry: new Registry(),
    });
  });

  after(async () => {
    await worker?.close().catch(() => undefined);
    await forwarder?.stop();
    await producer?.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic, copy.inputTopic, copy.outputTopic, copy.dlqTopic] }).catch(() => undefined);
    copy?.remove();
    await admin?.disconnect().catch(() => undefined);
  });

  it('holds a record whose writer schema cannot be fetched, and applies it once the registry is back', async () => {
    const v1 = await registry.register(`${topic}-value`, customerV1);
    const v1Type = avsc.Type.forSchema(customerV1 as avsc.Schema);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, n) => ({
        key: `c-${n}`,
        value: frame(v1, v1Type.toBuffer({ customer_id: `c-${n}`, name: `Customer ${n}`, tier: 'GOLD' })),
      })),
    });
    await worker!.start();
    const table = worker!.products[0]!.lookups;
    const customers = () => table.snapshot()[0]!;
    assert.equal(customers().entries, 10);

    await forwarder.stop();
    // Registered straight with the registry: the worker has never seen this id.
    const v2 = await registry.register(`${topic}-value`, customerV2);
    const v2Type = avsc.Type.forSchema(customerV2 as avsc.Schema);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'c-100', value: frame(v2, v2Type.toBuffer({ customer_id: 'c-100', name: 'New', tier: 'PLATINUM', segment: 'b2b' })) },
      ],
    });
    await waitUntil(async () => lines.some((l) => l.includes('lookup table: writer schemas unavailable; retrying')), {
      what: 'the table to find the registry unreachable',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    assert.equal(customers().entries, 10, 'not applied while the schema is unknown');
    assert.equal(table.get('customers', 'c-100'), undefined);
    assert.ok(customers().lagRecords > 0, 'the table shows it is behind');

    await forwarder.start();
    await waitUntil(async () => customers().entries === 11, { what: 'the record applied', timeoutMs: 60_000, intervalMs: 100 });
    assert.equal((table.get('customers', 'c-100') as { tier: string }).tier, 'PLATINUM');
    assert.equal(customers().lagRecords, 0);
    const metrics = await (await fetch(`${worker!.controlUrl}/metrics`)).text();
    assert.doesNotMatch(metrics, /^dataprod_lookup_records_skipped_total\{/m, 'nothing skipped');
  });
});
