import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { Decimal } from '../../../src/contracts/decimal.js';
import { avroType } from '../../../src/contracts/logical-types.js';
import type { AvroSchema, InputPort, ProductDescriptor, QualityRule } from '../../../src/product/types.js';
import { SchemaCache, StaticSchemaSource } from '../../../src/contracts/schema-cache.js';
import { frame } from '../../../src/contracts/wire.js';
import { deadLetterMessage, DLQ_HEADER } from '../../../src/pipeline/dead-letter.js';
import { ProductProcessor, type Outcome, type SourceRecord } from '../../../src/pipeline/processor.js';
import { defineTransform, type TransformFn } from '../../../src/transform.js';

const readerSchema = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'currency', type: ['null', 'string'], default: null },
  ],
};
// A newer upstream version: adds a field with a default, which the reader simply skips.
const writerV2 = { ...readerSchema, fields: [...readerSchema.fields, { name: 'channel', type: 'string', default: 'web' }] };
// Breaks the contract: `amount` became a string.
const incompatible = {
  ...readerSchema,
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'string' },
  ],
};
const outputSchema = {
  type: 'record',
  name: 'PaymentOut',
  fields: [
    { name: 'payment_id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};

function product(
  overrides: {
    onInvalid?: InputPort['onInvalid'];
    quality?: QualityRule[];
    reader?: AvroSchema;
    output?: AvroSchema;
    longs?: 'number' | 'bigint';
  } = {},
): ProductDescriptor {
  const descriptor: Omit<ProductDescriptor, 'output'> = {
    dir: '/p',
    file: '/p/product.yaml',
    id: 'fin.payments',
    name: 'payments',
    domain: 'fin',
    version: '2.1.0',
    major: 2,
    status: 'active',
    description: {},
    team: { name: 'fin', members: [] },
    support: [],
    inputPorts: [
      {
        name: 'payments',
        topic: 'raw.payments',
        contract: {
          subject: 'raw.payments-value',
          schemaFile: '/p/schemas/in.avsc',
          schema: overrides.reader ?? readerSchema,
          constraints: [{ name: 'currency-iso', property: 'currency', check: { op: 'mustMatch', value: '^[A-Z]{3}$' } }],
        },
        onInvalid: overrides.onInvalid ?? 'dlq',
      },
    ],
    transformFile: '/p/transform.ts',
    outputPorts: [
      {
        name: 'payments',
        topic: 'fin.payments.v2',
        subject: 'fin.payments.v2-value',
        key: 'payment_id',
        schemaFile: '/p/schemas/out.avsc',
        schema: overrides.output ?? outputSchema,
        compatibility: 'BACKWARD_TRANSITIVE',
        classification: {},
      },
    ],
    deadLetter: { topic: 'fin.payments.dlq' },
    quality: overrides.quality ?? [
      {
        name: 'amount-non-negative',
        port: 'payments',
        property: 'amount',
        check: { op: 'mustBeGreaterOrEqualTo', value: 0 },
        onFailure: 'dlq',
      },
    ],
    slaProperties: [],
    consumerGroup: 'dataprod.fin.payments.v2',
    majorId: 'fin.payments.v2',
    delivery: 'at-least-once',
    longs: overrides.longs ?? 'number',
  };
  return { ...descriptor, output: descriptor.outputPorts[0]! };
}

const toCents: TransformFn<{ id: string; amount: number }, unknown> = (event) =>
  event.id === 'skip' ? null : { payment_id: event.id, cents: Math.round(event.amount * 100) };

async function schemaCache(): Promise<SchemaCache> {
  const cache = new SchemaCache(
    new StaticSchemaSource(
      new Map<number, unknown>([
        [1, readerSchema],
        [2, writerV2],
        [3, incompatible],
      ]) as never,
    ),
    new Map([['payments', readerSchema]]),
  );
  await cache.fetch([1, 2, 3, 404]);
  return cache;
}

async function processorFor(
  fn: TransformFn<never, unknown> = toCents as TransformFn<never, unknown>,
  p = product(),
  maxOutputBytes = 1_000_000,
) {
  return new ProductProcessor(p, defineTransform(fn), await schemaCache(), { outputSchemaId: 77, maxOutputBytes });
}

function record(value: Buffer | null, key = 'k1'): SourceRecord {
  return {
    topic: 'raw.payments',
    partition: 3,
    offset: '41',
    timestamp: '1700000000000',
    key: Buffer.from(key),
    value,
    headers: { trace: Buffer.from('t-1') },
  };
}

const encode = (schema: object, value: object, id: number) => frame(id, avsc.Type.forSchema(schema as avsc.Schema).toBuffer(value));
const payment = (id: string, amount: number, currency: string | null = 'EUR') => encode(readerSchema, { id, amount, currency }, 1);

function reasonOf(outcome: Outcome): string {
  assert.equal(outcome.kind, 'dead-lettered', `expected a dead-letter, got ${JSON.stringify(outcome)}`);
  return (outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error.reason;
}

describe('ProductProcessor', () => {
  it('publishes the transformed event, framed with the output schema id and keyed by the key field', async () => {
    const outcome = (await processorFor()).process(record(payment('p-1', 12.34)));
    assert.equal(outcome.kind, 'published');
    const [out] = (outcome as Extract<Outcome, { kind: 'published' }>).outputs;
    assert.equal(out!.key, 'p-1');
    assert.equal(out!.value.readUInt32BE(1), 77);
    assert.deepEqual(
      { ...(avsc.Type.forSchema(outputSchema as avsc.Schema).fromBuffer(out!.value.subarray(5)) as object) },
      { payment_id: 'p-1', cents: 1234 },
    );
  });

  it('reads a newer compatible writer schema through the reader schema', async () => {
    const outcome = (await processorFor()).process(record(encode(writerV2, { id: 'p-2', amount: 1, currency: 'USD', channel: 'app' }, 2)));
    assert.equal(outcome.kind, 'published');
  });

  it('dead-letters each kind of bad input with its reason', async () => {
    const p = await processorFor();
    assert.equal(reasonOf(p.process(record(Buffer.from('not avro')))), 'not-avro');
    assert.equal(reasonOf(p.process(record(Buffer.from([0, 0])))), 'truncated-frame');
    assert.equal(reasonOf(p.process(record(null))), 'tombstone');
    assert.equal(reasonOf(p.process(record(encode(readerSchema, { id: 'x', amount: 1, currency: null }, 404)))), 'unknown-schema-id');
    assert.equal(reasonOf(p.process(record(encode(incompatible, { id: 'x', amount: 'lots' }, 3)))), 'incompatible-writer-schema');
    assert.equal(reasonOf(p.process(record(frame(1, Buffer.from([0xff, 0xff, 0xff]))))), 'avro-decode');
    assert.equal(reasonOf(p.process(record(Buffer.concat([payment('p', 1), Buffer.from([1])])))), 'avro-decode', 'trailing bytes');
  });

  it('names the rule and field of a contract or quality failure', async () => {
    const p = await processorFor();
    const contract = p.process(record(payment('p', 1, 'euro')));
    assert.deepEqual((contract as Extract<Outcome, { kind: 'dead-lettered' }>).error, {
      reason: 'contract',
      stage: 'contract',
      rule: 'currency-iso',
      field: 'currency',
      schemaId: 1,
    });
    const quality = p.process(record(payment('p', -1)));
    assert.deepEqual((quality as Extract<Outcome, { kind: 'dead-lettered' }>).error, {
      reason: 'quality',
      stage: 'quality',
      rule: 'amount-non-negative',
      field: 'amount',
      schemaId: 1,
    });
  });

  it('applies onFailure drop and warn of quality rules', async () => {
    const rule = (onFailure: 'drop' | 'warn'): QualityRule => ({
      name: 'positive',
      port: 'payments',
      property: 'amount',
      check: { op: 'mustBeGreaterThan', value: 0 },
      onFailure,
    });
    const dropped = (await processorFor(undefined, product({ quality: [rule('drop')] }))).process(record(payment('p', -1)));
    assert.equal(dropped.kind, 'filtered');
    assert.equal((dropped as Extract<Outcome, { kind: 'filtered' }>).by, 'rule');
    const warned = (await processorFor(undefined, product({ quality: [rule('warn')] }))).process(record(payment('p', -1)));
    assert.equal(warned.kind, 'published');
    assert.deepEqual((warned as Extract<Outcome, { kind: 'published' }>).warnings, ['positive']);
  });

  it('follows onInvalid: drop filters, fail stops', async () => {
    const dropped = (await processorFor(undefined, product({ onInvalid: 'drop' }))).process(record(Buffer.from('junk')));
    assert.equal(dropped.kind, 'filtered');
    assert.equal((dropped as Extract<Outcome, { kind: 'filtered' }>).error?.reason, 'not-avro');
    const failed = (await processorFor(undefined, product({ onInvalid: 'fail' }))).process(record(Buffer.from('junk')));
    assert.equal(failed.kind, 'fail');
  });

  it('filters on null and dead-letters a throwing, async or schema-breaking transform', async () => {
    assert.equal((await processorFor()).process(record(payment('skip', 1))).kind, 'filtered');
    const throwing = await processorFor(() => {
      throw new Error('boom');
    });
    assert.equal(reasonOf(throwing.process(record(payment('p', 1)))), 'transform');
    const asyncFn = await processorFor((async () => ({ payment_id: 'p', cents: 1 })) as never);
    assert.equal(reasonOf(asyncFn.process(record(payment('p', 1)))), 'transform');
    const bad = await processorFor(() => ({ payment_id: 'p', cents: 'many' }));
    const outcome = bad.process(record(payment('p', 1)));
    assert.equal(reasonOf(outcome), 'output-schema');
    assert.equal((outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error.field, 'cents');
  });

  it('publishes several outputs from one event, and dead-letters outputs above the size limit', async () => {
    const many = await processorFor(() => [
      { payment_id: 'a', cents: 1 },
      { payment_id: 'b', cents: 2 },
    ]);
    const outcome = many.process(record(payment('p', 1)));
    assert.deepEqual(
      (outcome as Extract<Outcome, { kind: 'published' }>).outputs.map((o) => o.key),
      ['a', 'b'],
    );
    const big = await processorFor(() => ({ payment_id: 'x'.repeat(100), cents: 1 }), product(), 50);
    assert.equal(reasonOf(big.process(record(payment('p', 1)))), 'too-large');
  });

  it('encodes valid outputs to the bytes toBuffer gives and names the field of every invalid one', async () => {
    // The processor encodes without validating first and validates only when avsc's writer throws;
    // this checks, over a schema with every kind of type, that the two agree on what is valid.
    const wide = {
      type: 'record',
      name: 'Wide',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'n', type: 'int' },
        { name: 'big', type: 'long' },
        { name: 'ratio', type: 'float' },
        { name: 'flag', type: 'boolean' },
        { name: 'state', type: { type: 'enum', name: 'State', symbols: ['NEW', 'DONE'] } },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'attrs', type: { type: 'map', values: 'long' } },
        { name: 'raw', type: 'bytes' },
        { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 2 } },
        {
          name: 'where',
          type: {
            type: 'record',
            name: 'Where',
            fields: [
              { name: 'city', type: 'string' },
              { name: 'zip', type: ['null', 'int'] },
            ],
          },
        },
        { name: 'extra', type: 'string', default: 'x' },
      ],
    };
    const valid = {
      id: 'a',
      n: 1,
      big: 2 ** 40,
      ratio: 0.5,
      flag: true,
      state: 'NEW',
      note: null,
      tags: ['t'],
      attrs: { k: 1 },
      raw: Buffer.from([1]),
      hash: Buffer.from([1, 2]),
      where: { city: 'Oslo', zip: 1234 },
      extra: 'e',
    };
    const invalid: [string, Record<string, unknown>][] = [
      ['id', { id: 1 }],
      ['id', { id: undefined }],
      ['n', { n: 1.5 }],
      ['n', { n: 2 ** 31 }],
      ['n', { n: '1' }],
      ['big', { big: 0.5 }],
      ['big', { big: 2 ** 60 }],
      ['ratio', { ratio: 'x' }],
      ['flag', { flag: 1 }],
      ['state', { state: 'OLD' }],
      ['note', { note: 5 }],
      ['tags', { tags: 't' }],
      ['tags.0', { tags: [1] }],
      ['attrs', { attrs: [] }],
      ['attrs.k', { attrs: { k: 'v' } }],
      ['raw', { raw: 'bytes' }],
      ['hash', { hash: Buffer.from([1]) }],
      ['where', { where: null }],
      ['where.city', { where: { zip: null } }],
      ['where.zip', { where: { city: 'c', zip: 'z' } }],
      ['extra', { extra: null }],
    ];
    const type = avsc.Type.forSchema(wide as avsc.Schema);
    const cache = await schemaCache();
    const wideOutput = { ...product().output, key: 'id', schema: wide };
    const wideProduct: ProductDescriptor = { ...product(), outputPorts: [wideOutput], output: wideOutput };
    const produce = (out: unknown) =>
      new ProductProcessor(
        wideProduct,
        defineTransform(() => out),
        cache,
        { outputSchemaId: 9, maxOutputBytes: 1e6 },
      ).process(record(payment('p', 1)));
    for (const out of [valid, { ...valid, note: 'n', where: { city: 'c', zip: null } }, { ...valid, extra: undefined }]) {
      const outcome = produce(out);
      assert.equal(outcome.kind, 'published', JSON.stringify(outcome));
      const value = (outcome as Extract<Outcome, { kind: 'published' }>).outputs[0]!.value;
      assert.deepEqual(value, frame(9, type.toBuffer(out)));
    }
    for (const [field, change] of invalid) {
      const out = { ...valid, ...change };
      assert.equal(type.isValid(out), false, `${field}: avsc calls it valid`);
      const outcome = produce(out);
      assert.equal(reasonOf(outcome), 'output-schema', field);
      assert.equal((outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error.field, field);
    }
    assert.equal((produce(42) as Extract<Outcome, { kind: 'dead-lettered' }>).error.field, '(root)');
  });

  it('gives the transform its context', async () => {
    let seen: unknown;
    const p = await processorFor((_e, ctx) => {
      seen = {
        port: ctx.port,
        key: ctx.key,
        headers: ctx.headers,
        topic: ctx.topic,
        partition: ctx.partition,
        offset: ctx.offset,
        timestamp: ctx.timestamp,
      };
      return null;
    });
    p.process(record(payment('p', 1)));
    assert.deepEqual(seen, {
      port: 'payments',
      key: 'k1',
      headers: { trace: 't-1' },
      topic: 'raw.payments',
      partition: 3,
      offset: '41',
      timestamp: 1700000000000,
    });
  });

  it('asks for the writer schema when it is not cached yet', async () => {
    const cache = new SchemaCache(new StaticSchemaSource(new Map()), new Map([['payments', readerSchema]]));
    const p = new ProductProcessor(product(), defineTransform(toCents), cache, { outputSchemaId: 1, maxOutputBytes: 1e6 });
    assert.deepEqual(p.process(record(payment('p', 1))), { kind: 'needs-schema', schemaId: 1 });
  });
});

describe('dead-letter records', () => {
  it('keep the original bytes and headers and add codes and positions only', () => {
    const value = Buffer.from('garbage');
    const msg = deadLetterMessage(
      record(value),
      { reason: 'quality', stage: 'quality', rule: 'r', field: 'amount', schemaId: 1, detail: 'amount was -5' },
      product(),
    );
    assert.equal(msg.value, value);
    assert.deepEqual(msg.key, Buffer.from('k1'));
    assert.deepEqual(msg.headers.trace, Buffer.from('t-1'));
    assert.equal(msg.headers[DLQ_HEADER.reason], 'quality');
    assert.equal(msg.headers[DLQ_HEADER.stage], 'quality');
    assert.equal(msg.headers[DLQ_HEADER.rule], 'r');
    assert.equal(msg.headers[DLQ_HEADER.field], 'amount');
    assert.equal(msg.headers[DLQ_HEADER.topic], 'raw.payments');
    assert.equal(msg.headers[DLQ_HEADER.partition], '3');
    assert.equal(msg.headers[DLQ_HEADER.offset], '41');
    assert.equal(msg.headers[DLQ_HEADER.timestamp], '1700000000000');
    assert.equal(msg.headers[DLQ_HEADER.product], 'fin.payments');
    assert.equal(msg.headers[DLQ_HEADER.version], '2.1.0');
    assert.equal(msg.headers[DLQ_HEADER.schemaId], '1');
    assert.ok(!JSON.stringify(msg.headers).includes('-5'), 'the detail (which may quote data) stays out');
  });

  it('replace the dataprod.* headers of a replayed dead letter instead of keeping stale ones', () => {
    const replayed = {
      ...record(Buffer.from('x')),
      headers: { [DLQ_HEADER.rule]: Buffer.from('old-rule'), [DLQ_HEADER.reason]: Buffer.from('quality'), keep: Buffer.from('me') },
    };
    const msg = deadLetterMessage(replayed, { reason: 'not-avro', stage: 'decode' }, product());
    assert.equal(msg.headers[DLQ_HEADER.reason], 'not-avro');
    assert.equal(msg.headers[DLQ_HEADER.rule], undefined);
    assert.deepEqual(msg.headers.keep, Buffer.from('me'));
  });
});

describe('ProductProcessor: logical types and longs', () => {
  const decimal = { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 };
  const reader = {
    type: 'record',
    name: 'Payment',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'amount', type: decimal },
      { name: 'seq', type: 'long' },
    ],
  };
  const stringAmount = {
    ...reader,
    fields: [
      { name: 'id', type: 'string' },
      { name: 'amount', type: 'string' },
      { name: 'seq', type: 'long' },
    ],
  };
  const output = {
    type: 'record',
    name: 'Out',
    fields: [
      { name: 'payment_id', type: 'string' },
      { name: 'amount', type: decimal },
      { name: 'seq', type: 'long' },
    ],
  };
  const quality: QualityRule[] = [
    {
      name: 'amount-non-negative',
      port: 'payments',
      property: 'amount',
      check: { op: 'mustBeGreaterOrEqualTo', value: 0 },
      onFailure: 'dlq',
    },
    { name: 'amount-not-huge', port: 'payments', property: 'amount', check: { op: 'mustBeLessThan', value: 0.3 }, onFailure: 'drop' },
  ];
  type Payment = { id: string; amount: unknown; seq: number | bigint };
  const passThrough: TransformFn<Payment, unknown> = (e) => ({ payment_id: e.id, amount: e.amount, seq: e.seq });

  async function processor(longs: 'number' | 'bigint' = 'number', fn: TransformFn<Payment, unknown> = passThrough) {
    const cache = new SchemaCache(
      new StaticSchemaSource(
        new Map<number, unknown>([
          [1, reader],
          [2, stringAmount],
        ]) as never,
      ),
      new Map([['payments', reader]]),
      longs,
    );
    await cache.fetch([1, 2]);
    const p = product({ reader, output, longs, quality, onInvalid: 'dlq' });
    return new ProductProcessor(
      { ...p, inputPorts: [{ ...p.inputPorts[0]!, contract: { ...p.inputPorts[0]!.contract, constraints: [] } }] },
      defineTransform(fn as never),
      cache,
      {
        outputSchemaId: 9,
        maxOutputBytes: 1e6,
      },
    );
  }
  const bigintWriter = avroType(reader, 'bigint');
  const input = (amount: string, seq: bigint | number = 1n, schemaId = 1) =>
    record(frame(schemaId, (schemaId === 1 ? bigintWriter : avroType(stringAmount, 'bigint')).toBuffer({ id: 'p', amount, seq })));
  const outputType = avroType(output);

  it('gives the transform an exact Decimal and publishes the same digits', async () => {
    const p = await processor();
    for (const amount of ['0.29', '0.00', '0.01']) {
      const outcome = p.process(input(amount));
      assert.equal(outcome.kind, 'published', amount);
      const published = outputType.fromBuffer((outcome as Extract<Outcome, { kind: 'published' }>).outputs[0]!.value.subarray(5)) as {
        amount: Decimal;
      };
      assert.ok(published.amount instanceof Decimal);
      assert.equal(published.amount.toString(), amount);
    }
  });

  it('applies numeric rules to decimals exactly (0.30 is not below 0.3; -0.01 is below 0)', async () => {
    const p = await processor();
    assert.equal(reasonOf(p.process(input('-0.01'))), 'quality');
    const filtered = p.process(input('0.30'));
    assert.equal(filtered.kind, 'filtered');
    assert.equal(p.process(input('0.29')).kind, 'published');
  });

  it('dead-letters a string-amount writer as incompatible-writer-schema naming amount, before the transform runs', async () => {
    let calls = 0;
    const p = await processor('number', (e) => (calls++, passThrough(e, undefined as never)));
    const outcome = p.process(input('12.34', 1n, 2));
    assert.equal(reasonOf(outcome), 'incompatible-writer-schema');
    assert.equal((outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error.field, 'amount');
    assert.equal(calls, 0);
    const headers = deadLetterMessage(
      input('12.34', 1n, 2),
      (outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error,
      product(),
    ).headers;
    assert.equal(headers[DLQ_HEADER.field], 'amount');
  });

  it('dead-letters a long beyond 2^53 as avro-decode, naming the field and rule long-precision', async () => {
    const outcome = (await processor()).process(input('1.00', 2n ** 60n));
    assert.equal(reasonOf(outcome), 'avro-decode');
    const error = (outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error;
    const headers = deadLetterMessage(input('1.00', 2n ** 60n), error, product()).headers;
    assert.deepEqual([headers[DLQ_HEADER.field], headers[DLQ_HEADER.rule]], ['seq', 'long-precision']);
  });

  it('with longs: bigint, reads and publishes 2^60 exactly', async () => {
    const outcome = (await processor('bigint')).process(input('0.10', 2n ** 60n));
    assert.equal(outcome.kind, 'published');
    const published = avroType(output, 'bigint').fromBuffer(
      (outcome as Extract<Outcome, { kind: 'published' }>).outputs[0]!.value.subarray(5),
    ) as { seq: bigint };
    assert.equal(published.seq, 2n ** 60n);
  });

  it('dead-letters an output decimal with more digits than its scale as output-schema naming the field', async () => {
    const outcome = (await processor('number', (e) => ({ ...(passThrough(e, undefined as never) as object), amount: '0.291' }))).process(
      input('0.29'),
    );
    assert.equal(reasonOf(outcome), 'output-schema');
    assert.equal((outcome as Extract<Outcome, { kind: 'dead-lettered' }>).error.field, 'amount');
  });
});
