/**
 * The schema pairs both evolution tests share: test/unit/evolution/classify.test.ts checks our
 * verdict and reason on each, test/integration/evolution-oracle.test.ts asks the real registry
 * the same question. `previous` lists the registered versions, oldest first; `compatible` is our
 * verdict; `registry` is set only where the registry answers otherwise, with why we differ.
 */
import type { BreakReason } from '../../src/evolution/schema-diff.js';
import type { AvroSchema, Compatibility } from '../../src/product/types.js';

export interface EvolutionPair {
  name: string;
  mode: Compatibility;
  previous: AvroSchema[];
  next: AvroSchema;
  compatible: boolean;
  /** The reason of the first breaking change we report (when not compatible). */
  reason?: BreakReason;
  /** The registry's answer where it differs from ours, and why we follow the Avro meaning instead. */
  registry?: { compatible: boolean; why: string };
}

type Field = { name: string; type: unknown; default?: unknown; aliases?: string[] };
const record = (fields: Field[], name = 'Order', namespace = 'oracle') => ({ type: 'record', name, namespace, fields });
const ID: Field = { name: 'id', type: 'string' };
const base = (...more: Field[]) => record([ID, { name: 'amount', type: 'int' }, ...more]);
const withType = (type: unknown, extra: Partial<Field> = {}) => record([ID, { name: 'value', type, ...extra }]);
const status = (symbols: string[], extra: Record<string, unknown> = {}) => withType({ type: 'enum', name: 'Status', symbols, ...extra });
const ts = (logicalType: string) => ({ type: 'long', logicalType });
const decimal = (precision: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale: 2 });
const nested = (fields: Field[]) => record([ID, { name: 'customer', type: record(fields, 'Customer') }]);

const LOGICAL_WHY =
  'the registry compares the underlying Avro types only (the Java SchemaCompatibility ignores logical types); ' +
  'we follow DESIGN.md: the same bytes would mean another value (a date, an amount), which no consumer can detect';

export const EVOLUTION_PAIRS: EvolutionPair[] = [
  { name: 'identical schema', mode: 'FULL_TRANSITIVE', previous: [base()], next: base(), compatible: true },
  {
    name: 'field added with default (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: base({ name: 'note', type: 'string', default: '' }),
    compatible: true,
  },
  {
    name: 'field added without default (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: base({ name: 'note', type: 'string' }),
    compatible: false,
    reason: 'field-added-without-default',
  },
  {
    name: 'field added without default (FORWARD)',
    mode: 'FORWARD',
    previous: [base()],
    next: base({ name: 'note', type: 'string' }),
    compatible: true,
  },
  {
    name: 'field added with default (FULL)',
    mode: 'FULL',
    previous: [base()],
    next: base({ name: 'note', type: ['null', 'string'], default: null }),
    compatible: true,
  },
  { name: 'field removed without default (BACKWARD)', mode: 'BACKWARD', previous: [base()], next: record([ID]), compatible: true },
  {
    name: 'field removed without default (FORWARD)',
    mode: 'FORWARD',
    previous: [base()],
    next: record([ID]),
    compatible: false,
    reason: 'field-removed-without-default',
  },
  {
    name: 'field removed without default (FULL)',
    mode: 'FULL',
    previous: [base()],
    next: record([ID]),
    compatible: false,
    reason: 'field-removed-without-default',
  },
  {
    name: 'field removed that had a default (FORWARD)',
    mode: 'FORWARD',
    previous: [base({ name: 'note', type: 'string', default: '' })],
    next: base(),
    compatible: true,
  },
  { name: 'int promoted to long (BACKWARD)', mode: 'BACKWARD', previous: [withType('int')], next: withType('long'), compatible: true },
  {
    name: 'int promoted to long (FORWARD)',
    mode: 'FORWARD',
    previous: [withType('int')],
    next: withType('long'),
    compatible: false,
    reason: 'type-promoted',
  },
  {
    name: 'int promoted to long (FULL)',
    mode: 'FULL',
    previous: [withType('int')],
    next: withType('long'),
    compatible: false,
    reason: 'type-promoted',
  },
  {
    name: 'long narrowed to int (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType('long')],
    next: withType('int'),
    compatible: false,
    reason: 'type-promoted',
  },
  {
    name: 'float promoted to double (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType('float')],
    next: withType('double'),
    compatible: true,
  },
  { name: 'string read as bytes (BACKWARD)', mode: 'BACKWARD', previous: [withType('string')], next: withType('bytes'), compatible: true },
  {
    name: 'int changed to string (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType('int')],
    next: withType('string'),
    compatible: false,
    reason: 'type-changed',
  },
  {
    name: 'string changed to boolean (FORWARD)',
    mode: 'FORWARD',
    previous: [withType('string')],
    next: withType('boolean'),
    compatible: false,
    reason: 'type-changed',
  },
  {
    name: 'enum symbol added (BACKWARD)',
    mode: 'BACKWARD',
    previous: [status(['NEW', 'PAID'])],
    next: status(['NEW', 'PAID', 'SHIPPED']),
    compatible: true,
  },
  {
    name: 'enum symbol added (FORWARD)',
    mode: 'FORWARD',
    previous: [status(['NEW', 'PAID'])],
    next: status(['NEW', 'PAID', 'SHIPPED']),
    compatible: false,
    reason: 'enum-symbol-added',
  },
  {
    name: 'enum symbol added, previous enum has a default (FORWARD)',
    mode: 'FORWARD',
    previous: [status(['NEW', 'PAID'], { default: 'NEW' })],
    next: status(['NEW', 'PAID', 'SHIPPED'], { default: 'NEW' }),
    compatible: true,
  },
  {
    name: 'enum symbol removed (BACKWARD)',
    mode: 'BACKWARD',
    previous: [status(['NEW', 'PAID', 'SHIPPED'])],
    next: status(['NEW', 'PAID']),
    compatible: false,
    reason: 'enum-symbol-removed',
  },
  {
    name: 'enum symbol removed, new enum has a default (BACKWARD)',
    mode: 'BACKWARD',
    previous: [status(['NEW', 'PAID', 'SHIPPED'])],
    next: status(['NEW', 'PAID'], { default: 'NEW' }),
    compatible: true,
  },
  {
    name: 'enum symbol removed (FORWARD)',
    mode: 'FORWARD',
    previous: [status(['NEW', 'PAID', 'SHIPPED'])],
    next: status(['NEW', 'PAID']),
    compatible: true,
  },
  {
    name: 'union branch added (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType(['null', 'string'])],
    next: withType(['null', 'string', 'int']),
    compatible: true,
  },
  {
    name: 'union branch added (FORWARD)',
    mode: 'FORWARD',
    previous: [withType(['null', 'string'])],
    next: withType(['null', 'string', 'int']),
    compatible: false,
    reason: 'union-branch-added',
  },
  {
    name: 'union branch removed (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType(['null', 'string', 'int'])],
    next: withType(['null', 'string']),
    compatible: false,
    reason: 'union-branch-removed',
  },
  {
    name: 'union branch removed (FORWARD)',
    mode: 'FORWARD',
    previous: [withType(['null', 'string', 'int'])],
    next: withType(['null', 'string']),
    compatible: true,
  },
  {
    name: 'union branch int replaced by long (BACKWARD, promotion)',
    mode: 'BACKWARD',
    previous: [withType(['null', 'int'])],
    next: withType(['null', 'long']),
    compatible: true,
  },
  {
    name: 'field made optional (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType('string')],
    next: withType(['null', 'string']),
    compatible: true,
  },
  {
    name: 'field made optional (FORWARD)',
    mode: 'FORWARD',
    previous: [withType('string')],
    next: withType(['null', 'string']),
    compatible: false,
    reason: 'union-branch-added',
  },
  {
    name: 'optional field made required (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType(['null', 'string'])],
    next: withType('string'),
    compatible: false,
    reason: 'union-branch-removed',
  },
  {
    name: 'field renamed without alias (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: record([ID, { name: 'total', type: 'int' }]),
    compatible: false,
    reason: 'field-renamed-without-alias',
  },
  {
    name: 'field renamed with alias (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: record([ID, { name: 'total', type: 'int', aliases: ['amount'] }]),
    compatible: true,
  },
  {
    name: 'field renamed with alias (FORWARD)',
    mode: 'FORWARD',
    previous: [base()],
    next: record([ID, { name: 'total', type: 'int', aliases: ['amount'] }]),
    compatible: false,
    reason: 'field-renamed-without-alias',
  },
  {
    name: 'logical type timestamp-millis -> timestamp-micros (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType(ts('timestamp-millis'))],
    next: withType(ts('timestamp-micros')),
    compatible: false,
    reason: 'logical-type-changed',
    registry: { compatible: true, why: LOGICAL_WHY },
  },
  {
    name: 'logical type added to a long (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType('long')],
    next: withType(ts('timestamp-millis')),
    compatible: false,
    reason: 'logical-type-changed',
    registry: { compatible: true, why: LOGICAL_WHY },
  },
  {
    name: 'decimal precision 10 -> 12 (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType(decimal(10))],
    next: withType(decimal(12)),
    compatible: false,
    reason: 'logical-type-changed',
    registry: { compatible: true, why: LOGICAL_WHY },
  },
  {
    name: 'date (int) promoted to timestamp-millis (long) (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'int', logicalType: 'date' })],
    next: withType(ts('timestamp-millis')),
    compatible: false,
    reason: 'logical-type-changed',
    registry: { compatible: true, why: LOGICAL_WHY },
  },
  {
    name: 'record renamed (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: record(base().fields, 'Purchase'),
    compatible: false,
    reason: 'name-changed',
  },
  {
    name: 'record renamed with alias (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: { ...record(base().fields, 'Purchase'), aliases: ['oracle.Order'] },
    compatible: true,
  },
  {
    name: 'record namespace changed (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base()],
    next: record(base().fields, 'Order', 'elsewhere'),
    compatible: true,
  },
  {
    name: 'fixed size changed (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'fixed', name: 'Hash', size: 16 })],
    next: withType({ type: 'fixed', name: 'Hash', size: 32 }),
    compatible: false,
    reason: 'fixed-size-changed',
  },
  {
    name: 'nested record field added without default (BACKWARD)',
    mode: 'BACKWARD',
    previous: [nested([{ name: 'name', type: 'string' }])],
    next: nested([
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
    ]),
    compatible: false,
    reason: 'field-added-without-default',
  },
  {
    name: 'array items promoted int -> long (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'array', items: 'int' })],
    next: withType({ type: 'array', items: 'long' }),
    compatible: true,
  },
  {
    name: 'map values changed string -> int (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'map', values: 'string' })],
    next: withType({ type: 'map', values: 'int' }),
    compatible: false,
    reason: 'type-changed',
  },
  {
    name: 'default dropped, checked against the latest only (BACKWARD)',
    mode: 'BACKWARD',
    previous: [base(), base({ name: 'note', type: 'string', default: '' })],
    next: base({ name: 'note', type: 'string' }),
    compatible: true,
  },
  {
    name: 'default dropped, checked against every version (BACKWARD_TRANSITIVE)',
    mode: 'BACKWARD_TRANSITIVE',
    previous: [base(), base({ name: 'note', type: 'string', default: '' })],
    next: base({ name: 'note', type: 'string' }),
    compatible: false,
    reason: 'field-added-without-default',
  },
  {
    name: 'field removed after a default was added (FORWARD_TRANSITIVE)',
    mode: 'FORWARD_TRANSITIVE',
    previous: [base(), record([ID, { name: 'amount', type: 'int', default: 0 }])],
    next: record([ID]),
    compatible: false,
    reason: 'field-removed-without-default',
  },
  {
    name: 'field removed after a default was added (FORWARD)',
    mode: 'FORWARD',
    previous: [base(), record([ID, { name: 'amount', type: 'int', default: 0 }])],
    next: record([ID]),
    compatible: true,
  },
  {
    name: 'optional field added in two steps (FULL_TRANSITIVE)',
    mode: 'FULL_TRANSITIVE',
    previous: [base(), base({ name: 'note', type: ['null', 'string'], default: null })],
    next: base({ name: 'note', type: ['null', 'string'], default: null }, { name: 'tag', type: ['null', 'string'], default: null }),
    compatible: true,
  },
  {
    name: 'union branches reordered (FULL)',
    mode: 'FULL',
    previous: [withType(['null', 'string', 'int'])],
    next: withType(['int', 'null', 'string']),
    compatible: true,
  },
  {
    name: 'field removed after two versions (FULL_TRANSITIVE)',
    mode: 'FULL_TRANSITIVE',
    previous: [base(), base({ name: 'note', type: ['null', 'string'], default: null })],
    next: record([ID, { name: 'note', type: ['null', 'string'], default: null }]),
    compatible: false,
    reason: 'field-removed-without-default',
  },
  {
    name: 'int promoted to double (FORWARD)',
    mode: 'FORWARD',
    previous: [withType('int')],
    next: withType('double'),
    compatible: false,
    reason: 'type-promoted',
  },
  {
    name: 'field added without default inside array items (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'array', items: record([{ name: 'sku', type: 'string' }], 'Item') })],
    next: withType({
      type: 'array',
      items: record(
        [
          { name: 'sku', type: 'string' },
          { name: 'qty', type: 'int' },
        ],
        'Item',
      ),
    }),
    compatible: false,
    reason: 'field-added-without-default',
  },
  {
    name: 'enum symbol added, both enums with a default (FULL)',
    mode: 'FULL',
    previous: [status(['NEW', 'PAID'], { default: 'NEW' })],
    next: status(['NEW', 'PAID', 'SHIPPED'], { default: 'NEW' }),
    compatible: true,
  },
  {
    name: 'named type used twice, field added with default (BACKWARD)',
    mode: 'BACKWARD',
    previous: [
      record([
        ID,
        { name: 'billing', type: record([{ name: 'city', type: 'string' }], 'Address') },
        { name: 'shipping', type: 'oracle.Address' },
      ]),
    ],
    next: record([
      ID,
      {
        name: 'billing',
        type: record(
          [
            { name: 'city', type: 'string' },
            { name: 'zip', type: 'string', default: '' },
          ],
          'Address',
        ),
      },
      { name: 'shipping', type: 'oracle.Address' },
    ]),
    compatible: true,
  },
  {
    name: 'map changed to array (BACKWARD)',
    mode: 'BACKWARD',
    previous: [withType({ type: 'map', values: 'string' })],
    next: withType({ type: 'array', items: 'string' }),
    compatible: false,
    reason: 'type-changed',
  },
  { name: 'anything goes (NONE)', mode: 'NONE', previous: [withType('int')], next: withType('string'), compatible: true },
];
