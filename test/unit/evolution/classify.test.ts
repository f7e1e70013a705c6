/**
 * The classification of schema changes under each compatibility mode, on the shared table of
 * schema pairs (the same table the registry answers in test/integration/evolution-oracle.test.ts),
 * plus what the table cannot show: paths, fixes, transitive labels and recursive types.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyChanges } from '../../../src/evolution/classify.js';
import { BREAK_REASONS, diffSchemas, readable } from '../../../src/evolution/schema-diff.js';
import type { AvroSchema } from '../../../src/product/types.js';
import { EVOLUTION_PAIRS } from '../../support/evolution-pairs.js';

const versions = (schemas: unknown[]) => schemas.map((schema, i) => ({ label: `v${i + 1}`, schema: schema as AvroSchema }));

describe('classifyChanges on the table of schema pairs', () => {
  for (const pair of EVOLUTION_PAIRS) {
    it(pair.name, () => {
      const changes = classifyChanges(versions(pair.previous), pair.next, pair.mode);
      const breaking = changes.filter((c) => c.breaking);
      assert.equal(breaking.length === 0, pair.compatible, JSON.stringify(changes, null, 2));
      if (pair.reason) assert.equal(breaking[0]?.reason, pair.reason, JSON.stringify(breaking, null, 2));
      for (const b of breaking) assert.ok(b.fix && b.message, 'every breaking change has its message and fix');
    });
  }

  it('covers every break reason and every mode', () => {
    const reasons = new Set(EVOLUTION_PAIRS.map((p) => p.reason).filter(Boolean));
    assert.deepEqual(
      BREAK_REASONS.filter((r) => !reasons.has(r)),
      [],
    );
    const modes = new Set(EVOLUTION_PAIRS.map((p) => p.mode));
    for (const m of ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'])
      assert.ok(modes.has(m as never), m);
    assert.ok(EVOLUTION_PAIRS.length >= 30);
  });
});

describe('diffSchemas', () => {
  const order = (fields: object[]) => ({ type: 'record', name: 'Order', fields });
  it('names the nested field, the change and both directions', () => {
    const prev = order([{ name: 'customer', type: { type: 'record', name: 'C', fields: [{ name: 'email', type: 'string' }] } }]);
    const next = order([
      { name: 'customer', type: { type: 'record', name: 'C', fields: [{ name: 'email', type: ['null', 'string'], default: null }] } },
    ]);
    const [change, ...rest] = diffSchemas(prev, next);
    assert.equal(rest.length, 0);
    assert.equal(change!.path, 'customer.email');
    assert.match(change!.change, /union branch null added/);
    assert.equal(change!.backward, undefined);
    assert.equal(change!.forward?.reason, 'union-branch-added');
  });

  it('lists compatible changes too (a field added with a default)', () => {
    const changes = diffSchemas(order([]), order([{ name: 'note', type: 'string', default: 'x' }]));
    assert.deepEqual(changes, [{ path: 'note', change: 'added with default "x"' }]);
  });

  it('terminates on recursive types and sees a change inside them', () => {
    const list = (valueType: string) => ({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: valueType },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    });
    assert.deepEqual(diffSchemas(list('int'), list('int')), []);
    const changes = diffSchemas(list('int'), list('long'));
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.path, 'value');
  });

  it('resolves named references with and without namespace', () => {
    const s = {
      type: 'record',
      name: 'A',
      namespace: 'n',
      fields: [
        { name: 'x', type: { type: 'enum', name: 'E', symbols: ['P'] } },
        { name: 'y', type: 'E' },
        { name: 'z', type: 'n.E' },
      ],
    };
    assert.deepEqual(diffSchemas(s, s), []);
  });
});

describe('readable (the input port check)', () => {
  it('accepts a writer whose extra field the reader ignores, refuses one that lacks a required field', () => {
    const reader = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
    assert.equal(
      readable(reader, {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'string' },
          { name: 'b', type: 'int' },
        ],
      }).ok,
      true,
    );
    const missing = readable(reader, { type: 'record', name: 'R', fields: [{ name: 'b', type: 'int' }] });
    assert.equal(missing.ok, false);
    assert.equal(missing.breaks[0]!.path, 'a');
  });
});

describe('classifyChanges with several versions', () => {
  it('labels each breaking change with the version it breaks against', () => {
    const v = (fields: object[]) => ({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }, ...fields] });
    const changes = classifyChanges(
      versions([v([]), v([{ name: 'n', type: 'int', default: 0 }])]),
      v([{ name: 'n', type: 'int' }]),
      'BACKWARD_TRANSITIVE',
    );
    assert.deepEqual(
      changes.map((c) => [c.path, c.against, c.breaking]),
      [['n', 'v1', true]],
    );
  });
});
