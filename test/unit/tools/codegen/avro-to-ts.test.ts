import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { avroType } from '../../../../src/contracts/logical-types.js';
import type { AvroSchema } from '../../../../src/product/types.js';
import { avroToTypeScript } from '../../../../src/tools/codegen/index.js';
import { typecheck } from './typecheck.js';

const gen = (...schemas: unknown[]): string => avroToTypeScript(schemas.map((schema) => ({ schema })));

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'record',
  name,
  ...extra,
  fields,
});

describe('avroToTypeScript', () => {
  it('maps every primitive', () => {
    const out = gen(
      record('Primitives', [
        { name: 'n', type: 'null' },
        { name: 'b', type: 'boolean' },
        { name: 'i', type: 'int' },
        { name: 'l', type: 'long' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 'by', type: 'bytes' },
        { name: 's', type: 'string' },
        { name: 'o', type: { type: 'string' } },
      ]),
    );
    assert.equal(
      out,
      [
        'export interface Primitives {',
        '  n: null;',
        '  b: boolean;',
        '  i: number;',
        '  l: number;',
        '  f: number;',
        '  d: number;',
        '  by: Buffer;',
        '  s: string;',
        '  o: string;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('declares nested records once each, outer first, and refers to them by name', () => {
    const address = record('Address', [{ name: 'city', type: 'string' }]);
    const out = gen(
      record('Customer', [
        { name: 'home', type: address },
        { name: 'work', type: ['null', 'Address'] },
        { name: 'boss', type: ['null', 'Customer'] },
      ]),
    );
    assert.equal(
      out,
      [
        'export interface Customer {',
        '  home: Address;',
        '  work: null | Address;',
        '  boss: null | Customer;',
        '}',
        '',
        'export interface Address {',
        '  city: string;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('declares enums as string literal unions and fixed as Buffer', () => {
    const out = gen(
      record('Payment', [
        { name: 'channel', type: { type: 'enum', name: 'Channel', symbols: ['WEB', 'MOBILE_APP'] } },
        { name: 'digest', type: { type: 'fixed', name: 'Md5', size: 16 } },
        { name: 'none', type: { type: 'enum', name: 'Empty', symbols: [] } },
      ]),
    );
    assert.match(out, /^export type Channel = 'WEB' \| 'MOBILE_APP';$/m);
    assert.match(out, /\/\*\* Avro fixed: 16 bytes\. \*\/\nexport type Md5 = Buffer;/);
    assert.match(out, /^export type Empty = never;$/m);
    assert.match(out, /^ {2}channel: Channel;\n {2}digest: Md5;$/m);
  });

  it('maps arrays and maps, parenthesising unions inside arrays', () => {
    const out = gen(
      record('Bag', [
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'matrix', type: { type: 'array', items: { type: 'array', items: 'double' } } },
        { name: 'maybe', type: { type: 'array', items: ['null', 'int'] } },
        { name: 'attrs', type: { type: 'map', values: 'string' } },
        { name: 'nested', type: { type: 'map', values: { type: 'array', items: ['null', 'long'] } } },
      ]),
    );
    assert.match(out, /^ {2}tags: string\[\];$/m);
    assert.match(out, /^ {2}matrix: number\[\]\[\];$/m);
    assert.match(out, /^ {2}maybe: \(null \| number\)\[\];$/m);
    assert.match(out, /^ {2}attrs: Record<string, string>;$/m);
    assert.match(out, /^ {2}nested: Record<string, \(null \| number\)\[\]>;$/m);
  });

  it('types nullable and other unambiguous unions unwrapped, in Avro order', () => {
    const out = gen(
      record('U', [
        { name: 'email', type: ['null', 'string'], default: null },
        { name: 'amount', type: ['double', 'null'] },
        { name: 'mixed', type: ['null', 'string', 'int', 'boolean', { type: 'array', items: 'string' }] },
        { name: 'single', type: ['string'] },
      ]),
    );
    assert.match(out, /^ {2}email: null \| string;$/m);
    assert.match(out, /^ {2}amount: number \| null;$/m);
    assert.match(out, /^ {2}mixed: null \| string \| number \| boolean \| string\[\];$/m);
    assert.match(out, /^ {2}single: string;$/m);
    assert.doesNotMatch(out, /Ambiguous/);
  });

  it('types ambiguous unions as avsc wraps them: one object per branch, keyed by branch name', () => {
    const out = gen(
      record(
        'Event',
        [
          {
            name: 'payment',
            type: ['null', record('Card', [{ name: 'last4', type: 'string' }]), record('Transfer', [{ name: 'iban', type: 'string' }])],
          },
          { name: 'id', type: ['int', 'long'] },
          { name: 'label', type: ['string', { type: 'enum', name: 'Kind', symbols: ['A'] }] },
          { name: 'blob', type: ['bytes', { type: 'fixed', name: 'Id', size: 4 }] },
          { name: 'obj', type: [{ type: 'map', values: 'int' }, 'Card'] },
          { name: 'ts', type: ['int', { type: 'long', logicalType: 'timestamp-millis' }] },
        ],
        { namespace: 'com.acme' },
      ),
    );
    assert.match(out, /^ {2}payment: null \| \{ 'com\.acme\.Card': Card \} \| \{ 'com\.acme\.Transfer': Transfer \};$/m);
    assert.match(out, /^ {2}id: \{ int: number \} \| \{ long: number \};$/m);
    assert.match(out, /^ {2}label: \{ string: string \} \| \{ 'com\.acme\.Kind': Kind \};$/m);
    assert.match(out, /^ {2}blob: \{ bytes: Buffer \} \| \{ 'com\.acme\.Id': Id \};$/m);
    assert.match(out, /^ {2}obj: \{ map: Record<string, number> \} \| \{ 'com\.acme\.Card': Card \};$/m);
    // A registered logical type is a kind of its own for the runtime's avsc types: int + timestamp-millis is not ambiguous.
    assert.match(out, /^ {2}ts: number;$/m);
    assert.match(out, /Ambiguous union: avsc wraps the value/);
  });

  it('agrees with avsc on which unions are wrapped', () => {
    const unions: unknown[][] = [
      ['null', 'string'],
      ['null', 'int', 'long'],
      ['string', { type: 'enum', name: 'E1', symbols: ['X'] }],
      ['null', record('R1', []), { type: 'map', values: 'int' }],
      ['null', { type: 'array', items: 'int' }, record('R2', [])],
      ['bytes', 'string', 'int', 'boolean', 'null'],
      ['int', { type: 'long', logicalType: 'timestamp-millis' }],
      [
        'null',
        { type: 'fixed', name: 'F1', size: 8, logicalType: 'decimal', precision: 4, scale: 2 },
        { type: 'fixed', name: 'F2', size: 2 },
      ],
    ];
    for (const union of unions) {
      // The runtime's types (logical types registered), not avsc's defaults.
      const wrapped = avroType(union as AvroSchema).constructor.name === 'WrappedUnionType';
      const out = gen(record('Holder', [{ name: 'u', type: union }]));
      assert.equal(/Ambiguous union/.test(out), wrapped, JSON.stringify(union));
    }
  });

  it('maps decimals to Decimal and other logical types to their underlying type, with their meaning in a note', () => {
    const out = gen(
      record('Times', [
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When it happened.' },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
        { name: 'maybe', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
      ]),
    );
    assert.match(
      out,
      /\/\*\*\n {3}\* When it happened\.\n {3}\* Avro timestamp-millis \(long\): milliseconds since 1970-01-01T00:00:00Z\.\n {3}\*\/\n {2}at: number;/,
    );
    assert.match(out, /^ {2}day: number;$/m);
    assert.match(out, /^ {2}id: string;$/m);
    assert.match(out, /Avro decimal\(9,2\) \(bytes\): an exact Decimal, 9 digits, 2 after the point/);
    assert.match(out, /^ {2}price: Decimal;$/m);
    assert.match(out, /Avro date \(int\): days since 1970-01-01\./);
    assert.match(out, /^ {2}maybe: null \| number;$/m);
  });

  it('resolves named references through namespaces, including across schemas', () => {
    const money = { type: 'record', name: 'Money', namespace: 'com.acme.common', fields: [{ name: 'cents', type: 'long' }] };
    const out = gen(
      money,
      record(
        'Order',
        [
          { name: 'total', type: 'com.acme.common.Money' },
          { name: 'line', type: record('Line', [{ name: 'price', type: 'com.acme.common.Money' }]) },
          { name: 'again', type: 'Line' },
          { name: 'objRef', type: { type: 'com.acme.sales.Line' } },
          { name: 'status', type: { type: 'enum', name: 'Status', namespace: 'com.acme.common', symbols: ['OK'] } },
          { name: 'status2', type: 'com.acme.common.Status' },
        ],
        { namespace: 'com.acme.sales' },
      ),
    );
    assert.equal(out.match(/^export /gm)?.length, 4);
    assert.match(
      out,
      /^ {2}total: Money;\n {2}line: Line;\n {2}again: Line;\n {2}objRef: Line;\n {2}status: Status;\n {2}status2: Status;$/m,
    );
    assert.throws(() => gen(record('Broken', [{ name: 'x', type: 'Nope' }])), /unknown Avro type "Nope"/);
  });

  it('dedupes a type defined in two schemas by full name, and rejects conflicting definitions', () => {
    const item = { type: 'record', name: 'Item', namespace: 'com.acme', fields: [{ name: 'sku', type: 'string' }] };
    const out = gen(record('A', [{ name: 'item', type: item }]), record('B', [{ name: 'item', type: item }]));
    assert.equal(out.match(/export interface Item /g)?.length, 1);
    const other = { ...item, fields: [{ name: 'sku', type: 'int' }] };
    assert.throws(() => gen(record('A', [{ name: 'item', type: item }]), record('B', [{ name: 'item', type: other }])), /defined twice/);
  });

  it('prefixes types that share a simple name with their namespace in PascalCase', () => {
    const out = gen(
      record('Order', [{ name: 'item', type: record('Item', [{ name: 'sku', type: 'string' }]) }], { namespace: 'com.acme.raw' }),
      record(
        'Enriched',
        [
          {
            name: 'item',
            type: record('Item', [
              { name: 'sku', type: 'string' },
              { name: 'qty', type: 'int' },
            ]),
          },
        ],
        {
          namespace: 'com.acme.sales_v2',
        },
      ),
      record('Item', [{ name: 'plain', type: 'boolean' }]),
    );
    assert.match(out, /^export interface ComAcmeRawItem \{$/m);
    assert.match(out, /^export interface ComAcmeSalesV2Item \{$/m);
    assert.match(out, /^export interface Item \{\n {2}plain: boolean;$/m);
    assert.match(out, /^ {2}item: ComAcmeRawItem;$/m);
    assert.match(out, /^ {2}item: ComAcmeSalesV2Item;$/m);
  });

  it('renames types that would clash with TypeScript keywords or the globals it uses', () => {
    const out = gen(
      record('Buffer', [
        { name: 'raw', type: 'bytes' },
        { name: 'kind', type: { type: 'enum', name: 'class', symbols: ['A'] } },
      ]),
    );
    assert.match(out, /^export interface BufferType \{\n {2}raw: Buffer;\n {2}kind: classType;$/m);
    assert.match(out, /^export type classType = 'A';$/m);
  });

  it('writes doc comments and quotes field names that are not identifiers', () => {
    const out = gen(
      record(
        'Doc',
        [
          { name: 'plain', type: 'string', doc: 'One line.' },
          { name: 'multi', type: 'string', doc: 'First line.\nSecond line with */ inside.' },
          { name: 'kebab-case', type: 'int' },
          { name: 'default', type: 'int' },
        ],
        { doc: 'A documented record.' },
      ),
      { type: 'enum', name: 'Color', doc: 'Colours.', symbols: ['RED'] },
    );
    assert.equal(
      out,
      [
        '/** A documented record. */',
        'export interface Doc {',
        '  /** One line. */',
        '  plain: string;',
        '  /**',
        '   * First line.',
        '   * Second line with *\\/ inside.',
        '   */',
        '  multi: string;',
        "  'kebab-case': number;",
        '  default: number;',
        '}',
        '',
        '/** Colours. */',
        "export type Color = 'RED';",
        '',
      ].join('\n'),
    );
  });

  it('is deterministic', () => {
    const schema = (): unknown =>
      JSON.parse(
        JSON.stringify(
          record('Order', [
            { name: 'a', type: record('A', [{ name: 'b', type: record('B', []) }]) },
            { name: 'c', type: { type: 'enum', name: 'C', symbols: ['X', 'Y'] } },
            { name: 'd', type: ['null', 'A', 'B'] },
          ]),
        ),
      );
    const first = avroToTypeScript([{ schema: schema() }]);
    const second = avroToTypeScript([{ schema: schema() }]);
    assert.equal(first, second);
    assert.equal(avroToTypeScript([]), '');
    assert.deepEqual(
      [...first.matchAll(/^export \w+ (\w+)/gm)].map((m) => m[1]),
      ['Order', 'A', 'B', 'C'],
    );
  });

  it('rejects what is not an Avro schema', () => {
    assert.throws(() => gen(42), /not an Avro schema/);
    assert.throws(() => gen({ type: 'record', fields: [] }), /without a name/);
    assert.throws(() => gen({ type: 'enum', name: 'E', symbols: [1] }), /symbols/);
  });

  it('produces TypeScript that type-checks and accepts the values avsc decodes', () => {
    const schema = {
      type: 'record',
      name: 'Everything',
      namespace: 'com.acme',
      doc: 'All kinds */ of things.',
      fields: [
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'count', type: 'int' },
        { name: 'ok', type: 'boolean' },
        { name: 'email', type: ['null', 'string'] },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'attrs', type: { type: 'map', values: ['null', 'double'] } },
        { name: 'channel', type: { type: 'enum', name: 'Channel', symbols: ['WEB', 'APP'] } },
        {
          name: 'lines',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Line',
              fields: [
                { name: 'sku', type: 'string' },
                { name: 'qty', type: 'int' },
              ],
            },
          },
        },
        { name: 'pay', type: ['null', { type: 'record', name: 'Card', fields: [{ name: 'last4', type: 'string' }] }, 'Line'] },
        { name: 'n', type: ['int', 'long', 'string'] },
        { name: 'self', type: ['null', 'Everything'] },
      ],
    };
    // Random values, but never through the recursive `self` field: avsc's random() follows it to any
    // depth and now and then overflows the stack. `self` is set by hand: null, or one level down.
    const flat = avro.Type.forSchema({ ...schema, fields: schema.fields.filter((f) => f.name !== 'self') } as avro.Schema);
    const flatSample = () => ({ ...(flat.random() as unknown as object), self: null });
    const samples = [0, 1, 2, 3].map((i) => (i % 2 === 0 ? flatSample() : { ...flatSample(), self: flatSample() }));
    const declarations = avroToTypeScript([{ schema }]);
    const ok = typecheck({
      'types.ts': declarations,
      'use.ts': [
        "import type { Everything } from './types.js';",
        ...samples.map((sample, i) => `export const sample${i}: Everything = ${JSON.stringify(sample)};`),
        '',
      ].join('\n'),
    });
    assert.deepEqual(ok, []);
    // Names avsc itself would refuse still give valid TypeScript.
    const odd = avroToTypeScript([
      {
        schema: record('Buffer', [
          { name: 'kebab-case', type: 'bytes' },
          { name: 'default', type: { type: 'enum', name: 'class', symbols: ['A'] } },
        ]),
      },
      { schema: record('Empty', []) },
    ]);
    assert.deepEqual(typecheck({ 'odd.ts': odd }), []);
    // ...and is strict: a wrongly shaped value does not type-check.
    const bad = typecheck({
      'types.ts': declarations,
      'use.ts': [
        "import type { Everything } from './types.js';",
        `export const bad: Everything = ${JSON.stringify({ ...(samples[0] as object), n: 5, channel: 'TV' })};`,
        '',
      ].join('\n'),
    });
    assert.equal(bad.length > 0, true);
  });
});
