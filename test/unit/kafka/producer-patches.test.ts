/**
 * patches/kafkajs+2.2.4.patch, the producer side: messages grouped per partition by appending
 * (the original copied the partition's array for every message), a produce request that finds the
 * first and last timestamp in one numeric pass and passes Record only the fields it reads, a
 * slicing-by-8 CRC32C, an Encoder (one per record) on pooled, unzeroed memory that writes varints
 * in place and small varlongs without Long objects, and murmur2 in 32-bit integer arithmetic. These run kafkajs's own patched modules against independent oracles: a
 * byte-at-a-time CRC32C, the record batch decoded back by kafkajs's own decoder, every message
 * counted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);

interface Message {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
  timestamp?: string;
  partition?: number;
}

const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
  topic: string;
  partitionMetadata: { partitionId: number }[];
  messages: Message[];
  partitioner: (args: { message: Message }) => number;
}) => Record<string, Message[]>;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;
const produceRequestV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: {
  acks: number;
  timeout: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: Message[] }[] }[];
}) => { encode: () => Promise<{ buffer: Buffer }> };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkaDecoder;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: KafkaDecoder) => Promise<{
  firstTimestamp: string;
  maxTimestamp: string;
  records: { key: Buffer; value: Buffer; headers: Record<string, Buffer>; timestamp: string; offset: string }[];
}>;
interface KafkaDecoder {
  readString(): string | null;
  readInt16(): number;
  readInt32(): number;
  offset: number;
  buffer: Buffer;
}

/** The CRC32C definition, one bit at a time (Castagnoli, reflected polynomial 0x82f63b78). */
function crc32CBitwise(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface KafkaEncoder {
  writeInt32(value: number): KafkaEncoder;
  writeBytes(value: Buffer): KafkaEncoder;
  writeVarInt(value: number): KafkaEncoder;
  writeVarLong(value: unknown): KafkaEncoder;
  buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as (new (initialSize?: number) => KafkaEncoder) & {
  sizeOfVarLong(value: unknown): number;
};
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: number): unknown };
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

describe('kafkajs producer (patched)', () => {
  it('encodes exactly the bytes written, across its buffer growing, though the buffer is not zeroed', () => {
    const encoder = new Encoder();
    const expected: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(i % 37);
      encoder.writeInt32(i);
      encoder.writeBytes(bytes);
      const frame = Buffer.alloc(8);
      frame.writeInt32BE(i, 0);
      frame.writeInt32BE(bytes.length, 4);
      expected.push(frame, bytes);
    }
    assert.deepEqual(encoder.buffer, Buffer.concat(expected));
  });

  it('groups every message into its partition, in send order', () => {
    const messages: Message[] = Array.from({ length: 5000 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: null,
      partition: (i * 7) % 6,
    }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: Array.from({ length: 6 }, (_, partitionId) => ({ partitionId })),
      messages,
      partitioner: ({ message }) => message.partition!,
    });
    assert.deepEqual(Object.keys(grouped).sort(), ['0', '1', '2', '3', '4', '5']);
    for (const [partition, group] of Object.entries(grouped)) {
      assert.deepEqual(
        group,
        messages.filter((m) => m.partition === Number(partition)),
        `partition ${partition}: same messages, same order`,
      );
    }
    assert.deepEqual(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 }), {});
  });

  it('writes varints in place and small varlongs without Long, byte for byte as before', () => {
    // Protocol Buffers' examples: 1 -> 01, 300 -> ac 02; zigzag: -1 -> 01, 150 -> ac 02.
    assert.deepEqual(new Encoder().writeVarInt(-1).buffer, Buffer.from([0x01]));
    assert.deepEqual(new Encoder().writeVarInt(150).buffer, Buffer.from([0xac, 0x02]));
    const values = [
      0,
      1,
      -1,
      63,
      64,
      -64,
      -65,
      8191,
      8192,
      2 ** 20,
      -(2 ** 20),
      2 ** 30 - 1,
      -(2 ** 30),
      2 ** 30,
      2 ** 31,
      -(2 ** 31),
      2 ** 40,
      -(2 ** 40),
      1_700_000_000_000,
    ];
    for (const v of values) {
      // A Long takes kafkajs's 64-bit path, a number in ±2^30 the 32-bit one: the same bytes.
      const viaLong = new Encoder().writeVarLong(Long.fromValue(v)).buffer;
      assert.deepEqual(new Encoder().writeVarLong(v).buffer, viaLong, `varlong ${v}`);
      assert.equal(Encoder.sizeOfVarLong(v), viaLong.length, `size of varlong ${v}`);
    }
    const many = new Encoder(1);
    for (let v = -5000; v <= 5000; v++) many.writeVarInt(v * 997);
    const decoder = new Decoder(many.buffer) as KafkaDecoder & { readVarInt(): number };
    for (let v = -5000; v <= 5000; v++) assert.equal(decoder.readVarInt(), v * 997);
  });

  it("partitions keys with Java's murmur2 (the values of Kafka's own UtilsTest)", () => {
    const java: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) {
      assert.equal(murmur2(key), hash, key);
      assert.equal(murmur2(Buffer.from(key)), hash, `${key} as bytes`);
    }
  });

  it('computes CRC32C as the definition does, for every length around the 8-byte steps', () => {
    assert.equal(crc32C(Buffer.from('123456789')), 0xe3069283, 'the standard check value');
    for (let length = 0; length <= 40; length++) {
      const buffer = randomBytes(length);
      assert.equal(crc32C(buffer), crc32CBitwise(buffer), `length ${length}`);
    }
    const big = randomBytes(300_001);
    assert.equal(crc32C(big), crc32CBitwise(big));
    assert.equal(crc32C(big.subarray(3)), crc32CBitwise(big.subarray(3)), 'a view at an unaligned offset');
  });

  it('encodes a produce request whose record batch decodes to every message, with its CRC and timestamps', async () => {
    // Timestamps out of order and of different lengths: as strings '999' sorts after '1000'.
    const timestamps = ['1700000000500', '999', '1700000000100', undefined, '1000'];
    const messages: Message[] = timestamps.map((timestamp, i) => ({
      key: Buffer.from(`key-${i}`),
      value: randomBytes(50 + i),
      headers: { h: Buffer.from(`header-${i}`) },
      ...(timestamp === undefined ? {} : { timestamp }),
    }));
    const before = Date.now();
    const request = produceRequestV3({
      acks: -1,
      timeout: 30000,
      topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages }] }],
    });
    const bytes = (await request.encode()).buffer;
    const after = Date.now();

    const decoder = new Decoder(bytes);
    assert.equal(decoder.readString(), null, 'no transactional id');
    assert.equal(decoder.readInt16(), -1);
    assert.equal(decoder.readInt32(), 30000);
    assert.equal(decoder.readInt32(), 1, 'one topic');
    assert.equal(decoder.readString(), 'orders');
    assert.equal(decoder.readInt32(), 1, 'one partition');
    assert.equal(decoder.readInt32(), 2);
    const size = decoder.readInt32();
    const batchBytes = bytes.subarray(decoder.offset, decoder.offset + size);
    // FirstOffset(8) Length(4) PartitionLeaderEpoch(4) Magic(1) CRC(4), then what the CRC covers.
    assert.equal(batchBytes.readUInt32BE(17), crc32CBitwise(batchBytes.subarray(21)), 'the batch CRC');

    const batch = await decodeRecordBatch(new Decoder(batchBytes));
    assert.equal(batch.firstTimestamp, '999', 'the smallest timestamp, compared as a number');
    assert.equal(batch.maxTimestamp, '1700000000500', 'the largest timestamp, compared as a number');
    assert.equal(batch.records.length, messages.length, 'every message, once');
    batch.records.forEach((record, i) => {
      assert.equal(record.offset, String(i));
      assert.deepEqual(record.key, messages[i]!.key);
      assert.deepEqual(record.value, messages[i]!.value);
      assert.deepEqual(record.headers, messages[i]!.headers);
      const timestamp = Number(record.timestamp);
      if (timestamps[i] === undefined) assert.ok(timestamp >= before && timestamp <= after, 'no timestamp: the time of the request');
      else assert.equal(record.timestamp, timestamps[i]);
    });
  });
});
