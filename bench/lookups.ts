/**
 * `npm run bench:lookups`: what a lookup table costs to restore and to hold, per store. Seeds a
 * compacted topic with --entries customers (the example lookup of products/orders-by-tier, ~30-byte
 * Avro values), then for each --stores restores it in a process of its own
 * (bench/processes/lookup-restore.ts) and reports the restore rate, heap and RSS per entry (after
 * a full GC), the store's own bytes per entry (LMDB pages in use for disk) and the cost of one
 * `get`. A measurement, not a test: a loaded machine slows the restore; the per-entry sizes do not
 * depend on load.
 *
 *   npm run bench:lookups
 *   npm run bench:lookups -- --entries 1000000 --stores memory,disk
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { choicesOf, positive } from './harness/args.js';
import { spawnNode } from './harness/child.js';
import { openBench } from './harness/context.js';
import { seedCustomers } from './harness/kafka.js';
import { backgroundCores } from './harness/machine.js';
import { repoRoot, uniqueSuffix } from './harness/product.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    stores: { type: 'string', default: 'memory,disk' },
    partitions: { type: 'string', default: '3' },
  },
});
const entries = positive('entries', values.entries);
const stores = choicesOf('stores', values.stores, ['memory', 'disk'] as const);
const bench = await openBench('dataprod-bench-lookups', { partitions: positive('partitions', values.partitions) });
let failed = false;
try {
  const m = bench.machine;
  console.log(
    `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB; node ${process.version}; background load ${(await backgroundCores()).toFixed(2)} cores`,
  );
  const topic = `bench.customers.${uniqueSuffix()}`;
  const seeded = await seedCustomers(bench, topic, entries);
  console.log(`seeded ${entries} customers on ${topic} (${bench.partitions} partitions, compacted) in ${seeded.seconds.toFixed(1)} s`);
  for (const store of stores) {
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-bench-lookups-'));
    try {
      const child = spawnNode(
        [
          '--expose-gc',
          '--import',
          'tsx',
          join(repoRoot, 'bench', 'processes', 'lookup-restore.ts'),
          '--brokers',
          bench.stack.brokers.join(','),
          '--registry',
          bench.stack.schemaRegistryUrl,
          '--topic',
          topic,
          '--store',
          store,
          '--dir',
          dir,
        ],
        repoRoot,
      );
      const [code] = (await once(child.process, 'exit')) as [number | null];
      const r = child.report();
      if (code !== 0 || !r) throw new Error(`the ${store} restore failed (exit ${code}):\n${child.log()}`);
      console.log(
        `${store.padEnd(6)} restore ${String(r.restoreMs).padStart(6)} ms = ${String(r.restoreRate).padStart(7)} entries/s; ` +
          `heap ${r.heapBytesPerEntry} B/entry, RSS ${r.rssBytesPerEntry} B/entry, store ${r.storeBytesPerEntry} B/entry; get ${r.getNs} ns`,
      );
      if (r.entries !== entries) throw new Error(`${store}: ${String(r.entries)} entries, expected ${entries}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await bench.close();
}
process.exit(failed ? 1 : 0);
