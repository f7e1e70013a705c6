/**
 * A replica that dies (kill -9) while holding a partition: until the group's session timeout
 * expires nobody reads that partition, and the dead replica exports nothing. Its peer reads the
 * group's lag for every partition from the admin API, so a real Prometheus scraping only the peer,
 * with the rules `dataprod rules` generated, fires DataprodPartitionStalled for exactly that
 * partition (lag and no commit for --stall-after-ms), long before the group reassigns it and
 * without waiting 10 minutes for "metrics absent".
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
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { loadProduct } from '../../src/product/load.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { groupProgress } from '../support/kafka.js';
import { startPrometheus, type PromAlert } from '../support/prometheus.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { requireTool } from '../support/tools.js';
import { cleanUpInProcess, connectClients, spawnWorker, workerConfig, type WorkerProcess } from '../support/worker.js';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const TAG = '[stalled-replica]';
const STALL_AFTER_MS = 5_000;
/** The dead replica keeps its partition this long: the peer must see the stall before. */
const SESSION_TIMEOUT_MS = 60_000;

describe("a dead replica's partition, seen by its peer and a real Prometheus", { timeout: 240_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), 'dataprod-stalled-replica-'));
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;
  let peer: Worker | undefined;
  let dead: WorkerProcess | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let stack: { brokers: string[]; schemaRegistryUrl: string };
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  let rawId: number;
  let seq = 0;

  before(async () => {
    stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 2 }] });
    rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
  });

  after(async () => {
    dead?.child.kill('SIGKILL');
    await prometheus?.stop();
    await cleanUpInProcess({ workers: peer ? [peer] : [], copies: product ? [product] : [], admin, producer });
    rmSync(workDir, { recursive: true, force: true });
  });

  const send = (partition: number, n: number) =>
    producer.send({
      topic: product.inputTopic,
      acks: -1,
      messages: Array.from({ length: n }, () => {
        const s = seq++;
        return { partition, key: `o-${s}`, value: frame(rawId, rawType.toBuffer(rawOrder(s, Date.now(), 'valid'))) };
      }),
    });

  it("fires DataprodPartitionStalled for the dead replica's partition only, from the peer's metrics", async () => {
    requireTool('prometheus', 'apt-get install prometheus');
    const rulesFile = join(workDir, 'rules.yml');
    await exec(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'rules', product.dir, '--out', rulesFile]);

    peer = new Worker({
      config: workerConfig(stack, {
        DATAPROD_STALL_AFTER_MS: String(STALL_AFTER_MS),
        DATAPROD_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      }),
      products: [await loadProduct(product.dir)],
      logger: createLogger('warn'),
      metricsRegistry: new Registry(),
    });
    await peer.start();
    prometheus = await startPrometheus(workDir, [new URL(peer.controlUrl).host], rulesFile);

    dead = spawnWorker(product.dir, stack, { DATAPROD_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) });
    // The replica's latest assignment, once it holds one partition of the two.
    const held = () => {
      const joins = dead!.log
        .join('')
        .split('\n')
        .filter((l) => l.includes('joined the consumer group'));
      const last = joins.length > 0 ? (JSON.parse(joins[joins.length - 1]!) as { assignment: Record<string, number[]> }) : undefined;
      const partitions = last?.assignment[product.inputTopic] ?? [];
      return partitions.length === 1 ? partitions[0] : undefined;
    };
    await waitUntil(async () => held() !== undefined, {
      what: 'the second replica to hold one partition',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const deadPartition = held()!;
    const livePartition = 1 - deadPartition;
    await send(0, 10);
    await send(1, 10);
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === 20, {
      what: 'both replicas to commit their records',
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    dead.child.kill('SIGKILL');
    await dead.exit;
    const sendingAt = Date.now();
    await send(deadPartition, 30);
    await send(livePartition, 30);
    const sentAt = Date.now();
    const stalledAlerts = async () =>
      (await prometheus!.alerts()).filter(
        (a: PromAlert) => a.labels.alertname === 'DataprodPartitionStalled' && a.labels.product === product.id,
      );
    await waitUntil(async () => (await stalledAlerts()).some((a) => a.state === 'firing'), {
      what: 'DataprodPartitionStalled to fire',
      timeoutMs: SESSION_TIMEOUT_MS - 10_000,
      intervalMs: 500,
    });
    const firingAfterMs = Date.now() - sentAt;
    const alerts = await stalledAlerts();
    console.error(
      `${TAG} DataprodPartitionStalled firing ${firingAfterMs} ms after records reached the dead replica's partition ${deadPartition} ` +
        `(--stall-after-ms ${STALL_AFTER_MS}, scrape and evaluation every 1 s)`,
    );
    assert.deepEqual(
      alerts.map((a) => [a.labels.topic, a.labels.partition, a.state]),
      [[product.inputTopic, String(deadPartition), 'firing']],
      "only the dead replica's partition",
    );
    assert.equal(await prometheus!.query(`max(dataprod_group_lag_records{product="${product.id}",partition="${deadPartition}"})`), 30);
    assert.equal(await prometheus!.query(`max(dataprod_group_lag_records{product="${product.id}",partition="${livePartition}"})`), 0);
    // The age of the oldest waiting record, through Prometheus: positive, and no older than the
    // records themselves (they were sent after sendingAt, the sample was taken before now).
    const deadSeconds = await prometheus!.query(`max(dataprod_group_lag_seconds{product="${product.id}",partition="${deadPartition}"})`);
    console.error(
      `${TAG} max(dataprod_group_lag_seconds) of partition ${deadPartition}: ${deadSeconds} s, records sent ${(Date.now() - sendingAt) / 1000} s ago at most`,
    );
    assert.ok(deadSeconds !== undefined && deadSeconds > 0 && deadSeconds <= (Date.now() - sendingAt) / 1000, `lag ${deadSeconds} s`);
    assert.equal(await prometheus!.query(`max(dataprod_group_lag_seconds{product="${product.id}",partition="${livePartition}"})`), 0);
    assert.equal(
      await prometheus!.query(`count(dataprod_consumer_lag_records{product="${product.id}",partition="${deadPartition}"})`),
      undefined,
      "the peer's own lag has no series for a partition it does not hold",
    );
  });
});
