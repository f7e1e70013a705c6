import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { KafkaMessage } from '../../../src/kafka/client.js';
import { DEAD_LETTERED, FILTERED, PUBLISHED, type BatchDecision } from '../../../src/pipeline/batch.js';
import { packDecision, packRecords, unpackDecision, unpackRecords } from '../../../src/runtime/batch-transfer.js';

/** Sends through a real MessagePort with the transfer list, as the processing thread does. */
function across<T>(value: T, transfer: ArrayBuffer[]): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(value, transfer);
  const received = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return received;
}

function message(offset: number, key: Buffer | null, value: Buffer | null, headers?: KafkaMessage['headers']): KafkaMessage {
  return { offset: String(offset), timestamp: String(1_700_000_000_000 + offset), key, value, headers, attributes: 0 } as KafkaMessage;
}

describe('batch transfer between threads', () => {
  it('moves records with keys, values, nulls and headers through a message port intact', () => {
    // kafkajs gives views into one fetch response: make these views into one shared buffer too.
    const response = Buffer.from('....key-1value-1....key-2....');
    const messages = [
      message(10, response.subarray(4, 9), response.subarray(9, 16), { trace: Buffer.from('t-1'), kind: 'text' }),
      message(11, null, response.subarray(20, 25)),
      message(13, response.subarray(20, 25), null, { dup: [Buffer.from('a'), Buffer.from('b')], empty: Buffer.alloc(0) }),
      message(14, Buffer.alloc(0), Buffer.alloc(0), {}),
    ];
    const packed = packRecords(messages);
    const sent = across(packed, [packed.bytes.buffer as ArrayBuffer, packed.table.buffer as ArrayBuffer]);
    assert.equal(packed.bytes.byteLength, 0, 'the bytes were moved, not copied');
    const records = unpackRecords(sent, 'raw.orders', 2);
    assert.equal(records.length, 4);
    records.forEach((r, i) => {
      const m = messages[i]!;
      assert.equal(r.topic, 'raw.orders');
      assert.equal(r.partition, 2);
      assert.equal(r.offset, m.offset);
      assert.equal(r.timestamp, m.timestamp);
      assert.deepEqual(r.key, m.key);
      assert.deepEqual(r.value, m.value);
    });
    assert.deepEqual(records[0]!.headers, { trace: Buffer.from('t-1'), kind: 'text' });
    assert.deepEqual(records[1]!.headers, {});
    assert.deepEqual(records[2]!.headers, { dup: [Buffer.from('a'), Buffer.from('b')], empty: Buffer.alloc(0) });
    assert.deepEqual(records[3]!.headers, {});
  });

  it('moves a decision through a message port intact', () => {
    const chunk = Buffer.from('xxframe-aframe-bbyy');
    const decision: BatchDecision = {
      decided: 4,
      outcomes: new Uint8Array([PUBLISHED, FILTERED, DEAD_LETTERED, PUBLISHED, 9]).subarray(0, 4),
      outputs: [
        { key: 'k-1', value: chunk.subarray(2, 9) },
        { key: null, value: chunk.subarray(9, 17) },
        { key: Buffer.from([1, 2]), value: Buffer.alloc(0) },
      ],
      eventTimes: [1, 2],
      errors: [[1, { reason: 'contract', stage: 'contract', rule: 'r', field: 'f' }], [2, { reason: 'transform', stage: 'transform' }]],
      warnings: [[0, 'w']],
      stop: { kind: 'fail', index: 4, error: { reason: 'not-avro', stage: 'decode' } },
    };
    const { packed, transfer } = packDecision(decision);
    const back = unpackDecision(across(packed, transfer));
    assert.deepEqual([...back.outcomes], [PUBLISHED, FILTERED, DEAD_LETTERED, PUBLISHED]);
    assert.deepEqual(back.outputs, [
      { key: 'k-1', value: Buffer.from('frame-a') },
      { key: null, value: Buffer.from('frame-bb') },
      { key: Buffer.from([1, 2]), value: Buffer.alloc(0) },
    ]);
    const { outcomes: _o, outputs: _out, ...rest } = decision;
    const { outcomes: _o2, outputs: _out2, ...restBack } = back;
    assert.deepEqual(restBack, rest);
  });
});
