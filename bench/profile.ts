/**
 * `npm run bench:profile`: one drain of a seeded backlog by one system of bench:compare (default
 * (b): `node --cpu-prof bin/dataprod.js run`; node 20 refuses --cpu-prof in NODE_OPTIONS), then a
 * summary of the main thread's profile restricted to the drain window (first commit seen to all
 * committed): self time by origin and by function, and inclusive time of dataprod's functions
 * (bench/cpuprofile-summary.ts). Profiling slows the worker down a little: the printed rate is not
 * a benchmark result.
 *
 *   npm run bench:profile
 *   npm run bench:profile -- --records 1000000 --system b --top 40
 *   npm run bench:profile -- --system a          # the kafkajs passthrough, for comparison
 *
 * The profile stays in .cache/bench-profiles/ (git-ignored) for Chrome DevTools or speedscope.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { RegistryClient } from '../src/contracts/registry-client.js';
import { startStack } from '../src/devstack/index.js';
import { formatSummary, summarize, type CpuProfile } from './cpuprofile-summary.js';
import { backgroundCores, machineDescription, repoRoot, uniqueSuffix } from './support.js';
import { deleteSubject, deploy, drainMetrics, kill, seedTopic, start, stop, SYSTEM_IDS, SYSTEM_LABELS, teardown, watchDrain, type BenchContext, type SystemId } from './systems.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '3' },
    system: { type: 'string', default: 'b' },
    top: { type: 'string', default: '30' },
    'cap-seconds': { type: 'string', default: '60' },
    /** Extra node flags for the profiled process, space-separated (e.g. --max-semi-space-size=32). */
    'node-args': { type: 'string', default: '' },
  },
});
const RECORDS = Number(values.records);
const PARTITIONS = Number(values.partitions);
const system = values.system as SystemId;
if (!SYSTEM_IDS.includes(system)) throw new Error(`--system ${values.system}: one of a, b, c`);

const machine = machineDescription();
const stack = await startStack();
const kafka = new Kafka({ clientId: 'dataprod-bench-profile', brokers: stack.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const registry = new RegistryClient({ url: stack.schemaRegistryUrl });
const ctx: BenchContext = { stack, admin, partitions: PARTITIONS };
const dir = join(repoRoot, '.cache', 'bench-profiles', uniqueSuffix());
mkdirSync(dir, { recursive: true });

let failed = false;
const inputTopic = `bench.prof.${uniqueSuffix()}`;
try {
  await admin.connect();
  process.stdout.write(`seeding ${RECORDS} records into ${inputTopic}... `);
  const seeded = await seedTopic(kafka, admin, registry, inputTopic, PARTITIONS, RECORDS, 4);
  console.log(`${Math.round(seeded.rate)} records/s, ${seeded.meanValueBytes.toFixed(0)} bytes per value`);
  const background = await backgroundCores();
  const d = await deploy(system, ctx, inputTopic);
  const nodeArgs = values['node-args'].split(' ').filter(Boolean);
  const r = start(d, ctx, { nodeArgs: [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`] });
  try {
    const drain = await watchDrain(r, admin, { target: RECORDS, capMs: Number(values['cap-seconds']) * 1000, firstCommitTimeoutMs: 120_000, pollMs: 200 });
    const stopped = await stop(r);
    if (stopped.exitCode !== 0) {
      failed = true;
      console.error(`${SYSTEM_LABELS[system]} exited with ${stopped.exitCode}:\n${r.log()}`);
    }
    const m = drainMetrics(drain, r.spawnedAt, machine.cores);
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, one per thread: the main thread is 0 (a
    // worker thread, such as tsx's loader, writes its own).
    const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(r.pid) && f.split('.')[4] === '0');
    if (!name) throw new Error(`no main-thread .cpuprofile of pid ${r.pid} in ${dir}: ${readdirSync(dir).join(', ')}`);
    const file = join(dir, name);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    console.log(`
${SYSTEM_LABELS[system]} under --cpu-prof${nodeArgs.length > 0 ? ` with ${nodeArgs.join(' ')}` : ''}: ${m.rate.toFixed(0)} events/s over ${m.drained} records in ${m.drainSeconds.toFixed(1)} s${drain.complete ? '' : ' (cut)'}, ` +
      `${m.drainCpuPerMillion.toFixed(1)} drain CPU s / M, ${m.workerCores.toFixed(2)} worker cores, ${m.mainThreadCores.toFixed(2)} main thread cores, background cores ${background.toFixed(2)}
profile: ${file.slice(repoRoot.length + 1)}; drain window ${((drain.last.monoUs - drain.first.monoUs) / 1e6).toFixed(1)} s, starting ${((drain.first.monoUs - profile.startTime) / 1e6).toFixed(1)} s after the profile's start
again: npx tsx bench/cpuprofile-summary.ts ${file.slice(repoRoot.length + 1)} --from-us ${drain.first.monoUs} --to-us ${drain.last.monoUs}
`);
    console.log(formatSummary(summarize(profile, { fromUs: drain.first.monoUs, toUs: drain.last.monoUs, top: Number(values.top) })));
  } finally {
    await kill(r);
    await teardown(d, ctx);
  }
} catch (err) {
  failed = true;
  console.error(`profile failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await admin.deleteTopics({ topics: [inputTopic], timeout: 30_000 }).catch(() => undefined);
  await deleteSubject(stack.schemaRegistryUrl, `${inputTopic}-value`);
  await admin.disconnect().catch(() => undefined);
  await stack.stop();
}
process.exit(failed ? 1 : 0);
