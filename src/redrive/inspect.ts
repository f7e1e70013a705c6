import type { RegistryClient } from '../contracts/registry-client.js';
import type { Admin, KafkaClient } from '../kafka/client.js';
import { readTopicOnce, type ReadProgress, type ReadResult, type ReadWindow } from '../kafka/topic-reader.js';
import type { AvroSchema, ProductDescriptor } from '../product/types.js';
import { readDeadLetter, replayGroupOf } from './dead-letter-record.js';
import { offsetOf, type OffsetWindow } from './offset-window.js';
import { classifiedNames, renderSample, type Sample } from './sample.js';
import { inRange, type Selection } from './selection.js';
import { DeadLetterSummary, type DeadLetterCounts } from './summary.js';

/**
 * `dataprod dlq inspect`: reads the product's dead-letter topic once, from its earliest retained
 * offset to the end it had when the read began (on a throwaway consumer group, deleted after, that
 * commits nothing), counts what it finds in the time range, and renders a few samples per reason.
 * An offset window and --since narrow the read itself (it seeks): a time-bounded inspect of a large
 * topic fetches from the first record at or after --since. --until only filters: a dead letter a
 * replay copied forward keeps its old timestamp at a later offset, so timestamps are not ordered
 * by offset and no record after the first one past --until can be skipped unread.
 */

export interface InspectReport extends DeadLetterCounts {
  product: string;
  topic: string;
  /** Dead-letter records read, in the range or not, copies and earlier attempts included. */
  read: number;
  /** The offsets read per partition (from inclusive, to exclusive). */
  ranges: ReadResult['ranges'];
  samples: Sample[];
}

export interface InspectDeps {
  kafka: KafkaClient;
  admin: Admin;
  registry: RegistryClient;
  sessionTimeoutMs: number;
}

export async function inspectDeadLetters(
  product: ProductDescriptor,
  deps: InspectDeps,
  range: Pick<Selection, 'sinceMs' | 'untilMs'> & { offsets?: OffsetWindow },
  onProgress?: (progress: ReadProgress) => void,
): Promise<InspectReport> {
  const summary = new DeadLetterSummary();
  const { offsets } = range;
  const window: ReadWindow = {
    ...(offsets?.partitions ? { partitions: offsets.partitions } : {}),
    ...(offsets ? { from: (p: number) => offsetOf(offsets.from, p), to: (p: number) => offsetOf(offsets.to, p) } : {}),
    ...(range.sinceMs !== undefined ? { sinceMs: range.sinceMs } : {}),
  };
  const group = { throwaway: `${product.consumerGroup}.dlq-inspect` };
  const progress = await readTopicOnce(
    deps.kafka,
    deps.admin,
    { topic: product.deadLetter.topic, group, sessionTimeoutMs: deps.sessionTimeoutMs, onProgress, window },
    async ({ partition, messages }) => {
      for (const m of messages) {
        const letter = readDeadLetter(partition, m);
        if (inRange(letter, range)) summary.add(letter);
      }
    },
  );
  // Read after the topic, so a replay that ran meanwhile counts what it did.
  const [committed] = await deps.admin.fetchOffsets({ groupId: replayGroupOf(product), topics: [product.deadLetter.topic] });
  const frontier = new Map((committed?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, BigInt(p.offset)]));
  const schemas = new Map<number, Promise<AvroSchema | undefined>>();
  const writerSchema = (id: number) => {
    if (!schemas.has(id)) schemas.set(id, deps.registry.schemaById(id));
    return schemas.get(id)!;
  };
  const classified = classifiedNames(product.output.classification);
  const samples: Sample[] = [];
  for (const letters of summary.samples.values()) {
    for (const letter of letters) samples.push(await renderSample(letter, writerSchema, classified));
  }
  return {
    product: product.majorId,
    topic: product.deadLetter.topic,
    read: progress.read,
    ranges: progress.ranges,
    ...summary.counts(frontier),
    samples,
  };
}

/** The report as a table for people. */
export function formatInspectReport(report: InspectReport): string {
  const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
  const lines = [
    `${report.product}: ${report.total} dead letters in ${report.topic}` +
      (report.total > 0 ? ` from ${when(report.firstMs)} to ${when(report.lastMs)}` : '') +
      ` (${report.read} records read)`,
    `offsets read: ${report.ranges.map((r) => `${r.partition}:${r.from}..${r.to}`).join(' ') || '(none)'} (partition:from..to, to exclusive)`,
    `truncated: ${report.truncated}`,
  ];
  const tables: [string, Record<string, number>][] = [
    ['status', report.byStatus],
    ['reason', report.byReason],
    ['stage', report.byStage],
    ['rule', report.byRule],
    ['field', report.byField],
    ['schema id', report.bySchemaId],
    ['source partition', report.bySource],
    ['attempt', report.byAttempt],
  ];
  for (const [title, counts] of tables) {
    const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (rows.length === 0) continue;
    const width = Math.max(title.length, ...rows.map(([k]) => k.length));
    lines.push('', `${title.padEnd(width)}  count`);
    for (const [k, n] of rows) lines.push(`${k.padEnd(width)}  ${String(n).padStart(5)}`);
  }
  if (report.samples.length > 0) lines.push('', 'samples (pii masked, long values cut):');
  for (const s of report.samples) {
    const what = [s.reason, s.rule && `rule ${s.rule}`, s.field && `field ${s.field}`].filter(Boolean).join(', ');
    lines.push(
      `  ${report.topic}[${s.partition}]@${s.offset}  ${what}  key ${s.key ?? '(none)'}  source ${s.source ?? '(unknown)'}  attempt ${s.attempt}${s.parked ? ' (parked)' : ''}`,
      `    ${cutLine(typeof s.value === 'string' ? s.value : JSON.stringify(s.value))}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A sample on one screen line; --json has all of it. */
const SAMPLE_LINE = 150;
const cutLine = (line: string) => (line.length <= SAMPLE_LINE ? line : `${line.slice(0, SAMPLE_LINE)}…`);
