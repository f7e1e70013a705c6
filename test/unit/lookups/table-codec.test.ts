import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { SchemaCache, StaticSchemaSource } from '../../../src/contracts/schema-cache.js';
import { frame } from '../../../src/contracts/wire.js';
import { decodeTableRecord } from '../../../src/lookups/table-codec.js';
import type { AvroSchema } from '../../../src/product/types.js';

const reader = { type: 'record', name: 'Customer', fields: [{ name: 'tier', type: 'string' }] };
const writerV2 = { ...reader, fields: [...reader.fields, { name: 'since', type: 'int', default: 0 }] };
const incompatible = { type: 'record', name: 'Customer', fields: [{ name: 'tier', type: 'int' }] };
const cache = new SchemaCache(
  new StaticSchemaSource(
    new Map<number, AvroSchema>([
      [1, reader],
      [2, writerV2],
      [3, incompatible],
    ]),
  ),
  new Map([['customers', reader]]),
);
const key = Buffer.from('c-1');
const decode = (value: Buffer | null, k: Buffer | null = key) => decodeTableRecord('customers', cache, { key: k, value });

describe('decodeTableRecord', () => {
  it('resolves every writer schema to the lookup reader schema; a null value is a tombstone', async () => {
    await cache.fetch([1, 2, 3, 404]);
    const v2 = avsc.Type.forSchema(writerV2 as avsc.Schema).toBuffer({ tier: 'GOLD', since: 2020 });
    const decoded = decode(frame(2, v2));
    assert.ok('change' in decoded);
    assert.deepEqual(
      { ...decoded.change, value: { ...(decoded.change.value as object) } },
      { key: 'c-1', value: { tier: 'GOLD' }, bytes: v2.length },
    );
    assert.deepEqual(decode(null), { change: { key: 'c-1', bytes: 0 } });
  });

  it('skips what cannot be read, with a reason, and never throws', async () => {
    await cache.fetch([1, 2, 3, 404]);
    const body = avsc.Type.forSchema(reader as avsc.Schema).toBuffer({ tier: 'GOLD' });
    assert.deepEqual(decode(frame(1, body), null), { skip: 'no-key' });
    assert.deepEqual(decode(Buffer.from('{"tier":"GOLD"}')), { skip: 'not-avro' });
    assert.deepEqual(decode(Buffer.from([0, 0])), { skip: 'truncated-frame' });
    assert.deepEqual(decode(frame(404, body)), { skip: 'unknown-schema-id' });
    assert.deepEqual(decode(frame(3, body)), { skip: 'incompatible-writer-schema' });
    assert.deepEqual(decode(frame(1, Buffer.from([0x80]))), { skip: 'avro-decode' });
    assert.deepEqual(decodeTableRecord('customers', cache, { key, value: frame(77, body) }), { needsSchema: 77 });
  });
});
