/**
 * The stack is real: a registry that assigns and serves ids, a broker that assigns offsets and
 * timestamps, and bytes that independent clients (kcat, Confluent's Python client) read back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer, type RecordMetadata } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Stack } from '../../src/devstack/index.js';
import { testStack, uniqueName } from '../support/stack.js';
import { runPythonScript } from '../support/python-clients.js';
import { requireTool } from '../support/tools.js';

const exec = promisify(execFile);

const schema = {
  type: 'record',
  name: 'SmokeEvent',
  namespace: 'dataprod.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'amount', type: ['null', 'double'], default: null },
  ],
};

interface Sent {
  key: string;
  partition: number;
  value: { id: number; name: string; amount: number | null };
  bytes: Buffer;
  offset: string;
  timestamp: string;
}

describe('devstack smoke: real Kafka and registry', () => {
  let stack: Stack;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registry: SchemaRegistry;
  const topic = uniqueName('smoke');
  const subject = `${topic}-value`;
  let schemaId: number;
  const sent: Sent[] = [];
  let producedAfterMs = 0;
  let producedBeforeMs = 0;

  before(async () => {
    stack = await testStack();
    kafka = new Kafka({ clientId: 'smoke', brokers: stack.brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    // LogAppendTime: the broker stamps each record, so a timestamp we read back proves a broker wrote it.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }],
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    registry = new SchemaRegistry({ host: stack.schemaRegistryUrl });
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('registers a schema and the registry serves it back by its assigned id', async () => {
    ({ id: schemaId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject }));
    assert.ok(Number.isInteger(schemaId) && schemaId > 0, `registry-assigned id, got ${schemaId}`);

    const byId = (await (await fetch(`${stack.schemaRegistryUrl}/schemas/ids/${schemaId}`)).json()) as { schema: string };
    assert.deepEqual(JSON.parse(byId.schema), schema);
    const latest = (await (await fetch(`${stack.schemaRegistryUrl}/subjects/${subject}/versions/latest`)).json()) as {
      id: number;
      version: number;
    };
    assert.equal(latest.id, schemaId);
    assert.equal(latest.version, 1);

    // Registering the same schema again is idempotent: same id, no new version.
    const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    assert.equal(again.id, schemaId);
  });

  it('produces Confluent-framed records that the broker stores with offsets and timestamps', async () => {
    producedBeforeMs = Date.now();
    for (let i = 0; i < 9; i++) {
      const value = { id: i, name: `event-${i}`, amount: i % 3 === 0 ? null : i * 1.5 };
      const bytes = await registry.encode(schemaId, value);
      const partition = i % 3;
      const [meta] = (await producer.send({
        topic,
        acks: -1,
        messages: [{ key: `k${i}`, value: bytes, partition, headers: { seq: String(i) } }],
      })) as [RecordMetadata];
      assert.equal(meta.partition, partition);
      sent.push({ key: `k${i}`, partition, value, bytes, offset: meta.baseOffset!, timestamp: meta.logAppendTime! });
    }
    producedAfterMs = Date.now();

    // Offsets are per partition and dense: three records each at 0, 1, 2.
    for (const p of [0, 1, 2]) {
      assert.deepEqual(
        sent.filter((s) => s.partition === p).map((s) => s.offset),
        ['0', '1', '2'],
      );
    }
    for (const s of sent) {
      assert.equal(s.bytes[0], 0, 'magic byte');
      assert.equal(s.bytes.readUInt32BE(1), schemaId, 'schema id in the frame');
      const ts = Number(s.timestamp);
      assert.ok(ts >= producedBeforeMs - 1000 && ts <= producedAfterMs + 1000, `broker timestamp ${ts} within the produce window`);
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(offsets.map((o) => [o.partition, o.high]).sort(), [
      [0, '3'],
      [1, '3'],
      [2, '3'],
    ]);
  });

  it('consumes and decodes them with kafkajs', async () => {
    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { partition: number; offset: string; timestamp: string; key: string; value: unknown; seq: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            received.push({
              partition,
              offset: message.offset,
              timestamp: message.timestamp,
              key: message.key!.toString(),
              value: { ...(await registry.decode(message.value!)) },
              seq: message.headers!.seq!.toString(),
            });
            if (received.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    for (const s of sent) {
      const r = received.find((x) => x.key === s.key);
      assert.ok(r, `received ${s.key}`);
      assert.equal(r.partition, s.partition);
      assert.equal(r.offset, s.offset);
      assert.equal(r.timestamp, s.timestamp);
      assert.deepEqual(r.value, s.value);
      assert.equal(r.seq, String(s.value.id));
    }
  });

  it('kcat reads the same raw bytes, offsets, timestamps and headers', async () => {
    requireTool('kcat');
    const { stdout } = await exec('kcat', [
      '-C',
      '-b',
      stack.brokers.join(','),
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%p %o %T %k %S %h\\n',
    ]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    assert.equal(lines.length, sent.length);
    for (const s of sent) {
      const line = lines.find((l) => l[3] === s.key);
      assert.ok(line, `kcat saw ${s.key}`);
      assert.deepEqual(line, [String(s.partition), s.offset, s.timestamp, s.key, String(s.bytes.length), `seq=${s.value.id}`]);
    }
    // The payload itself, byte for byte, for one record per partition.
    for (const p of [0, 1, 2]) {
      const s = sent.find((x) => x.partition === p && x.offset === '1')!;
      const { stdout: raw } = await exec(
        'kcat',
        ['-C', '-b', stack.brokers.join(','), '-t', topic, '-p', String(p), '-o', '1', '-c', '1', '-e', '-q', '-f', '%s'],
        { encoding: 'buffer' },
      );
      assert.deepEqual(raw, s.bytes);
    }
  });

  it("Confluent's Python client decodes them through the registry", async () => {
    const records = await runPythonScript<{
      partition: number;
      offset: number;
      timestamp: number;
      key: string;
      schemaId: number;
      value: Sent['value'];
      headers: Record<string, string>;
    }>('confluent_read.py', [stack.brokers.join(','), stack.schemaRegistryUrl, topic, String(sent.length), '60']);
    assert.equal(records.length, sent.length);
    for (const s of sent) {
      const r = records.find((x) => x.key === s.key);
      assert.ok(r, `python client saw ${s.key}`);
      assert.equal(r.schemaId, schemaId);
      assert.equal(String(r.offset), s.offset);
      assert.equal(String(r.timestamp), s.timestamp);
      assert.deepEqual(r.value, s.value);
      assert.deepEqual(r.headers, { seq: String(s.value.id) });
    }
  });
});
