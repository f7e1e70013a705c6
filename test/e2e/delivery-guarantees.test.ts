/**
 * Delivery guarantees of `dataprod run` as real processes, checked by an oracle over numbered
 * records (modelled on crash-recovery.test.ts).
 *
 * The records: seq n is produced with Kafka key `o-<n>` (kept by dead letters) to input partition
 * n % P at offset floor(n / P) (one idempotent producer, in seq order), so the oracle knows every
 * record's position. Its `order_id`, which orders-enriched uses as the OUTPUT key, is `k-<n % KEYS>`:
 * keys repeat across seqs, and as KEYS is a multiple of P every seq of a key is in one input
 * partition, in seq order. The output's `created_at` is BASE + n, so every output names its seq;
 * dead letters name it by their key. Per-key order is then checked on the output itself: along each
 * output partition, the seqs of one key must increase (at-least-once: their first copies must).
 *
 * 1. exactly-once, SIGKILL three times: a backlog produced in large sends (rate printed), the
 *    worker killed -9 while it works through it, restarted, and the next share of the input
 *    produced only after each kill (so every kill is mid-stream by construction); a last worker
 *    drains. A read_committed read sees every record exactly once (published, dead-lettered, or not
 *    at all if filtered): 0 lost, 0 duplicates, per-key order kept.
 * 2. zombie: two exactly-once replicas of one group; one is SIGSTOPped past the session timeout
 *    while records keep coming, the group gives its partitions to the other, which fences it; then
 *    it is SIGCONTed. It is stopped inside a batch by construction (its transform holds on an order
 *    marked for it and says so first), so it wakes up to write that batch and must log that it was
 *    fenced (a cycle without a fence is run again, up to 4). Drained: 0 lost, 0 duplicates.
 * 3. at-least-once, the same three kills: 0 lost; a record may come again only once per kill that
 *    found it produced but not committed (committed offset at the kill <= its offset < end offset).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame, parseFrame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder, type EventKind } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { Stack } from '../../src/devstack/index.js';
import { DLQ_HEADER } from '../../src/pipeline/dead-letter.js';
import { groupProgress, readTopicSettled, type ReadRecord } from '../support/kafka.js';
import { connectClients, spawnWorker, type WorkerProcess } from '../support/worker.js';
import { copyProduct, editTransform, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';

/** A multiple of every partition count used here, so one key stays in one input partition. */
const KEYS = 60;
const SESSION_TIMEOUT_MS = 6_000;
/** Records per send: large sends, so the backlog goes in at well over 8,000 records/s. */
const SEND_CHUNK = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Delivery = 'exactly-once' | 'at-least-once';

interface Input {
  product: ProductCopy;
  partitions: number;
  base: number;
  encode: (seq: number) => Buffer;
}

interface KillPoint {
  /** Committed offset per input partition right after the kill. */
  committed: number[];
  /** End offset per input partition at the kill: records past it were not produced yet. */
  end: number[];
}

interface Oracle {
  lost: number;
  duplicates: number;
  orderViolations: number;
  misplaced: number;
  outputs: number;
  deadLetters: number;
  problems: string[];
}

describe('delivery guarantees: exactly-once and at-least-once under kills and zombies', { timeout: 230_000 }, () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
  const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
  const outType = avsc.Type.forSchema(readSchema('orders-enriched', 'orders-enriched.avsc') as avsc.Schema);
  const copies: ProductCopy[] = [];
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await testStack();
    ({ kafka, admin, producer } = await connectClients(stack));
  });

  after(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
        await w.exit;
      }
    }
    await producer?.disconnect();
    for (const p of copies) {
      await admin.deleteTopics({ topics: [p.inputTopic, p.outputTopic, p.dlqTopic] }).catch(() => undefined);
      p.remove();
    }
    await admin?.disconnect();
  });

  const exited = (w: WorkerProcess) => w.child.exitCode !== null || w.child.signalCode !== null;
  /** A worker's log without kafkajs's info chatter, for failure messages. */
  const tail = (w: WorkerProcess, n = 60) =>
    w.log
      .join('')
      .split('\n')
      .filter((l) => !l.includes('"level":30') || !l.includes('"component":"kafkajs"'))
      .slice(-n)
      .join('\n');
  const logLines = (w: WorkerProcess) =>
    w.log
      .join('')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as { msg?: string; assignment?: Record<string, number[]> }];
        } catch {
          return [];
        }
      });

  function startWorker(product: ProductCopy, extra: NodeJS.ProcessEnv = {}): WorkerProcess {
    // A restarted worker waits the session timeout for the killed one's partitions.
    const w = spawnWorker(product.dir, stack, {
      DATAPROD_SHUTDOWN_GRACE_MS: '20000',
      DATAPROD_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      ...extra,
    });
    workers.push(w);
    return w;
  }

  /**
   * `transform` rewrites the copy's transform source; `order` may change a raw order before it is
   * encoded (not its order_id or created_at, which the oracle reads back).
   */
  async function setUp(
    delivery: Delivery,
    partitions: number,
    options: {
      transform?: (source: string) => string;
      order?: (seq: number, order: Record<string, unknown>) => Record<string, unknown>;
    } = {},
  ): Promise<Input> {
    const product = copyProduct('orders-enriched', delivery === 'exactly-once' ? (doc) => doc.set('delivery', 'exactly-once') : undefined);
    copies.push(product);
    if (options.transform) editTransform(product, options.transform);
    const edit = options.order ?? ((_seq: number, order: Record<string, unknown>) => order);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: partitions }] });
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(product.inputSubject, rawSchema);
    const base = Date.now();
    const encode = (seq: number): Buffer => {
      if (kindOf(seq) === 'not-avro') return Buffer.from(`{"order_id":"k-${seq % KEYS}"}`);
      return frame(rawId, rawType.toBuffer(edit(seq, { ...rawOrder(seq, base + seq), order_id: `k-${seq % KEYS}` })));
    };
    return { product, partitions, base, encode };
  }

  /** Sends seqs [from, to) in large sends, each awaited (acks all), so seq n lands at offset floor(n / P). */
  async function produce(input: Input, from: number, to: number, chunk = SEND_CHUNK): Promise<{ records: number; ms: number }> {
    const values = [];
    for (let seq = from; seq < to; seq++) values.push({ key: `o-${seq}`, value: input.encode(seq), partition: seq % input.partitions });
    const startedAt = performance.now();
    for (let i = 0; i < values.length; i += chunk)
      await producer.send({ topic: input.product.inputTopic, acks: -1, messages: values.slice(i, i + chunk) });
    return { records: to - from, ms: performance.now() - startedAt };
  }

  async function offsetsNow(input: Input): Promise<KillPoint> {
    const [committed] = await admin.fetchOffsets({ groupId: input.product.group, topics: [input.product.inputTopic] });
    const ends = await admin.fetchTopicOffsets(input.product.inputTopic);
    return {
      committed: Array.from({ length: input.partitions }, (_, p) =>
        Math.max(0, Number(committed!.partitions.find((x) => x.partition === p)?.offset ?? 0)),
      ),
      end: Array.from({ length: input.partitions }, (_, p) => Number(ends.find((x) => x.partition === p)?.high ?? 0)),
    };
  }

  async function drain(input: Input, total: number, running: WorkerProcess[]): Promise<void> {
    await waitUntil(
      async () => {
        const { committed, end } = await groupProgress(admin, input.product.group, input.product.inputTopic);
        return end === total && committed === total;
      },
      {
        what: `the group to commit all ${total} records`,
        timeoutMs: 90_000,
        abortReason: () => running.filter(exited).map((w) => `a worker exited:\n${tail(w)}`)[0],
      },
    );
    for (const w of running) {
      w.child.kill('SIGTERM');
      const { code } = await w.exit;
      assert.equal(code, 0, `a worker drained and exited 0:\n${tail(w)}`);
    }
  }

  /**
   * Reads the output and the dead letters (read_committed) and checks every seq in [0, total):
   * `allowedCopies(seq)` copies at most (1 under exactly-once), at least one unless filtered.
   */
  async function oracle(input: Input, total: number, allowedCopies: (seq: number) => number, firstCopiesOnly: boolean): Promise<Oracle> {
    const seqs = Array.from({ length: total }, (_, seq) => seq);
    const expectedOutputs = seqs.filter((s) => kindOf(s) === 'valid').length;
    const expectedDlq = seqs.filter((s) => !['valid', 'filtered'].includes(kindOf(s))).length;
    const outputs = await readTopicSettled(kafka, input.product.outputTopic, expectedOutputs, { timeoutMs: 60_000 });
    const deadLetters = await readTopicSettled(kafka, input.product.dlqTopic, expectedDlq, { timeoutMs: 60_000 });
    const problems: string[] = [];
    let misplaced = 0;
    const published = new Map<number, number>();
    const deadLettered = new Map<number, number>();
    const byOffset = (a: ReadRecord, b: ReadRecord) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));

    // Per-key order along each output partition.
    let orderViolations = 0;
    const lastSeq = new Map<string, number>();
    for (const r of [...outputs].sort(byOffset)) {
      const parsed = parseFrame(r.value);
      if (!parsed.ok) throw new Error(`output at ${r.partition}@${r.offset} is not Avro`);
      const out = outType.fromBuffer(parsed.body) as { order_id: string; created_at: number };
      const seq = out.created_at - input.base;
      if (r.key !== out.order_id || out.order_id !== `k-${seq % KEYS}`) {
        misplaced += 1;
        problems.push(`output ${r.partition}@${r.offset}: key ${r.key}, order_id ${out.order_id}, seq ${seq}`);
      }
      const copiesBefore = published.get(seq) ?? 0;
      published.set(seq, copiesBefore + 1);
      if (firstCopiesOnly && copiesBefore > 0) continue;
      const key = `${r.partition}/${out.order_id}`;
      const last = lastSeq.get(key);
      if (last !== undefined && seq <= last) {
        orderViolations += 1;
        if (orderViolations <= 10) problems.push(`order: ${out.order_id} seq ${seq} after seq ${last} on output partition ${r.partition}`);
      }
      lastSeq.set(key, seq);
    }
    // Dead letters point back at the source record the oracle placed there, and keep its order.
    const lastSource = new Map<string, number>();
    for (const r of [...deadLetters].sort(byOffset)) {
      const seq = Number(r.key!.slice(2));
      const at = { partition: Number(r.headers[DLQ_HEADER.partition]), offset: Number(r.headers[DLQ_HEADER.offset]) };
      if (
        at.partition !== seq % input.partitions ||
        at.offset !== Math.floor(seq / input.partitions) ||
        r.headers[DLQ_HEADER.reason] !== kindOf(seq)
      ) {
        misplaced += 1;
        problems.push(
          `dead letter ${r.partition}@${r.offset} for seq ${seq}: source ${at.partition}@${at.offset}, reason ${r.headers[DLQ_HEADER.reason]}`,
        );
      }
      const copiesBefore = deadLettered.get(seq) ?? 0;
      deadLettered.set(seq, copiesBefore + 1);
      if (firstCopiesOnly && copiesBefore > 0) continue;
      const key = `${r.partition}/${at.partition}`;
      const last = lastSource.get(key);
      if (last !== undefined && at.offset <= last) {
        orderViolations += 1;
        if (orderViolations <= 10)
          problems.push(`order: dead letter of ${at.partition}@${at.offset} after ${at.partition}@${last} on dlq partition ${r.partition}`);
      }
      lastSource.set(key, at.offset);
    }

    let lost = 0;
    let duplicates = 0;
    for (const seq of seqs) {
      const kind: EventKind = kindOf(seq);
      const p = published.get(seq) ?? 0;
      const d = deadLettered.get(seq) ?? 0;
      const wrongPlace = kind === 'valid' ? d : kind === 'filtered' ? p + d : p;
      const copies = kind === 'valid' ? p : kind === 'filtered' ? 0 : d;
      if (wrongPlace > 0) {
        misplaced += wrongPlace;
        problems.push(`seq ${seq} (${kind}): ${p} published, ${d} dead-lettered`);
      }
      if (kind !== 'filtered' && copies === 0) {
        lost += 1;
        if (lost <= 10) problems.push(`lost: seq ${seq} (${kind}) at ${seq % input.partitions}@${Math.floor(seq / input.partitions)}`);
      }
      if (copies > 1) {
        duplicates += copies - 1;
        if (copies > allowedCopies(seq))
          problems.push(
            `seq ${seq} at ${seq % input.partitions}@${Math.floor(seq / input.partitions)}: ${copies} copies, at most ${allowedCopies(seq)} allowed`,
          );
      }
    }
    const extra = [...published.keys(), ...deadLettered.keys()].filter((seq) => seq < 0 || seq >= total);
    misplaced += extra.length;
    if (extra.length > 0) problems.push(`records for seqs never produced: ${extra.slice(0, 10).join(' ')}`);
    return { lost, duplicates, orderViolations, misplaced, outputs: outputs.length, deadLetters: deadLetters.length, problems };
  }

  const SHARE = 6_000;
  const KILLS = 3;
  const PARTITIONS = 3;
  /** How long the worker runs on a live stream of small sends before each kill. */
  const STREAM_BEFORE_KILL_MS = 1_000;

  /**
   * Scenarios 1 and 3: a backlog in large sends, then per worker: it works through what is there,
   * runs on a live stream of small sends (so the kill finds batches in flight), is SIGKILLed, and
   * the next share is produced only after it died (so every kill is mid-stream by construction).
   * A last worker drains.
   */
  async function killThreeTimes(
    delivery: Delivery,
  ): Promise<{ input: Input; kills: KillPoint[]; total: number; rate: number; workers: WorkerProcess[] }> {
    const input = await setUp(delivery, PARTITIONS);
    let produced = 0;
    let sentRecords = 0;
    let sendMs = 0;
    const produceShare = async () => {
      const { records, ms } = await produce(input, produced, produced + SHARE);
      produced += SHARE;
      sentRecords += records;
      sendMs += ms;
      console.error(`[${delivery}] backlog: seqs up to ${produced} sent at ${Math.round(records / (ms / 1000))} records/s`);
    };
    await produceShare();
    const kills: KillPoint[] = [];
    const used: WorkerProcess[] = [];
    for (let k = 0; k < KILLS; k++) {
      const worker = startWorker(input.product);
      used.push(worker);
      const backlog = produced;
      await waitUntil(
        async () => (await groupProgress(admin, input.product.group, input.product.inputTopic)).committed >= backlog - SHARE / 2,
        {
          what: `worker ${k + 1} to work through the backlog`,
          timeoutMs: 60_000,
          intervalMs: 20,
          abortReason: () => (exited(worker) ? `worker exited early:\n${tail(worker)}` : undefined),
        },
      );
      let streaming = true;
      const stream = (async () => {
        while (streaming) {
          await produce(input, produced, produced + 50);
          produced += 50;
          await sleep(5);
        }
      })();
      await sleep(STREAM_BEFORE_KILL_MS);
      worker.child.kill('SIGKILL');
      const { signal } = await worker.exit;
      streaming = false;
      await stream;
      assert.equal(signal, 'SIGKILL');
      const at = await offsetsNow(input);
      kills.push(at);
      const committed = at.committed.reduce((a, b) => a + b, 0);
      const end = at.end.reduce((a, b) => a + b, 0);
      console.error(
        `[${delivery}] kill ${k + 1}: committed ${JSON.stringify(at.committed)} (${committed}) of ${end} produced (${end - committed} not committed); more to come`,
      );
      assert.ok(committed <= end && end === produced, 'killed mid-stream, with the rest of the input still to come');
      await produceShare();
    }
    const total = produced;
    const last = startWorker(input.product);
    used.push(last);
    await drain(input, total, [last]);
    return { input, kills, total, rate: sentRecords / (sendMs / 1000), workers: used };
  }

  /** Records on the output and dead-letter topics including aborted ones (read_uncommitted). */
  async function writtenIncludingAborted(input: Input, committedRead: number): Promise<number> {
    const out = await readTopicSettled(kafka, input.product.outputTopic, 0, { readUncommitted: true, timeoutMs: 60_000 });
    const dlq = await readTopicSettled(kafka, input.product.dlqTopic, 0, { readUncommitted: true, timeoutMs: 60_000 });
    return out.length + dlq.length - committedRead;
  }

  function report(name: string, o: Oracle, extra: string): void {
    console.error(
      `[${name}] lost ${o.lost}, duplicates ${o.duplicates}, order violations ${o.orderViolations}, misplaced ${o.misplaced}; ` +
        `${o.outputs} outputs, ${o.deadLetters} dead letters read (read_committed); ${extra}`,
    );
  }

  it('exactly-once: three SIGKILLs mid-stream, every record exactly once and per-key order kept', async () => {
    const startedAt = Date.now();
    const { input, total, rate, workers: used } = await killThreeTimes('exactly-once');
    const o = await oracle(input, total, () => 1, false);
    const skipped = used.flatMap(logLines).filter((l) => l.msg?.startsWith('skipping records the previous owner')).length;
    const aborted = await writtenIncludingAborted(input, o.outputs + o.deadLetters);
    report(
      'exactly-once kill -9',
      o,
      `${total} records; backlog produce rate ${Math.round(rate)} records/s; ${aborted} records of aborted transactions seen read_uncommitted; ` +
        `${skipped} skips of committed records logged; ${Date.now() - startedAt} ms`,
    );
    // Each worker's warnings and errors: a duplicate shows which claim read which committed offset.
    const context = () =>
      `${o.problems.slice(0, 30).join('\n')}\n` +
      used
        .map(
          (w, i) =>
            `worker ${i + 1}:\n${w.log
              .join('')
              .split('\n')
              .filter((l) => !l.includes('"level":30') || /skipping|joined/.test(l))
              .slice(-15)
              .join('\n')}`,
        )
        .join('\n');
    assert.equal(o.lost, 0, `lost records: ${context()}`);
    assert.equal(o.duplicates, 0, `duplicates under exactly-once: ${context()}`);
    assert.equal(o.orderViolations, 0, `per-key order: ${context()}`);
    assert.equal(o.misplaced, 0, `misplaced records: ${context()}`);
  });

  /** Orders with this coupon code hold the transform of a replica started with DATAPROD_TEST_HOLD_MS. */
  const HOLD_COUPON = 'ZOMBIE-HOLD';
  const HOLD_MS = 3_000;
  const HOLDING = 'test transform: holding a record';
  const FENCED = 'fenced by a newer owner of the partition; paused until the group reassigns it';
  const MAX_CYCLES = 4;
  /**
   * The zombie's transform: on a held order, in a replica started with DATAPROD_TEST_HOLD_MS only,
   * it writes a line to stderr and then busy-waits (the event loop blocked, as in a long GC pause),
   * so the test stops the replica while it is deciding a batch, by construction and not by luck
   * of timing. It wakes up with that batch still to write, after the new owner fenced it.
   */
  const holdingTransform = (source: string): string => {
    const anchor = '  if (order.is_test) return null;';
    if (!source.includes(anchor)) throw new Error(`the orders-enriched transform lost its line "${anchor.trim()}"; adapt holdingTransform`);
    const hold = [
      '  const holdMs = Number(process.env.DATAPROD_TEST_HOLD_MS ?? 0);',
      `  if (holdMs > 0 && order.coupon_code === '${HOLD_COUPON}') {`,
      `    writeSync(2, JSON.stringify({ msg: '${HOLDING}', created_at: order.created_at, holdMs }) + '\\n');`,
      '    const until = Date.now() + holdMs;',
      '    while (Date.now() < until) {',
      '      // busy',
      '    }',
      '  }',
    ].join('\n');
    return `import { writeSync } from 'node:fs';\n${source.replace(anchor, `${hold}\n${anchor}`)}`;
  };

  it('exactly-once: a replica stopped past the session timeout is fenced, nothing written twice', async () => {
    const startedAt = Date.now();
    const ZP = 4;
    const held = new Set<number>();
    const input = await setUp('exactly-once', ZP, {
      transform: holdingTransform,
      order: (seq, order) => (held.has(seq) ? { ...order, coupon_code: HOLD_COUPON } : order),
    });
    const topic = input.product.inputTopic;
    let produced = 0;
    let producing = true;
    let sendFailed: Error | undefined;
    /** Once set, the stream makes one valid order in one of these partitions a held one. */
    let holdIn: number[] | undefined;
    // A steady stream (about 2,000 records/s) for as long as the scenario needs.
    const stream = (async () => {
      while (producing) {
        const want = holdIn;
        if (want) {
          held.add(Array.from({ length: 200 }, (_, i) => produced + i).find((s) => want.includes(s % ZP) && kindOf(s) === 'valid')!);
          holdIn = undefined;
        }
        await produce(input, produced, produced + 200);
        produced += 200;
        await sleep(100);
      }
    })();
    stream.catch((err: Error) => (sendFailed = err));
    // A holds on held orders; B (the new owner) does not.
    const a = startWorker(input.product, { DATAPROD_TEST_HOLD_MS: String(HOLD_MS) });
    const joins = (w: WorkerProcess) => logLines(w).filter((l) => l.msg === 'joined the consumer group');
    const count = (w: WorkerProcess, msg: string) => logLines(w).filter((l) => l.msg === msg).length;
    await waitUntil(async () => joins(a).length > 0, {
      what: 'replica A to join',
      timeoutMs: 60_000,
      abortReason: () => (exited(a) ? tail(a) : undefined),
    });
    const b = startWorker(input.product);
    const owned = (w: WorkerProcess) => (joins(w).at(-1)?.assignment?.[topic] ?? []).slice().sort();
    const abort = () => sendFailed?.message ?? [a, b].filter(exited).map((w) => `a replica exited:\n${tail(w)}`)[0];

    // Stop A inside a batch, let B take its partitions over (claiming them fences A), wake A up.
    // A cycle that ends without a fence (A's held batch gone by another way) is run again, bounded.
    const cycles: { partitions: number[]; stoppedMs: number; fenced: number }[] = [];
    while (cycles.length < MAX_CYCLES && !cycles.some((c) => c.fenced > 0)) {
      // Both hold partitions and both commit: records flow through each replica.
      await waitUntil(
        async () => {
          if (owned(a).length === 0 || owned(b).length === 0 || owned(a).length + owned(b).length !== ZP) return false;
          const at = await offsetsNow(input);
          return at.committed.every((c) => c > 0) && owned(b).every((p) => at.committed[p]! > 0);
        },
        { what: 'both replicas to own and commit partitions', timeoutMs: 60_000, abortReason: abort },
      );
      const aPartitions = owned(a);
      const holdsBefore = count(a, HOLDING);
      holdIn = aPartitions;
      await waitUntil(async () => count(a, HOLDING) > holdsBefore, {
        what: 'replica A to reach a held order',
        timeoutMs: 30_000,
        intervalMs: 10,
        abortReason: abort,
      });
      a.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const atStop = await offsetsNow(input);
      // The group gives A's partitions to B, and B commits on them: it claimed them, fencing A.
      await waitUntil(
        async () => {
          if (owned(b).length !== ZP) return false;
          const now = await offsetsNow(input);
          return aPartitions.every((p) => now.committed[p]! > atStop.end[p]!);
        },
        { what: "B to take over and commit A's partitions", timeoutMs: 60_000, abortReason: abort },
      );
      const stoppedMs = Date.now() - stoppedAt;
      const fencedBefore = count(a, FENCED);
      const joinsBefore = joins(a).length;
      a.child.kill('SIGCONT');
      // A wakes up inside the held batch, with its old assignment, and goes on to write it; it
      // learns it left the group at its next heartbeat and joins again.
      await waitUntil(async () => joins(a).length > joinsBefore, {
        what: 'replica A to join the group again',
        timeoutMs: 60_000,
        abortReason: abort,
      });
      await sleep(1_000);
      cycles.push({ partitions: aPartitions, stoppedMs, fenced: count(a, FENCED) - fencedBefore });
      console.error(
        `[zombie] cycle ${cycles.length}: A owned ${JSON.stringify(aPartitions)}, stopped ${stoppedMs} ms while holding a batch, logged ${cycles.at(-1)!.fenced} fenced warnings`,
      );
    }
    // Records keep coming for a while with A back in the group.
    await sleep(2_000);
    producing = false;
    await stream;
    const total = produced;
    await drain(input, total, [a, b]);
    const o = await oracle(input, total, () => 1, false);
    const aborted = await writtenIncludingAborted(input, o.outputs + o.deadLetters);
    const fences = logLines(a).filter((l) => l.msg === FENCED) as { type?: string; partition?: number }[];
    report(
      'zombie',
      o,
      `${cycles.length} stop cycles (${cycles.map((c) => `A owned ${JSON.stringify(c.partitions)}, stopped ${c.stoppedMs} ms, ${c.fenced} fenced`).join('; ')}); ` +
        `A's fenced warnings (partition, error): ${fences.map((f) => `${f.partition} ${f.type}`).join(', ') || 'none'}; B's: ${count(b, FENCED)}; ${aborted} records of aborted transactions seen read_uncommitted; ` +
        `${total} records; ${Date.now() - startedAt} ms`,
    );
    const context = () => `${o.problems.slice(0, 30).join('\n')}\nreplica A:\n${tail(a)}\nreplica B:\n${tail(b, 30)}`;
    assert.equal(o.lost, 0, `lost records: ${context()}`);
    assert.equal(o.duplicates, 0, `duplicates from the zombie: ${context()}`);
    assert.equal(o.orderViolations, 0, `per-key order: ${context()}`);
    assert.equal(o.misplaced, 0, `misplaced records: ${context()}`);
    // The fencing path ran: the zombie tried to write a batch after the new owner's claim.
    assert.ok(
      fences.length > 0,
      `replica A was stopped inside a batch ${cycles.length} times and never logged "${FENCED}":\nreplica A:\n${tail(a)}`,
    );
  });

  it('at-least-once: three SIGKILLs mid-stream, nothing lost, duplicates only from uncommitted windows', async () => {
    const startedAt = Date.now();
    const { input, kills, total, rate } = await killThreeTimes('at-least-once');
    // One more copy per kill that found the record produced but not committed.
    const allowed = (seq: number) => {
      const p = seq % PARTITIONS;
      const offset = Math.floor(seq / PARTITIONS);
      return 1 + kills.filter((k) => k.committed[p]! <= offset && offset < k.end[p]!).length;
    };
    const o = await oracle(input, total, allowed, true);
    report(
      'at-least-once kill -9',
      o,
      `${total} records; backlog produce rate ${Math.round(rate)} records/s; ${Date.now() - startedAt} ms`,
    );
    const context = () => o.problems.slice(0, 30).join('\n');
    assert.equal(o.lost, 0, `lost records: ${context()}`);
    assert.ok(!o.problems.some((p) => p.includes('allowed')), `duplicates outside the uncommitted windows: ${context()}`);
    assert.equal(o.orderViolations, 0, `per-key order of first copies: ${context()}`);
    assert.equal(o.misplaced, 0, `misplaced records: ${context()}`);
  });
});
