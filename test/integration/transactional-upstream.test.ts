/**
 * An upstream producer that uses transactions, then goes idle. Each transaction leaves a marker
 * (a control record) after its records, and an aborted transaction leaves records no
 * read_committed consumer is handed. Neither is anything to process: once the worker has handled
 * the committed records, its group's offset must be past the markers and aborted records, so
 *  - the group's committed offset equals the partition's end offset (as Kafka's own tools see it),
 *  - lag is 0 records and 0 s, and stays 0 s while the upstream is idle (not growing),
 *  - the completeness watermark is "now" (the partition is idle, so windows can be judged),
 *  - every committed record is published once, no aborted one.
 * Partition 0 gets one committed transaction; partition 1 a committed one, then an aborted one.
 * Under both delivery modes: exactly-once commits its offsets inside its own transactions.
 * At-least-once also runs under a real Prometheus with the generated rules and a freshness SLO of
 * 5 s: once the upstream has been idle longer than that, freshness reads idle (no stale sample)
 * and no alert of the product is pending or firing (with a lag of 1 per marker, the freshness
 * page fired).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { readTopicSettled } from '../support/kafka.js';
import { samples } from '../support/prom-text.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';
import { kafkaToolLag, startPrometheus } from '../support/prometheus.js';
import { requireTool } from '../support/tools.js';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

const TAG = '[transactional-upstream]';

for (const delivery of ['at-least-once', 'exactly-once'] as const)
  describe(`transactional upstream, then idle (${delivery})`, { timeout: 120_000 }, () => {
    let kafka: Kafka;
    let admin: Admin;
    let producer: Producer;
    let product: ProductCopy;
    let worker: Worker | undefined;
    const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
    const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
    let rawId: number;
    let brokers: string[];
    const withPrometheus = delivery === 'at-least-once';
    const workDir = mkdtempSync(join(tmpdir(), 'dataprod-tx-upstream-'));
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;

    before(async () => {
      const stack = await testStack();
      brokers = stack.brokers;
      ({ kafka, admin, producer } = await connectClients(stack));
      product = copyProduct('orders-enriched', (doc) => {
        doc.set('delivery', delivery);
        doc.setIn(['slaProperties', 1, 'unit'], 's'); // freshness: 5 s
      });
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 2 }] });
      rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
      worker = new Worker({
        config: workerConfig(stack),
        products: [await loadProduct(product.dir)],
        logger: createLogger('warn'),
        metricsRegistry: new Registry(),
      });
    });

    after(async () => {
      await prometheus?.stop();
      await cleanUpInProcess({ workers: worker ? [worker] : [], copies: product ? [product] : [], admin, producer });
      rmSync(workDir, { recursive: true, force: true });
    });

    const orders = (partition: number, seqs: number[]) =>
      seqs.map((seq) => ({ partition, key: `o-${seq}`, value: frame(rawId, rawType.toBuffer(rawOrder(seq, Date.now(), 'valid'))) }));

    async function transaction(messages: ReturnType<typeof orders>, outcome: 'commit' | 'abort'): Promise<void> {
      const tx = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('upstream') });
      await tx.connect();
      try {
        const t = await tx.transaction();
        await t.send({ topic: product.inputTopic, messages });
        await (outcome === 'commit' ? t.commit() : t.abort());
      } finally {
        await tx.disconnect();
      }
    }

    it('has lag 0 records and 0 s past transaction markers and aborted records, and the group at the end offset', async () => {
      await worker!.start();
      if (withPrometheus) {
        requireTool('prometheus', 'apt-get install prometheus');
        const rulesFile = join(workDir, 'rules.yml');
        await exec(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'rules', product.dir, '--out', rulesFile]);
        prometheus = await startPrometheus(workDir, [new URL(worker!.controlUrl).host], rulesFile);
      }
      await transaction(orders(0, [0, 1, 2, 3, 4]), 'commit');
      await transaction(orders(1, [5, 6, 7]), 'commit');
      await transaction(orders(1, [100, 101, 102, 103]), 'abort');

      // 5 records + 1 marker; 3 records + 1 marker + 4 aborted records + 1 marker. The coordinator
      // writes the markers after the commit or abort returns: wait for the last stable offsets.
      const endOffsets = async () => new Map((await admin.fetchTopicOffsets(product.inputTopic)).map((p) => [p.partition, Number(p.high)]));
      await waitUntil(async () => JSON.stringify(Object.fromEntries(await endOffsets())) === '{"0":6,"1":9}', {
        what: 'the transaction markers to be written',
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      const ends = await endOffsets();
      const committedOffsets = async () => {
        const [group] = await admin.fetchOffsets({ groupId: product.group, topics: [product.inputTopic] });
        return new Map((group?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      };
      await waitUntil(
        async () => {
          const committed = await committedOffsets();
          return [...ends].every(([p, end]) => committed.get(p) === end);
        },
        {
          what: "the group's offsets to reach the end offsets (past the markers)",
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}; committed ${JSON.stringify(Object.fromEntries(await committedOffsets()))}`);
      });
      const caughtUpAt = Date.now();
      const tool = await kafkaToolLag(brokers, product.group, product.inputTopic);
      console.error(`${TAG} ${delivery}: kafka-consumer-groups lag ${JSON.stringify(Object.fromEntries(tool))}`);
      assert.deepEqual(Object.fromEntries(tool), { 0: 0, 1: 0 }, "Kafka's consumer-groups tool sees no lag either");

      // Idle upstream: lag stays 0 s however long nothing comes (it used to grow with the idle time),
      // past the 5 s freshness threshold (and a few scrapes and rule evaluations) under Prometheus.
      await new Promise((r) => setTimeout(r, withPrometheus ? 9_000 : 3_000));
      const text = await (await fetch(`${worker!.controlUrl}/metrics`)).text();
      const lag = (name: string) =>
        Object.fromEntries(
          samples(text, name)
            .filter((s) => s.labels.product === product.id)
            .map((s) => [s.labels.partition, s.value]),
        );
      console.error(
        `${TAG} ${delivery}: ${Date.now() - caughtUpAt} ms after catching up: lag records ${JSON.stringify(lag('dataprod_consumer_lag_records'))}, seconds ${JSON.stringify(lag('dataprod_consumer_lag_seconds'))}`,
      );
      assert.deepEqual(lag('dataprod_consumer_lag_records'), { 0: 0, 1: 0 });
      assert.deepEqual(lag('dataprod_consumer_lag_seconds'), { 0: 0, 1: 0 });
      const now = Date.now();
      assert.equal(
        worker!.products[0]!.signals.progress.watermark(now),
        now,
        'idle partitions: completeness windows can be judged up to now',
      );

      if (prometheus) {
        const sel = `{product="${product.id}"}`;
        assert.equal(await prometheus.query(`sum(dataprod_consumer_lag_records${sel})`), 0, 'Prometheus scraped lag 0');
        assert.equal(await prometheus.query(`dataprod:sli_freshness_stale:bool${sel}`), undefined, 'freshness: idle, not stale');
        const alerts = (await prometheus.alerts()).filter((a) => a.labels.product === product.id);
        console.error(`${TAG} ${delivery}: alerts of the product under Prometheus after the idle time: ${JSON.stringify(alerts)}`);
        assert.deepEqual(alerts, [], 'no alert pending or firing');
      }

      const outputs = await readTopicSettled(kafka, product.outputTopic, 8);
      const keys = outputs.map((r) => r.key).sort();
      assert.deepEqual(
        keys,
        ['o-0', 'o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6', 'o-7'],
        'each committed record published once, no aborted one',
      );
    });
  });
