/**
 * `npm run bench:profile`: one drain of a seeded backlog by one system of bench:compare (default
 * (b): `node --cpu-prof bin/dataprod.js run`; node 20 refuses --cpu-prof in NODE_OPTIONS), then a
 * summary of the main thread's profile restricted to the drain window (first commit seen to all
 * committed): self time by origin and by function, and inclusive time of dataprod's functions
 * (bench/harness/cpuprofile-summary.ts). Profiling slows the worker down a little: the printed
 * rate is not a benchmark result.
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
import { nodeArgsOf, positive } from './harness/args.js';
import { openBench } from './harness/context.js';
import { formatSummary, summarize, type CpuProfile } from './harness/cpuprofile-summary.js';
import { runDrain, type DrainResult } from './harness/drain.js';
import { seedTopic } from './harness/kafka.js';
import { repoRoot, uniqueSuffix } from './harness/product.js';
import { drainLine } from './harness/report.js';
import { SYSTEM_IDS, SYSTEM_LABELS, type SystemId } from './harness/systems.js';

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
const records = positive('records', values.records);
const system = values.system as SystemId;
// One Node process to profile: not Kafka's perf tools (k), not two replicas (b2).
const PROFILED: readonly SystemId[] = SYSTEM_IDS.filter((id) => id !== 'k' && id !== 'b2');
if (!PROFILED.includes(system)) throw new Error(`--system ${values.system}: one of ${PROFILED.join(', ')}`);
const top = positive('top', values.top);
const capMs = positive('cap-seconds', values['cap-seconds'], false) * 1000;
const nodeArgs = nodeArgsOf(values['node-args']);

/** The main thread's profile of pid: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, thread 0 (tsx's loader thread writes its own). */
function mainThreadProfile(dir: string, pid: number): string {
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid) && f.split('.')[4] === '0');
  if (!name) throw new Error(`no main-thread .cpuprofile of pid ${pid} in ${dir}: ${readdirSync(dir).join(', ')}`);
  return join(dir, name);
}

function report(res: DrainResult, file: string): string {
  const { first, last } = res.drain;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const where = file.slice(repoRoot.length + 1);
  return `
${SYSTEM_LABELS[res.system]} under --cpu-prof${nodeArgs.length > 0 ? ` with ${nodeArgs.join(' ')}` : ''}, main thread ${res.m.mainThreadCores.toFixed(2)} cores, background cores ${res.backgroundCores.toFixed(2)}
profile: ${where}; drain window ${((last.monoUs - first.monoUs) / 1e6).toFixed(1)} s, starting ${((first.monoUs - profile.startTime) / 1e6).toFixed(1)} s after the profile's start
again: npx tsx bench/harness/cpuprofile-summary.ts ${where} --from-us ${first.monoUs} --to-us ${last.monoUs}

${formatSummary(summarize(profile, { fromUs: first.monoUs, toUs: last.monoUs, top }))}`;
}

const bench = await openBench('dataprod-bench-profile', { partitions: positive('partitions', values.partitions), nodeArgs });
const dir = join(repoRoot, '.cache', 'bench-profiles', uniqueSuffix());
mkdirSync(dir, { recursive: true });
let failed = false;
try {
  const topic = `bench.prof.${uniqueSuffix()}`;
  process.stdout.write(`seeding ${records} records into ${topic}... `);
  const input = await seedTopic(bench, topic, records, 4);
  console.log(`${Math.round(input.rate)} records/s, ${input.meanValueBytes.toFixed(0)} bytes per value`);
  const res = await runDrain(bench, system, 1, topic, { records, capMs, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  console.log(drainLine(res));
  failed = res.problems.length > 0;
  console.log(report(res, mainThreadProfile(dir, res.pid)));
} catch (err) {
  failed = true;
  console.error(`profile failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await bench.close();
}
process.exit(failed ? 1 : 0);
