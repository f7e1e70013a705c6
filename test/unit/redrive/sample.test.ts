import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { frame } from '../../../src/contracts/wire.js';
import { classifiedNames, maskValue, MASK, renderSample } from '../../../src/redrive/sample.js';
import { deadLetter, product, source } from './fixtures.js';

const CANARY = 'canary-4f1e@pii.invalid';
const schema = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'payment_id', type: 'string' },
    { name: 'card_holder', type: 'string' },
    { name: 'note', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'raw', type: 'bytes' },
    {
      name: 'billing',
      type: {
        type: 'record',
        name: 'Billing',
        fields: [
          { name: 'street', type: 'string' },
          { name: 'city', type: 'string' },
        ],
      },
    },
  ],
};
const type = avsc.Type.forSchema(schema as avsc.Schema);
const payment = {
  payment_id: 'p-1',
  card_holder: CANARY,
  note: 'x'.repeat(100),
  tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
  raw: Buffer.from(CANARY),
  billing: { street: CANARY, city: 'Lisbon' },
};
const classified = classifiedNames(product().output.classification);

describe('samples', () => {
  it('masks classified fields by name and by path, cuts long texts and lists, hides bytes', () => {
    assert.deepEqual(maskValue(payment, classified), {
      payment_id: 'p-1',
      card_holder: MASK,
      note: `${'x'.repeat(40)}…(+60 chars)`,
      tags: ['a', 'b', 'c', 'd', 'e', '…(+2 items)'],
      raw: `<${Buffer.byteLength(CANARY)} bytes>`,
      billing: { street: MASK, city: 'Lisbon' },
    });
  });

  it('decodes a dead letter with its writer schema and never shows the canary', async () => {
    const letter = deadLetter(source(5, frame(7, type.toBuffer(payment))), { reason: 'transform', stage: 'transform', schemaId: 7 }, 3);
    const sample = await renderSample(letter, async (id) => (id === 7 ? schema : undefined), classified);
    assert.equal((sample.value as { payment_id: string }).payment_id, 'p-1');
    assert.equal(sample.source, 'raw.payments[1]@5');
    assert.doesNotMatch(JSON.stringify(sample), /canary/);
  });

  it('shows a value that is not Avro, or whose schema is unknown, by its size only', async () => {
    const json = deadLetter(source(6, Buffer.from(JSON.stringify({ card_holder: CANARY }))), { reason: 'not-avro', stage: 'decode' }, 4);
    const unknown = deadLetter(source(7, frame(99, type.toBuffer(payment))), { reason: 'unknown-schema-id', stage: 'decode' }, 5);
    for (const letter of [json, unknown]) {
      const sample = await renderSample(letter, async () => undefined, classified);
      assert.match(String(sample.value), /bytes, .*not shown/);
      assert.doesNotMatch(JSON.stringify(sample), /canary/);
    }
  });
});
