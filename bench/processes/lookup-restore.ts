/**
 * One lookup table restored in a process of its own (bench/lookups.ts runs one per store), so
 * its heap and RSS are the table's: `node --expose-gc --import tsx lookup-restore.ts --brokers ...
 * --registry ... --topic ... --store memory|disk --dir ...`. Prints one JSON line: restore time,
 * entries, heap and RSS growth after a full GC, the store's own byte count, and the cost of one
 * `get` of a present key.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { createKafka } from '../../src/kafka/client.js';
import { LookupTable } from '../../src/lookups/table.js';
import { CUSTOMER_SCHEMA_FILE } from '../harness/kafka.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    registry: { type: 'string' },
    topic: { type: 'string' },
    store: { type: 'string' },
    dir: { type: 'string' },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const store = values.store === 'disk' ? 'disk' : 'memory';
const log = pino({ level: 'warn' });
const kafka = createKafka({ brokers: values.brokers!.split(','), clientId: 'dataprod-bench-lookups', ssl: false }, log);
const admin = kafka.admin();
await admin.connect();
const table = new LookupTable(
  {
    name: 'customers',
    topic: values.topic!,
    schemaFile: CUSTOMER_SCHEMA_FILE,
    schema: JSON.parse(readFileSync(CUSTOMER_SCHEMA_FILE, 'utf8')) as Record<string, unknown>,
    store,
  },
  {
    kafka,
    admin,
    schemas: new RegistryClient({ url: values.registry! }),
    lookupDir: values.dir!,
    longs: 'number',
    groupPrefix: 'bench.lookups',
    log,
    onSkip: (reason) => {
      throw new Error(`skipped a table record: ${reason}`);
    },
    onCrash: (error) => {
      throw error;
    },
  },
);
gc();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
await table.start();
await table.restored;
const restoreMs = performance.now() - started;
gc();
const heapAfter = process.memoryUsage().heapUsed;
const rssAfter = process.memoryUsage().rss;
const entries = table.store.entries();

// One get of a present key, over 1M calls spread over the table.
const calls = 1_000_000;
let found = 0;
const t0 = performance.now();
for (let i = 0; i < calls; i++) if (table.store.get(`c-${(i * 7919) % entries}`) !== undefined) found++;
const getNs = ((performance.now() - t0) * 1e6) / calls;
if (found !== calls) throw new Error(`${calls - found} gets missed`);

const report = {
  store,
  entries,
  restoreMs: Math.round(restoreMs),
  restoreRate: Math.round(entries / (restoreMs / 1000)),
  heapBytesPerEntry: Math.round((heapAfter - heapBefore) / entries),
  rssBytesPerEntry: Math.round((rssAfter - rssBefore) / entries),
  storeBytesPerEntry: Math.round(table.store.bytes() / entries),
  getNs: Math.round(getNs),
};
await table.stop();
await admin.disconnect();
console.log(JSON.stringify(report));
