/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function (name + file:line),
 * self time by where the code comes from (dataprod, kafkajs, avsc, node internals, GC...), and
 * inclusive time of dataprod's own functions, optionally restricted to a time window.
 *
 *   npx tsx bench/harness/cpuprofile-summary.ts <file.cpuprofile> [--from-us N] [--to-us N] [--top 30]
 *   npx tsx bench/harness/cpuprofile-summary.ts <file.cpuprofile> [--from-s N] [--to-s N]
 *
 * --from-us / --to-us are CLOCK_MONOTONIC microseconds (process.hrtime), the clock of the
 * profile's startTime on Linux; bench/profile.ts passes its drain window and prints them.
 * --from-s / --to-s are seconds after the profile's start.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot } from './product.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  where: string;
  category: string;
  ms: number;
  share: number;
}

export interface Summary {
  /** Sampled time in the window, ms (idle included). */
  totalMs: number;
  /** Sampled time in the window that is not (idle), ms. */
  busyMs: number;
  windowMs: number;
  samples: number;
  self: Entry[];
  categories: { category: string; ms: number; share: number }[];
  /** The same with node internals and V8 builtins charged to the nearest caller outside them. */
  charged: { category: string; ms: number; share: number }[];
  /** Inclusive (self + callees) time of dataprod's functions, share of busy time. */
  inclusive: Entry[];
}

/** Which part of the process a frame belongs to. */
export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(root)') return 'root';
    return 'V8 builtins / native';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/.cache/bench-products/') || url.includes('/bench/products/')) return 'product transform';
  if (url.includes('/dist/') || url.includes('/src/')) return 'dataprod';
  if (url.includes('/bench/')) return 'bench';
  return 'other';
}

function displayUrl(url: string): string {
  if (url === '') return '';
  try {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    return path.startsWith('/') ? relative(repoRoot, path) : path;
  } catch {
    return url;
  }
}

export function summarize(profile: CpuProfile, options: { fromUs?: number; toUs?: number; top?: number } = {}): Summary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = (f: CallFrame) => `${f.functionName || '(anonymous)'}\u0000${f.url}:${f.lineNumber + 1}`;
  const self = new Map<string, { frame: CallFrame; us: number }>();
  const inclusive = new Map<string, { frame: CallFrame; us: number }>();
  const categories = new Map<string, number>();
  const charged = new Map<string, number>();
  const NATIVE = new Set(['node internals', 'V8 builtins / native']);
  let total = 0;
  let idle = 0;
  let count = 0;
  const from = options.fromUs ?? -Infinity;
  const to = options.toUs ?? Infinity;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!)!;
    const frame = node.callFrame;
    count += 1;
    total += us;
    const category = categoryOf(frame);
    if (category === 'idle') idle += us;
    categories.set(category, (categories.get(category) ?? 0) + us);
    let payer = category;
    for (let id = parent.get(node.id); NATIVE.has(payer) && id !== undefined; id = parent.get(id)) {
      const c = categoryOf(byId.get(id)!.callFrame);
      if (c !== 'root') payer = c;
    }
    charged.set(payer, (charged.get(payer) ?? 0) + us);
    const key = keyOf(frame);
    const s = self.get(key) ?? { frame, us: 0 };
    s.us += us;
    self.set(key, s);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (categoryOf(f) !== 'dataprod') continue;
      const k = keyOf(f);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { frame: f, us: 0 };
      e.us += us;
      inclusive.set(k, e);
    }
  }
  const busy = total - idle;
  const byShare = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([category]) => category !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: us / 1000, share: busy > 0 ? us / busy : Number.NaN }));
  const top = options.top ?? 30;
  const entries = (m: Map<string, { frame: CallFrame; us: number }>, of: number) =>
    [...m.values()]
      .filter(({ frame }) => categoryOf(frame) !== 'idle')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ frame, us }) => ({
        name: frame.functionName || '(anonymous)',
        where: frame.url ? `${displayUrl(frame.url)}:${frame.lineNumber + 1}` : '',
        category: categoryOf(frame),
        ms: us / 1000,
        share: of > 0 ? us / of : Number.NaN,
      }));
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    windowMs: (Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000,
    samples: count,
    self: entries(self, busy),
    categories: byShare(categories),
    charged: byShare(charged),
    inclusive: entries(inclusive, busy),
  };
}

export function formatSummary(s: Summary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  const ms = (x: number) => x.toFixed(0).padStart(7);
  const lines = [
    `${s.samples} samples over ${s.totalMs.toFixed(0)} ms, ${s.busyMs.toFixed(0)} ms of them not idle (${((s.busyMs / s.totalMs) * 100).toFixed(0)}% of the main thread's time); shares below are of the not-idle time`,
    '',
    'self time by origin:',
    ...s.categories.map((c) => `  ${pct(c.share)} ${ms(c.ms)} ms  ${c.category}`),
    '',
    'the same, node internals and V8 builtins (Buffer allocation, string coding...) charged to their nearest caller outside them:',
    ...s.charged.map((c) => `  ${pct(c.share)} ${ms(c.ms)} ms  ${c.category}`),
    '',
    'self time by function:',
    ...s.self.map((e) => `  ${pct(e.share)} ${ms(e.ms)} ms  ${e.name}  [${e.category}] ${e.where}`),
    '',
    "inclusive time of dataprod's functions (self + everything they call synchronously):",
    ...s.inclusive.map((e) => `  ${pct(e.share)} ${ms(e.ms)} ms  ${e.name}  ${e.where}`),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'from-us': { type: 'string' },
      'to-us': { type: 'string' },
      'from-s': { type: 'string' },
      'to-s': { type: 'string' },
      top: { type: 'string', default: '30' },
    },
  });
  const file = positionals[0];
  if (!file)
    throw new Error(
      'usage: tsx bench/harness/cpuprofile-summary.ts <file.cpuprofile> [--from-us N --to-us N | --from-s N --to-s N] [--top N]',
    );
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const opts: { fromUs?: number; toUs?: number; top?: number } = { top: Number(values.top) };
  if (values['from-us']) opts.fromUs = Number(values['from-us']);
  if (values['to-us']) opts.toUs = Number(values['to-us']);
  if (values['from-s']) opts.fromUs = profile.startTime + Number(values['from-s']) * 1e6;
  if (values['to-s']) opts.toUs = profile.startTime + Number(values['to-s']) * 1e6;
  console.log(formatSummary(summarize(profile, opts)));
}
