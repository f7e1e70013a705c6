/**
 * The worker's OpenLineage run events against the real broker and registry, received by an HTTP
 * endpoint the test serves on 127.0.0.1 (as Marquez would) and by a file: START, RUNNING with
 * counts that reach exactly what was produced, COMPLETE after the drain with the final counts, one
 * run id, Kafka datasets in OpenLineage's naming. Every event is then checked with
 * openlineage-python's event model (test/support/openlineage_check.py).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import type { Stack } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { runToCompletion } from '../../src/devstack/process.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadProduct } from '../../src/product/load.js';
import { Worker } from '../../src/runtime/worker.js';
import { kindOf, rawOrder, type EventKind } from '../../src/tools/demo/generators.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { catalogTools } from '../support/python-clients.js';
import { testStack } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const RECORDS = 120;
const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);

type Event = {
  eventType: string;
  run: { runId: string; facets: Record<string, { message?: string }> };
  job: { namespace: string; name: string };
  inputs: { namespace: string; name: string; inputFacets?: { inputStatistics: { rowCount: number } } }[];
  outputs: { namespace: string; name: string; outputFacets?: { outputStatistics: { rowCount: number } } }[];
};

describe('OpenLineage run events from the worker', () => {
  let stack: Stack;
  let admin: Admin;
  let producer: Producer;
  let server: Server;
  let product: ProductCopy;
  const workers: Worker[] = [];
  const received: Event[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-lineage-'));

  before(async () => {
    stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as Event);
        res.writeHead(req.url === '/api/v1/lineage' && req.method === 'POST' ? 201 : 404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await cleanUpInProcess({ workers, copies: product ? [product] : [], admin, producer });
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends START, RUNNING with the counts and COMPLETE with the final counts, to HTTP and to a file', async () => {
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 2 }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    const kinds = new Map<EventKind, number>();
    const messages = Array.from({ length: RECORDS }, (_, seq) => {
      const kind = kindOf(seq);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const value =
        kind === 'not-avro' ? Buffer.from(JSON.stringify({ seq })) : frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now(), kind)));
      return { key: `o-${seq}`, value };
    });
    await producer.send({ topic: product.inputTopic, acks: -1, messages });
    const published = kinds.get('valid') ?? 0;
    const deadLettered = RECORDS - published - (kinds.get('filtered') ?? 0);

    const port = (server.address() as { port: number }).port;
    const file = join(dir, 'lineage.jsonl');
    const start = async (url: string) => {
      const worker = new Worker({
        config: workerConfig(stack, {
          DATAPROD_OPENLINEAGE_URL: url,
          DATAPROD_OPENLINEAGE_INTERVAL_MS: '1000',
          DATAPROD_OPENLINEAGE_NAMESPACE: 'it',
        }),
        products: [await loadProduct(product.dir)],
        logger: createLogger('warn'),
        metricsRegistry: new Registry(),
      });
      workers.push(worker);
      await worker.start();
      return worker;
    };
    const http = await start(`http://127.0.0.1:${port}/api/v1/lineage`);
    const consumedIn = (e: Event) => e.inputs[0]?.inputFacets?.inputStatistics.rowCount;
    await waitUntil(async () => received.some((e) => e.eventType === 'RUNNING' && consumedIn(e) === RECORDS), {
      timeoutMs: 60_000,
      what: `a RUNNING event counting ${RECORDS} consumed records`,
    });
    await http.close();

    const types = received.map((e) => e.eventType);
    assert.equal(types[0], 'START');
    assert.equal(types.at(-1), 'COMPLETE');
    assert.deepEqual(new Set(types.slice(1, -1)), new Set(['RUNNING']));
    assert.equal(new Set(received.map((e) => e.run.runId)).size, 1, 'one run id');
    const last = received.at(-1)!;
    const kafka = `kafka://${stack.brokers[0]}`;
    assert.deepEqual(
      { job: last.job, inputs: last.inputs.map((d) => [d.namespace, d.name, consumedIn(last)]) },
      {
        job: { ...last.job, namespace: 'it', name: product.id },
        inputs: [[kafka, product.inputTopic, RECORDS]],
      },
    );
    assert.deepEqual(
      last.outputs.map((d) => [d.namespace, d.name, d.outputFacets?.outputStatistics.rowCount]),
      [
        [kafka, product.outputTopic, published],
        [kafka, product.dlqTopic, deadLettered],
      ],
    );

    // The same run written to a file: a new run (a new process would be one too), from the committed offsets on.
    const toFile = await start(pathToFileURL(file).href);
    await toFile.close();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event);
    assert.deepEqual([lines[0]!.eventType, lines.at(-1)!.eventType], ['START', 'COMPLETE']);
    assert.notEqual(lines[0]!.run.runId, last.run.runId);

    // openlineage-python's model accepts every event, HTTP and file alike.
    const all = join(dir, 'all.jsonl');
    writeFileSync(all, [...received, ...lines].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const bin = await catalogTools();
    const check = await runToCompletion(join(bin, 'python'), [new URL('../support/openlineage_check.py', import.meta.url).pathname, all], {
      what: 'openlineage_check.py',
    }).catch((err: Error) => assert.fail(err.message));
    const verdicts = check
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { ok: boolean });
    assert.equal(verdicts.length, received.length + lines.length);
    assert.ok(
      verdicts.every((v) => v.ok),
      check,
    );
  });
});
