/**
 * The signals against real peers: a real Prometheus scrapes a running worker and PromQL returns
 * the expected values; promtool accepts the exposition; and our lag in records equals what
 * Kafka's own consumer-groups tool reports, while the worker is paused mid-backlog (registry
 * stopped) and after it drains.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../src/tools/demo/generators.js';
import { RegistryNode } from '../../src/devstack/index.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { requireTool } from '../support/tools.js';
import { kafkaToolLag as groupToolLag, startPrometheus } from '../support/prometheus.js';
import { connectClients, workerConfig } from '../support/worker.js';

const exec = promisify(execFile);
const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const PARTITIONS = 2;

describe("signals against Prometheus and Kafka's own tools", { timeout: 300_000 }, () => {
  let brokers: string[];
  let admin: Admin;
  let producer: Producer;
  let closeClients: () => Promise<void>;
  let registryNode: RegistryNode;
  let product: ProductCopy;
  let worker: Worker;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  const metrics = new Registry();
  const workDir = mkdtempSync(join(tmpdir(), 'dataprod-prom-'));
  let rawId = 0;
  let seq = 0;

  async function produce(n: number, schemaId = rawId, schema: object = rawSchema): Promise<void> {
    const type = avsc.Type.forSchema(schema as avsc.Schema);
    const messages = [];
    for (let i = 0; i < n; i++, seq++) {
      const bad = kindOf(seq) === 'not-avro';
      messages.push({ key: `o-${seq}`, value: bad ? Buffer.from('junk') : frame(schemaId, type.toBuffer(rawOrder(seq, Date.now()))) });
    }
    await producer.send({ topic: product.inputTopic, acks: -1, messages });
  }

  const promQuery = (expr: string) => prometheus!.query(expr);

  /** Lag per partition as Kafka's own kafka-consumer-groups tool reports it. */
  const kafkaToolLag = () => groupToolLag(brokers, product.group, product.inputTopic);

  async function ourLag(): Promise<Map<number, number>> {
    const metric = await metrics.getSingleMetric('dataprod_consumer_lag_records')!.get();
    return new Map(metric.values.filter((v) => v.labels.product === product.id).map((v) => [Number(v.labels.partition), v.value]));
  }

  before(async () => {
    const stack = await testStack();
    brokers = stack.brokers;
    ({ admin, producer, close: closeClients } = await connectClients(stack));
    registryNode = new RegistryNode({
      workDir: join(workDir, 'registry'),
      kafkaBootstrap: brokers[0]!,
      journalTopic: uniqueName('journal'),
      progress: () => undefined,
    });
    await registryNode.start();
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: PARTITIONS }] });
    rawId = await new RegistryClient({ url: registryNode.url }).register(product.inputSubject, rawSchema);
    worker = new Worker({
      config: workerConfig({ brokers, schemaRegistryUrl: registryNode.url }),
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: metrics,
    });
    await worker.start();
  });

  after(async () => {
    await prometheus?.stop();
    await worker?.close();
    await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
    await closeClients?.();
    await registryNode?.stop();
    product?.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('a real Prometheus scrapes the worker: counts, lag back to 0, freshness', async () => {
    requireTool('prometheus', 'apt-get install prometheus');
    prometheus = await startPrometheus(workDir, [new URL(worker.controlUrl).host]);

    await produce(300);
    const sel = `{product="${product.id}"}`;
    await waitUntil(async () => (await promQuery(`sum(dataprod_records_consumed_total${sel})`)) === 300, {
      what: 'Prometheus to see 300 consumed',
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    const published = await promQuery(`sum(dataprod_records_published_total${sel})`);
    const dlq = await promQuery(`sum(dataprod_dlq_records_total${sel})`);
    const filtered = (await promQuery(`sum(dataprod_records_filtered_total${sel})`)) ?? 0;
    const expectedBad = Array.from({ length: 300 }, (_, i) => i).filter((i) => !['valid', 'filtered'].includes(kindOf(i))).length;
    assert.equal(dlq, expectedBad);
    assert.equal(published! + dlq! + filtered, 300, 'consumed = published + dead-lettered + filtered');
    await waitUntil(
      async () =>
        (await promQuery(`sum(dataprod_consumer_lag_records${sel})`)) === 0 &&
        (await promQuery(`max(dataprod_consumer_lag_seconds${sel})`)) === 0,
      {
        what: 'lag back to 0 in Prometheus',
        timeoutMs: 30_000,
        intervalMs: 1000,
      },
    );
    const age = await promQuery(`time() - dataprod_last_publish_timestamp_seconds${sel}`);
    assert.ok(age !== undefined && age >= 0 && age < 60, `freshness within bounds: ${age}`);
    const latencyCount = await promQuery(`sum(dataprod_append_to_publish_seconds_count${sel})`);
    assert.equal(latencyCount, published, 'one latency observation per published record');
  });

  it('the exposition passes promtool check metrics', async () => {
    requireTool('promtool', 'apt-get install prometheus');
    const text = await (await fetch(`${worker.controlUrl}/metrics`)).text();
    const file = join(workDir, 'metrics.txt');
    writeFileSync(file, text);
    const { stdout, stderr } = await exec('sh', ['-c', `promtool check metrics < ${file}`]).catch(
      (err: { stdout: string; stderr: string }) => {
        assert.fail(`promtool check metrics failed:\n${err.stdout}${err.stderr}`);
      },
    );
    assert.equal(`${stdout}${stderr}`.trim(), '', 'no lint findings');
  });

  it("lag in records equals Kafka's consumer-groups tool while paused mid-backlog and after draining", async () => {
    await produce(20);
    await waitUntil(async () => [...(await ourLag()).values()].every((l) => l === 0), { what: 'caught up', timeoutMs: 30_000 });

    // The registry goes away and upstream starts writing with a schema id the worker has not seen:
    // the worker pauses those partitions with a backlog behind them.
    const v2 = {
      ...rawSchema,
      fields: [...(rawSchema.fields as object[]), { name: 'channel_detail', type: ['null', 'string'], default: null }],
    };
    const v2Id = await new RegistryClient({ url: registryNode.url }).register(product.inputSubject, v2);
    await registryNode.stop();
    await produce(200, v2Id, v2);
    await waitUntil(async () => worker.products[0]!.state === 'backing-off', { what: 'the worker to back off', timeoutMs: 30_000 });
    // End offsets of paused partitions come from the admin refresh (every 5 s).
    await waitUntil(
      async () => {
        const [ours, theirs] = [await ourLag(), await kafkaToolLag()];
        return [...theirs.values()].reduce((a, b) => a + b, 0) === 200 && sameLag(ours, theirs);
      },
      { what: 'our lag to equal the consumer-groups tool mid-backlog', timeoutMs: 40_000, intervalMs: 1000 },
    );
    const lagSeconds = await metrics.getSingleMetric('dataprod_consumer_lag_seconds')!.get();
    assert.ok(
      lagSeconds.values.some((v) => v.labels.product === product.id && v.value > 0),
      'lag in seconds is positive while behind',
    );

    await registryNode.start();
    await waitUntil(
      async () => {
        const [ours, theirs] = [await ourLag(), await kafkaToolLag()];
        return [...theirs.values()].every((l) => l === 0) && sameLag(ours, theirs);
      },
      { what: 'both to report 0 after draining', timeoutMs: 90_000, intervalMs: 1000 },
    );
  });
});

function sameLag(ours: Map<number, number>, theirs: Map<number, number>): boolean {
  if (theirs.size !== PARTITIONS) return false;
  return [...theirs].every(([p, lag]) => ours.get(p) === lag);
}
