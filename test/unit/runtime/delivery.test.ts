import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import kafkajs, { type Producer, type ProducerBatch } from 'kafkajs';
import type { BatchPlan, PlannedWrite } from '../../../src/pipeline/batch-plan.js';
import { AtLeastOnceDelivery, classifyWriteError, type CommitOffsets } from '../../../src/runtime/delivery.js';

// kafkajs's own error table and retrier, so the errors below have exactly the shape a send rejects with.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => kafkajs.KafkaJSProtocolError;
};
type Retrier = <T>(fn: (bail: (err: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;
// Not in kafkajs's type declarations, though index.js exports it.
const { KafkaJSConnectionClosedError } = require('kafkajs/src/errors.js') as {
  KafkaJSConnectionClosedError: new (message: string, at: { host: string; port: number }) => kafkajs.KafkaJSConnectionError;
};
const createRetry = require('kafkajs/src/retry/index.js') as (opts: {
  retries: number;
  initialRetryTime: number;
  maxRetryTime: number;
}) => Retrier;

const CODE = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  TOPIC_AUTHORIZATION_FAILED: 29,
  POLICY_VIOLATION: 44,
  INVALID_PRODUCER_EPOCH: 47,
  NOT_LEADER_FOR_PARTITION: 6,
} as const;

/**
 * What producer.sendBatch rejects with when every attempt fails with `error`: kafkajs's
 * sendMessages rethrows a retriable error (the retrier wraps it in KafkaJSNumberOfRetriesExceeded
 * once the retries are spent) and bails with a non-retriable one (rejected as is).
 */
async function sendBatchRejection(error: Error): Promise<unknown> {
  const retrier = createRetry({ retries: 2, initialRetryTime: 1, maxRetryTime: 2 });
  return retrier(async (bail) => {
    try {
      throw error;
    } catch (e) {
      if ((e as kafkajs.KafkaJSError).retriable) throw e;
      bail(e as Error);
    }
  }).then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

/** What a retrier rejects with when its function throws `error` (no bail): non-retriable errors come wrapped. */
async function retrierRejection(error: Error): Promise<unknown> {
  const retrier = createRetry({ retries: 1, initialRetryTime: 1, maxRetryTime: 2 });
  return retrier(async () => {
    throw error;
  }).then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('classifyWriteError', () => {
  it('sees the shapes kafkajs rejects with', async () => {
    const exceeded = await sendBatchRejection(createErrorFromCode(CODE.UNKNOWN_TOPIC_OR_PARTITION));
    assert.ok(exceeded instanceof kafkajs.KafkaJSNumberOfRetriesExceeded);
    assert.equal((exceeded.cause as kafkajs.KafkaJSProtocolError).type, 'UNKNOWN_TOPIC_OR_PARTITION');
    const wrapped = await retrierRejection(createErrorFromCode(CODE.POLICY_VIOLATION));
    assert.ok(wrapped instanceof kafkajs.KafkaJSNonRetriableError);
    assert.equal((wrapped as { type?: string }).type, undefined, 'the type is only on the cause');
    assert.equal((wrapped.cause as kafkajs.KafkaJSProtocolError).type, 'POLICY_VIOLATION');
  });

  it('MESSAGE_TOO_LARGE and RECORD_LIST_TOO_LARGE are too-large, however wrapped', async () => {
    for (const code of [CODE.MESSAGE_TOO_LARGE, CODE.RECORD_LIST_TOO_LARGE]) {
      const type = code === CODE.MESSAGE_TOO_LARGE ? 'MESSAGE_TOO_LARGE' : 'RECORD_LIST_TOO_LARGE';
      for (const err of [
        createErrorFromCode(code),
        await sendBatchRejection(createErrorFromCode(code)),
        await retrierRejection(createErrorFromCode(code)),
      ]) {
        const failure = classifyWriteError(err, 'fin.payments.v2');
        assert.equal(failure.kind, 'too-large');
        assert.equal(failure.type, type);
        assert.equal(failure.topic, 'fin.payments.v2');
        assert.equal(failure.cause, err);
      }
    }
  });

  it('TOPIC_AUTHORIZATION_FAILED and POLICY_VIOLATION are refused', async () => {
    for (const [code, type] of [
      [CODE.TOPIC_AUTHORIZATION_FAILED, 'TOPIC_AUTHORIZATION_FAILED'],
      [CODE.POLICY_VIOLATION, 'POLICY_VIOLATION'],
    ] as const) {
      for (const err of [
        createErrorFromCode(code),
        await sendBatchRejection(createErrorFromCode(code)),
        await retrierRejection(createErrorFromCode(code)),
      ]) {
        assert.deepEqual(classifyWriteError(err, 'fin.payments.dlq'), { kind: 'refused', topic: 'fin.payments.dlq', type, cause: err });
      }
    }
  });

  it('UNKNOWN_TOPIC_OR_PARTITION after the retries is refused (a deleted topic stays missing)', async () => {
    const err = await sendBatchRejection(createErrorFromCode(CODE.UNKNOWN_TOPIC_OR_PARTITION));
    const failure = classifyWriteError(err, 'fin.payments.dlq');
    assert.equal(failure.kind, 'refused');
    assert.equal(failure.type, 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(failure.topic, 'fin.payments.dlq');
  });

  it('a retriable broker error after the retries is unavailable', async () => {
    const failure = classifyWriteError(await sendBatchRejection(createErrorFromCode(CODE.NOT_LEADER_FOR_PARTITION)), 'fin.payments.v2');
    assert.equal(failure.kind, 'unavailable');
    assert.equal(failure.type, 'NOT_LEADER_FOR_PARTITION');
  });

  it('INVALID_PRODUCER_EPOCH is fenced, however wrapped', async () => {
    for (const err of [
      createErrorFromCode(CODE.INVALID_PRODUCER_EPOCH),
      await retrierRejection(createErrorFromCode(CODE.INVALID_PRODUCER_EPOCH)),
    ]) {
      const failure = classifyWriteError(err, undefined);
      assert.equal(failure.kind, 'fenced');
      assert.equal(failure.type, 'INVALID_PRODUCER_EPOCH');
      assert.equal(failure.topic, undefined);
    }
  });

  it('an error carrying code 90 (PRODUCER_FENCED) is fenced', async () => {
    const fenced = Object.assign(new kafkajs.KafkaJSProtocolError('Producer fenced'), { type: 'UNKNOWN', code: 90, retriable: false });
    for (const err of [fenced, await retrierRejection(fenced)]) {
      const failure = classifyWriteError(err, undefined);
      assert.equal(failure.kind, 'fenced');
      assert.equal(failure.type, 'PRODUCER_FENCED');
    }
  });

  it('code 90 as kafkajs reports it (createErrorFromCode(90)) is fenced', async () => {
    const err = await retrierRejection(createErrorFromCode(90));
    assert.equal(classifyWriteError(err, undefined).kind, 'fenced');
  });

  it('connection errors and request timeouts are unavailable', async () => {
    const connection = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: 'localhost:9092' });
    const closed = new KafkaJSConnectionClosedError('Closed connection', { host: 'localhost', port: 9092 });
    const timeout = new kafkajs.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', {
      broker: 'localhost:9092',
      clientId: 'dataprod',
      correlationId: 1,
      createdAt: 0,
      sentAt: 0,
      pendingDuration: 0,
    });
    for (const err of [connection, closed, timeout, await sendBatchRejection(connection), await sendBatchRejection(timeout)]) {
      const failure = classifyWriteError(err, 'fin.payments.v2');
      assert.equal(failure.kind, 'unavailable', `${(err as Error).name}: ${failure.type}`);
      assert.equal(failure.topic, 'fin.payments.v2');
      assert.equal(failure.cause, err);
    }
    assert.equal(classifyWriteError(connection, 't').type, 'KafkaJSConnectionError');
  });

  it('finds the broker error among an aggregate error', () => {
    const err = new kafkajs.KafkaJSAggregateError('2 errors', [new Error('x'), createErrorFromCode(CODE.TOPIC_AUTHORIZATION_FAILED)]);
    const failure = classifyWriteError(err, 'fin.payments.v2');
    assert.equal(failure.kind, 'refused');
    assert.equal(failure.type, 'TOPIC_AUTHORIZATION_FAILED');
  });

  it('anything else is unavailable', () => {
    assert.equal(classifyWriteError(new Error('boom'), undefined).kind, 'unavailable');
    assert.equal(classifyWriteError(undefined, undefined).kind, 'unavailable');
    assert.equal(classifyWriteError('a string', undefined).type, 'Error');
  });
});

const OUT = 'fin.payments.v2';
const DLQ = 'fin.payments.dlq';

function write(topic: string, source: number, bytes = 10): PlannedWrite {
  return { topic, record: { key: `${topic === DLQ ? 'd' : 'o'}${source}`, value: Buffer.from(String(source)) }, source, bytes };
}

/** A plan covering offsets 100 .. 100 + records - 1 of raw.payments partition 3. */
function plan(writes: PlannedWrite[], records: number): BatchPlan {
  return {
    topic: 'raw.payments',
    partition: 3,
    records,
    commitOffset: records > 0 ? String(100 + records) : undefined,
    writes,
    outputTopic: OUT,
    deadLetterTopic: DLQ,
    entries: [],
  };
}

/** A producer that records its sends and fails the ones `fail` returns an error for. */
function fakeProducer(fail: (send: number, topic: string) => Error | undefined = () => undefined) {
  const sends: { topic: string; keys: unknown[]; acks: number | undefined }[] = [];
  const producer = {
    async sendBatch(batch: ProducerBatch) {
      assert.equal(batch.topicMessages?.length, 1, 'one topic per send');
      const { topic, messages } = batch.topicMessages[0]!;
      sends.push({ topic, keys: messages.map((m) => m.key), acks: batch.acks });
      const err = fail(sends.length, topic);
      if (err) throw err;
      return [];
    },
  };
  return { producer: producer as unknown as Producer, sends };
}

function fakeCommit(error?: Error) {
  const calls: Parameters<CommitOffsets>[0][] = [];
  const commit: CommitOffsets = async (offsets) => {
    calls.push(offsets);
    if (error) throw error;
  };
  return { commit, calls };
}

describe('AtLeastOnceDelivery.deliver', () => {
  it('sends a chunk’s dead letters before its outputs, with acks from all replicas', async () => {
    const { producer, sends } = fakeProducer();
    const { commit } = fakeCommit();
    await new AtLeastOnceDelivery(producer, () => 1_000_000).deliver(
      plan([write(OUT, 0), write(DLQ, 1), write(OUT, 2), write(DLQ, 3)], 4),
      commit,
    );
    assert.deepEqual(sends, [
      { topic: DLQ, keys: ['d1', 'd3'], acks: -1 },
      { topic: OUT, keys: ['o0', 'o2'], acks: -1 },
    ]);
  });

  it('sends chunk by chunk, in order, within the budget', async () => {
    const { producer, sends } = fakeProducer();
    const { commit } = fakeCommit();
    await new AtLeastOnceDelivery(producer, () => 20).deliver(
      plan([write(OUT, 0), write(DLQ, 1), write(OUT, 2), write(OUT, 3)], 4),
      commit,
    );
    assert.deepEqual(
      sends.map((s) => [s.topic, s.keys]),
      [
        [DLQ, ['d1']],
        [OUT, ['o0']],
        [OUT, ['o2', 'o3']],
      ],
    );
  });

  it('all acknowledged: commits once, the plan’s commit offset', async () => {
    const { producer } = fakeProducer();
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 20).deliver(
      plan([write(OUT, 0), write(DLQ, 1), write(OUT, 2)], 3),
      commit,
    );
    assert.deepEqual(result, { acknowledged: 3, committed: true });
    assert.deepEqual(calls, [{ topics: [{ topic: 'raw.payments', partitions: [{ partition: 3, offset: '103' }] }] }]);
  });

  it('a failing second chunk: acknowledged up to that chunk’s first record, no commit', async () => {
    const tooLarge = createErrorFromCode(CODE.MESSAGE_TOO_LARGE);
    // Chunks of 20 bytes: [o0, o1] [o2, o3]; the third send (the second chunk's) fails.
    const { producer, sends } = fakeProducer((send) => (send === 2 ? tooLarge : undefined));
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 20).deliver(
      plan([write(OUT, 0), write(OUT, 1), write(OUT, 2), write(OUT, 3)], 4),
      commit,
    );
    assert.equal(result.acknowledged, 2);
    assert.equal(result.committed, false);
    assert.equal(result.commitError, undefined);
    assert.deepEqual(result.failure, { kind: 'too-large', topic: OUT, type: 'MESSAGE_TOO_LARGE', cause: tooLarge });
    assert.equal(calls.length, 0, 'no commit');
    assert.equal(sends.length, 2, 'nothing sent after the failure');
  });

  it('a record split across chunks is not acknowledged when the later chunk fails', async () => {
    // Record 1 has two outputs, one in each chunk: the second chunk starts at record 1.
    const { producer } = fakeProducer((send) => (send === 2 ? new kafkajs.KafkaJSConnectionError('down') : undefined));
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 20).deliver(
      plan([write(OUT, 0), write(OUT, 1), write(OUT, 1), write(OUT, 2)], 3),
      commit,
    );
    assert.equal(result.acknowledged, 1);
    assert.equal(result.failure?.kind, 'unavailable');
    assert.equal(calls.length, 0);
  });

  it('a refused dead-letter topic leaves the chunk’s outputs unwritten', async () => {
    const refused = createErrorFromCode(CODE.TOPIC_AUTHORIZATION_FAILED);
    const { producer, sends } = fakeProducer((_, topic) => (topic === DLQ ? refused : undefined));
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 1_000).deliver(plan([write(OUT, 0), write(DLQ, 1)], 2), commit);
    assert.deepEqual(result, {
      acknowledged: 0,
      committed: false,
      failure: { kind: 'refused', topic: DLQ, type: 'TOPIC_AUTHORIZATION_FAILED', cause: refused },
    });
    assert.deepEqual(
      sends.map((s) => s.topic),
      [DLQ],
    );
    assert.equal(calls.length, 0);
  });

  it('a failing commit: the writes stay acknowledged, the error is returned', async () => {
    const { producer } = fakeProducer();
    const boom = new Error('rebalance in progress');
    const { commit, calls } = fakeCommit(boom);
    const result = await new AtLeastOnceDelivery(producer, () => 1_000).deliver(plan([write(OUT, 0), write(DLQ, 1)], 2), commit);
    assert.deepEqual(result, { acknowledged: 2, committed: false, commitError: boom });
    assert.equal(calls.length, 1);
  });

  it('a plan with no writes still commits its offset (all filtered)', async () => {
    const { producer, sends } = fakeProducer();
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 1_000).deliver(plan([], 5), commit);
    assert.deepEqual(result, { acknowledged: 5, committed: true });
    assert.equal(sends.length, 0);
    assert.equal(calls.length, 1);
  });

  it('a plan covering nothing (blocked at its first record) sends and commits nothing', async () => {
    const { producer, sends } = fakeProducer();
    const { commit, calls } = fakeCommit();
    const result = await new AtLeastOnceDelivery(producer, () => 1_000).deliver(plan([], 0), commit);
    assert.deepEqual(result, { acknowledged: 0, committed: false });
    assert.equal(sends.length, 0);
    assert.equal(calls.length, 0);
  });
});
