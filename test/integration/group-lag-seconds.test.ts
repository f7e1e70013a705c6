/**
 * The group's lag in seconds, seen by a peer for a dead replica's partition. A replica holding one
 * partition of two is killed with -9; until the group's session timeout nobody reads that
 * partition. Its peer reads the oldest waiting record at the group's committed offset and exports
 * dataprod_group_lag_seconds:
 *  - an aborted transaction (records and abort marker) after the committed offset is no lag:
 *    0 records, 0 s, not stalled, on every scrape for longer than a refresh interval and the
 *    stall time;
 *  - then a committed transaction: the lag in seconds is the age of its first record (the first
 *    data record after the committed offset, read by kcat with read_committed), computed at
 *    scrape time: it lies between the ages at the start and at the end of the scrape, whatever
 *    the machine's speed. The aborted records carry older timestamps, so reading one of them, or
 *    the marker, would be an hour off. The live partition's lag stays 0 s.
 */
import assert from 'node:assert/strict';
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
import { groupProgress } from '../support/kafka.js';
import { samples } from '../support/prom-text.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { requireTool, runTool } from '../support/tools.js';
import { cleanUpInProcess, connectClients, spawnWorker, workerConfig, type WorkerProcess } from '../support/worker.js';

const TAG = '[group-lag-seconds]';
const STALL_AFTER_MS = 3_000;
/** Longer than the peer's refresh interval (5 s) and the stall time: every scrape in it must say "no lag". */
const NO_LAG_WINDOW_MS = 8_000;
/** The dead replica keeps its partition this long: the test is over well before. */
const SESSION_TIMEOUT_MS = 120_000;
const HOUR_MS = 3_600_000;

describe("the group's lag in seconds on a dead replica's partition, from its peer", { timeout: 240_000 }, () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;
  let peer: Worker | undefined;
  let dead: WorkerProcess | undefined;
  let stack: { brokers: string[]; schemaRegistryUrl: string };
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  let rawId: number;
  let seq = 0;

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
    product = copyProduct('orders-enriched');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 2 }] });
    rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
  });

  after(async () => {
    dead?.child.kill('SIGKILL');
    await cleanUpInProcess({ workers: peer ? [peer] : [], copies: product ? [product] : [], admin, producer });
  });

  /** `n` orders for `partition`, with broker timestamps (CreateTime) one second apart from `firstTs`. */
  const orders = (partition: number, n: number, firstTs: number) =>
    Array.from({ length: n }, (_, i) => {
      const s = seq++;
      return {
        partition,
        key: `o-${s}`,
        value: frame(rawId, rawType.toBuffer(rawOrder(s, Date.now(), 'valid'))),
        timestamp: String(firstTs + i * 1000),
      };
    });

  async function transaction(messages: ReturnType<typeof orders>, outcome: 'commit' | 'abort'): Promise<void> {
    const tx = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('upstream') });
    await tx.connect();
    try {
      const t = await tx.transaction();
      await t.send({ topic: product.inputTopic, acks: -1, messages });
      await (outcome === 'commit' ? t.commit() : t.abort());
    } finally {
      await tx.disconnect();
    }
  }

  const endOf = async (partition: number) =>
    Number((await admin.fetchTopicOffsets(product.inputTopic)).find((p) => p.partition === partition)!.high);

  /** The peer's group lag for `partition`, and when the scrape started and ended (ms). */
  async function scrape(partition: number) {
    const startedAt = Date.now();
    const text = await (await fetch(`${peer!.controlUrl}/metrics`)).text();
    const endedAt = Date.now();
    const of = (name: string) =>
      samples(text, name).find((s) => s.labels.product === product.id && s.labels.partition === String(partition))?.value;
    return {
      startedAt,
      endedAt,
      records: of('dataprod_group_lag_records'),
      seconds: of('dataprod_group_lag_seconds'),
      stalled: of('dataprod_group_partition_stalled'),
    };
  }

  it('is 0 past an aborted transaction, then the age of the first committed record, checked against kcat', async () => {
    requireTool('kcat');
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
    dead = spawnWorker(product.dir, stack, { DATAPROD_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) });
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
    await producer.send({ topic: product.inputTopic, acks: -1, messages: [...orders(0, 10, Date.now()), ...orders(1, 10, Date.now())] });
    await waitUntil(async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === 20, {
      what: 'both replicas to commit their records',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    dead.child.kill('SIGKILL');
    await dead.exit;

    // 5 aborted records (offsets 10-14) and the abort marker (15): nothing waits.
    await transaction(orders(deadPartition, 5, Date.now() - 2 * HOUR_MS), 'abort');
    await waitUntil(async () => (await endOf(deadPartition)) === 16, { what: 'the abort marker', timeoutMs: 30_000, intervalMs: 100 });
    const windowEnd = Date.now() + NO_LAG_WINDOW_MS;
    let scrapes = 0;
    while (Date.now() < windowEnd) {
      const s = await scrape(deadPartition);
      assert.deepEqual(
        [s.records, s.seconds, s.stalled],
        [0, 0, 0],
        `scrape ${scrapes}: only an aborted transaction follows the committed offset`,
      );
      scrapes++;
      await new Promise((r) => setTimeout(r, 250));
    }

    // 5 committed records (16-20) and the commit marker (21): the oldest waiting record is 16.
    const firstTs = Date.now() - HOUR_MS;
    await transaction(orders(deadPartition, 5, firstTs), 'commit');
    await waitUntil(async () => (await endOf(deadPartition)) === 22, { what: 'the commit marker', timeoutMs: 30_000, intervalMs: 100 });
    const kcat = await runTool('kcat', [
      '-C',
      '-b',
      stack.brokers.join(','),
      '-t',
      product.inputTopic,
      '-p',
      String(deadPartition),
      '-o',
      '10',
      '-c',
      '1',
      '-e',
      '-X',
      'isolation.level=read_committed',
      '-f',
      '%o %T\n',
    ]);
    assert.equal(kcat.code, 0, kcat.stderr);
    const [oldestOffset, oldestTs] = kcat.stdout.trim().split(' ').map(Number);
    assert.deepEqual([oldestOffset, oldestTs], [16, firstTs], 'kcat: the first data record after the committed offset');

    await waitUntil(async () => (await scrape(deadPartition)).records === 12, {
      what: 'the peer to see the committed transaction',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const s = await scrape(deadPartition);
    console.error(
      `${TAG} partition ${deadPartition}: dataprod_group_lag_seconds ${s.seconds}, kcat's record at offset ${oldestOffset} is ` +
        `${(s.startedAt - oldestTs!) / 1000}-${(s.endedAt - oldestTs!) / 1000} s old during the scrape`,
    );
    assert.equal(s.records, 12, 'end 22 minus committed 10, markers and aborted records included (as kafka-consumer-groups counts)');
    assert.ok(s.seconds !== undefined, "a lag in seconds for the dead replica's partition");
    // The gauge is computed at scrape time from the record's own timestamp: within the scrape's span (1 ms rounding).
    assert.ok(
      s.seconds >= (s.startedAt - oldestTs!) / 1000 - 0.001 && s.seconds <= (s.endedAt - oldestTs!) / 1000 + 0.001,
      `${s.seconds} s is the age of offset ${oldestOffset} during the scrape`,
    );
    const live = await scrape(livePartition);
    assert.deepEqual([live.records, live.seconds], [0, 0], 'the live partition has no lag');
  });
});
