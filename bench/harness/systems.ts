/**
 * The systems of `npm run bench:compare` (and `npm run bench:profile`), each run as its own
 * process against one input topic with its own consumer group and output topic:
 *   (a) bench/processes/passthrough.ts: kafkajs consume -> produce of the same bytes, dataprod's I/O shape;
 *   (b) `node bin/dataprod.js run <copy of bench/products/orders-wide>`;
 *   (c) bench/processes/baseline.ts: per-record async decode / transform / encode / await send.
 * The others are variants of a or b with one setting changed, to see what each part of the
 * worker's shape is worth in the same run.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNode, kill, type Child } from './child.js';
import type { Bench } from './context.js';
import { parseDocument } from 'yaml';
import { CUSTOMER_SCHEMA_FILE, createTopics, deleteSubject, seedCustomers } from './kafka.js';
import { BENCH_PRODUCT_DIR, copyBenchProduct, repoRoot, uniqueSuffix, type BenchProduct } from './product.js';

export type SystemId = 'a' | 'b' | 'c' | 'a1' | 'b1' | 'b0' | 'bx' | 'bl' | 'k' | 'bn' | 'b2' | 'bs' | 'bf';
export const SYSTEM_IDS: readonly SystemId[] = ['a', 'b', 'c', 'a1', 'b1', 'b0', 'bx', 'bl', 'k', 'bn', 'b2', 'bs', 'bf'];
/** The systems a latency run can use: (k) is no consume-transform-produce, (b2) two processes. */
export const LATENCY_SYSTEM_IDS: readonly SystemId[] = SYSTEM_IDS.filter((id) => id !== 'k' && id !== 'b2');
const SEMI_SPACE_MIB = process.env.BENCH_SEMI_SPACE_MIB || '32';
export const SYSTEM_LABELS: Record<SystemId, string> = {
  a: '(a) kafkajs passthrough',
  b: '(b) dataprod run',
  c: '(c) hand-written baseline',
  a1: '(a1) kafkajs passthrough, one partition at a time',
  b1: '(b1) dataprod run, one partition at a time (the shape before this change)',
  b0: '(b0) dataprod run of another build (BENCH_B0_DIR: a checkout with its own dist/; on BENCH_B0_NODE when set)',
  bx: '(bx) dataprod run, the product with delivery: exactly-once',
  bl: '(bl) dataprod run, the product with one ctx.lookup per record (a memory lookup table of its customers)',
  k: "(k) Kafka's own consumer-perf-test + producer-perf-test at once (the limit)",
  bn: '(bn) dataprod run on another Node (BENCH_NODE, e.g. the system /usr/bin/node)',
  b2: '(b2) two dataprod run processes in one consumer group (scale-out)',
  bs: `(bs) dataprod run with --max-semi-space-size=${SEMI_SPACE_MIB} (BENCH_SEMI_SPACE_MIB; 32 = Node 24's own on this heap, where dataprod run sets 16)`,
  bf: "(bf) dataprod run with --max-partition-fetch-bytes 1048576 (the Java consumer's and kafkajs's default)",
};
/** Node flags of a variant, before the run's own. */
const VARIANT_NODE_ARGS: Partial<Record<SystemId, string[]>> = {
  bs: [`--max-semi-space-size=${SEMI_SPACE_MIB}`],
};
/** Processes a system runs as (scale-out: replicas in one group). */
const REPLICAS: Partial<Record<SystemId, number>> = { b2: 2 };
/** The system a variant is a variant of. */
export function kindOf(system: SystemId): 'a' | 'b' | 'c' {
  return system[0] as 'a' | 'b' | 'c';
}
/** What the variants change: dataprod's settings (env) and the passthrough's concurrency. */
const VARIANT_ENV: Partial<Record<SystemId, Record<string, string>>> = {
  b1: { DATAPROD_PARTITIONS_CONCURRENTLY: '1' },
  bf: { DATAPROD_MAX_PARTITION_FETCH_BYTES: '1048576' },
};
/** (a) handles as many partitions at once as dataprod does by default (--partitions-concurrently). */
const PASSTHROUGH_CONCURRENCY: Partial<Record<SystemId, string>> = { a: '3', a1: '1' };

/** One system's consumer group and topics for one run. */
export interface Deployment {
  system: SystemId;
  inputTopic: string;
  group: string;
  outputTopic: string;
  dlqTopic?: string;
  product?: BenchProduct;
  /** The schema the output values are written with: the raw one for (a), the output one otherwise. */
  outputSchemaFile: string;
  /** Deletes its topics, groups (its own and `extraGroups`), subjects and product folder, best effort. */
  remove(): Promise<void>;
}

/**
 * Names the run's group and output topic(s) and creates the topics with the input's partition
 * count (so dataprod's own topic creation finds them and does nothing, like the others).
 * `extraGroups` (a latency sink's) are deleted with it.
 */
export async function deploy(bench: Bench, system: SystemId, inputTopic: string, extraGroups: string[] = []): Promise<Deployment> {
  const suffix = uniqueSuffix();
  const product = kindOf(system) === 'b' ? copyBenchProduct(inputTopic) : undefined;
  // A descriptor setting, not a worker option: the copy's product.yaml says it.
  if (product && system === 'bx') appendFileSync(join(product.dir, 'product.yaml'), '\ndelivery: exactly-once\n');
  if (product && system === 'bl') await addCustomerLookup(bench, product);
  const outputTopic = product?.outputTopic ?? `bench.out-${system}.${suffix}`;
  const dlqTopic = product?.dlqTopic;
  const group = product?.group ?? `bench.${system}.${suffix}`;
  const subjects = product || system === 'c' ? [`${outputTopic}-value`] : [];
  const topics = [outputTopic, ...(dlqTopic ? [dlqTopic] : [])];
  const remove = bench.cleanup.add(async () => {
    await bench.admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
    await bench.admin.deleteGroups([group, ...extraGroups]).catch(() => undefined);
    for (const subject of subjects) await deleteSubject(bench.stack.schemaRegistryUrl, subject);
    product?.remove();
  });
  await createTopics(bench, topics);
  const outputSchema = kindOf(system) === 'a' ? 'raw-order.avsc' : 'orders-enriched.avsc';
  return {
    system,
    inputTopic,
    group,
    outputTopic,
    dlqTopic,
    product,
    outputSchemaFile: join(BENCH_PRODUCT_DIR, 'schemas', outputSchema),
    remove,
  };
}

/**
 * (bl): the copy gets a lookup table of the customers its orders name (c-0 .. c-996, seeded on a
 * compacted topic of its own) and a transform that reads it once per record before the bench
 * transform; a miss throws, so a drain without dead letters proves every lookup hit.
 */
async function addCustomerLookup(bench: Bench, product: BenchProduct): Promise<void> {
  const topic = `bench.customers.${uniqueSuffix()}`;
  const seeded = await seedCustomers(bench, topic, CUSTOMERS_OF_ORDERS);
  bench.cleanup.add(() => seeded.drop());
  copyFileSync(CUSTOMER_SCHEMA_FILE, join(product.dir, 'schemas', 'customer.avsc'));
  writeFileSync(
    join(product.dir, 'transform-lookup.ts'),
    [
      "import { defineTransform } from 'dataprod';",
      "import bench from './transform.js';",
      '',
      'export default defineTransform<{ customer_id: string }, unknown>((order, ctx) => {',
      "  if (ctx.lookup('customers', order.customer_id) === undefined) throw new Error('unknown customer');",
      '  return bench.fn(order as never, ctx);',
      '});',
      '',
    ].join('\n'),
  );
  const file = join(product.dir, 'product.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.set('transform', 'transform-lookup.ts');
  doc.set('lookups', [{ name: 'customers', topic, schema: 'schemas/customer.avsc' }]);
  writeFileSync(file, doc.toString());
}

/** The customer ids the bench orders name: `c-${seq % 997}` (src/tools/demo/generators.ts). */
const CUSTOMERS_OF_ORDERS = 997;

/** A deployment's running process: the first of its replicas (usually the only one). */
export interface Running extends Child {
  deployment: Deployment;
  /** Every process of the system, this one first; CPU and memory are their sums. */
  replicas: Child[];
}

/** Spawns the system; `nodeArgs` go after the run's own (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
export function start(bench: Bench, d: Deployment, options: { nodeArgs?: string[] } = {}): Running {
  const brokers = bench.stack.brokers.join(',');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const tsx = (script: string, ...args: string[]) => [
    '--import',
    'tsx',
    join(repoRoot, 'bench', 'processes', script),
    '--brokers',
    brokers,
    ...args,
  ];
  let args: string[];
  if (kindOf(d.system) === 'b') {
    // b0: an earlier build against this one in the same run (e.g. a git worktree of the commit before a change).
    const root = d.system === 'b0' ? process.env.BENCH_B0_DIR : repoRoot;
    if (d.system === 'bn' && !process.env.BENCH_NODE) throw new Error('system bn needs BENCH_NODE: the path of another node binary');
    if (!root) throw new Error('system b0 needs BENCH_B0_DIR: a checkout of dataprod with its dist/ built');
    args = [join(root, 'bin', 'dataprod.js'), 'run', d.product!.dir];
    Object.assign(env, VARIANT_ENV[d.system] ?? {}, {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: bench.stack.schemaRegistryUrl,
      DATAPROD_HTTP_HOST: '127.0.0.1',
      DATAPROD_HTTP_PORT: '0',
      DATAPROD_LOG_LEVEL: 'warn',
    });
  } else if (kindOf(d.system) === 'a') {
    args = tsx(
      'passthrough.ts',
      '--input',
      d.inputTopic,
      '--output',
      d.outputTopic,
      '--group',
      d.group,
      '--concurrency',
      PASSTHROUGH_CONCURRENCY[d.system]!,
    );
  } else {
    args = tsx(
      'baseline.ts',
      '--registry',
      bench.stack.schemaRegistryUrl,
      '--input',
      d.inputTopic,
      '--output',
      d.outputTopic,
      '--group',
      d.group,
      '--product',
      BENCH_PRODUCT_DIR,
    );
  }
  // bn: this build on another Node; b0: the other build, on BENCH_B0_NODE when set (before = an older build on an older Node).
  const node = d.system === 'bn' ? process.env.BENCH_NODE : d.system === 'b0' ? process.env.BENCH_B0_NODE || undefined : undefined;
  const replicas = Array.from({ length: REPLICAS[d.system] ?? 1 }, () => {
    const nodeArgs = [...bench.nodeArgs, ...(VARIANT_NODE_ARGS[d.system] ?? []), ...(options.nodeArgs ?? [])];
    const child = spawnNode([...nodeArgs, ...args], repoRoot, env, node);
    const release = bench.cleanup.add(() => kill(child));
    child.process.once('exit', () => void release());
    return child;
  });
  return { ...replicas[0]!, deployment: d, replicas };
}
