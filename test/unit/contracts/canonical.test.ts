import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalSchemaText } from '../../../src/contracts/canonical.js';

const schema = {
  type: 'record',
  name: 'Payment',
  namespace: 'com.shop',
  doc: 'A payment.',
  fields: [
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }, doc: 'EUR' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['CARD', 'CASH'], default: 'CARD' } },
    { name: 'note', type: ['null', { type: 'string' }], default: null, 'x-pii': true },
    { name: 'lines', type: { type: 'array', items: { type: 'long' } } },
  ],
};

/** The same object with every key order reversed, recursively. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

describe('canonicalSchemaText', () => {
  it('is the same text whatever the whitespace and attribute order', () => {
    assert.equal(
      canonicalSchemaText(JSON.parse(JSON.stringify(schema, null, 4) + '\n')),
      canonicalSchemaText(reversed(schema) as Record<string, unknown>),
    );
  });

  it('orders name, namespace, type, fields first, keeps doc, default, logical type and custom attributes, shortens {"type": "string"}', () => {
    const text = canonicalSchemaText(schema);
    assert.ok(
      text.startsWith(
        '{"name":"Payment","namespace":"com.shop","type":"record","fields":[{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2},"doc":"EUR"}',
      ),
      text,
    );
    assert.ok(text.includes('{"name":"Kind","type":"enum","symbols":["CARD","CASH"],"default":"CARD"}'), text);
    assert.ok(text.includes('{"name":"note","type":["null","string"],"default":null,"x-pii":true}'), text);
    assert.ok(text.includes('"items":"long"'), text);
    assert.ok(text.endsWith(',"doc":"A payment."}'), text);
    assert.ok(!/\s/.test(text.replace(/"[^"]*"/g, '')), 'no whitespace outside strings');
  });

  it('is the same schema: parsing it back gives the original', () => {
    const back = JSON.parse(canonicalSchemaText(schema)) as typeof schema;
    assert.deepEqual(back.fields[2]!.type, ['null', 'string']);
    assert.deepEqual({ ...back, fields: [] }, { ...schema, fields: [] });
  });
});
