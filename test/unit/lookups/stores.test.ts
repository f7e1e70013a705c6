import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import avsc from 'avsc';
import { DiskStore } from '../../../src/lookups/disk-store.js';
import { MemoryStore, type LookupStore, type TableChange } from '../../../src/lookups/store.js';

const customer = avsc.Type.forSchema({
  type: 'record',
  name: 'Customer',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['BRONZE', 'GOLD'] } },
    { name: 'balance', type: { type: 'long' } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});

const root = mkdtempSync(join(tmpdir(), 'dataprod-lookup-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The same changes, in order: puts, an overwrite, a tombstone, a tombstone of a key never seen. */
function changes(): TableChange[][] {
  const value = (id: string, tier: string, n: number) => customer.fromBuffer(customer.toBuffer({ id, tier, balance: n, tags: [id] }));
  return [
    Array.from({ length: 1000 }, (_, i) => ({ key: `c-${i}`, value: value(`c-${i}`, i % 2 ? 'GOLD' : 'BRONZE', i), bytes: 12 })),
    [
      { key: 'c-1', value: value('c-1', 'BRONZE', -1), bytes: 12 },
      { key: 'c-2', bytes: 0 },
      { key: 'never', bytes: 0 },
    ],
  ];
}

async function filled(store: LookupStore): Promise<LookupStore> {
  for (const batch of changes()) await store.apply(batch);
  return store;
}

describe('lookup stores', () => {
  it('memory and disk stores give the same answer for every key after the same changes', async () => {
    const memory = await filled(new MemoryStore());
    const disk = await filled(new DiskStore(root, 'customers', customer));
    try {
      assert.equal(memory.entries(), 999);
      assert.equal(disk.entries(), 999);
      for (let i = 0; i < 1000; i++) assert.deepEqual(disk.get(`c-${i}`), memory.get(`c-${i}`), `c-${i}`);
      assert.deepEqual({ ...(memory.get('c-1') as object) }, { id: 'c-1', tier: 'BRONZE', balance: -1, tags: ['c-1'] });
      assert.equal(memory.get('c-2'), undefined);
      assert.equal(disk.get('c-2'), undefined);
      assert.ok(memory.bytes() > 0 && disk.bytes() > 0);
    } finally {
      await memory.close();
      await disk.close();
    }
  });

  it('hands out frozen values, so a transform cannot change a table from either store', async () => {
    const memory = await filled(new MemoryStore());
    const disk = await filled(new DiskStore(root, 'frozen', customer));
    try {
      for (const store of [memory, disk]) {
        const value = store.get('c-3') as { tier: string; tags: string[] };
        assert.throws(() => (value.tier = 'GOLD'), TypeError);
        assert.throws(() => value.tags.push('x'), TypeError);
        assert.equal((store.get('c-3') as { tier: string }).tier, 'GOLD');
      }
    } finally {
      await memory.close();
      await disk.close();
    }
  });

  it('removes the disk store folder on close, and close is safe twice', async () => {
    const disk = new DiskStore(root, 'closing', customer);
    await disk.apply([{ key: 'a', value: { id: 'a', tier: 'GOLD', balance: 1, tags: [] }, bytes: 1 }]);
    assert.ok(existsSync(disk.path));
    await disk.close();
    await disk.close();
    assert.equal(existsSync(disk.path), false);
  });
});
