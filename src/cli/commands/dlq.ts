import { writeFileSync } from 'node:fs';
import { loadRuntimeConfig, readOptions, type OptionValues } from '../../config/runtime.js';
import { RegistryClient } from '../../contracts/registry-client.js';
import { ConfigError, DataprodError, type ConfigIssue } from '../../errors.js';
import { createKafka, createProducer } from '../../kafka/client.js';
import type { ReadProgress } from '../../kafka/topic-reader.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { DLQ_REASONS } from '../../pipeline/processor.js';
import { loadProducts, type LoadedProduct } from '../../product/index.js';
import type { parseOffsetWindow } from '../../redrive/offset-window.js';
import type { Command } from '../command.js';

/** `dataprod dlq inspect|replay`: argument handling and printing only; src/redrive does the work. */

const SUBCOMMANDS = ['inspect', 'replay'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The time range of --since/--until and the offset window, with --reason checked too: every problem at once. */
function selectionRanges(values: OptionValues, parseTime: (text: string) => number | undefined, offsetWindow: typeof parseOffsetWindow) {
  const issues: ConfigIssue[] = [];
  const at = (flag: 'since' | 'until') => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const ms = parseTime(text);
    if (ms === undefined)
      issues.push({ path: `--${flag}`, message: `must be an ISO 8601 time (2026-11-30T05:00:00Z) or ms since the epoch, got "${text}"` });
    return ms;
  };
  // A reason mistyped would select nothing and copy every dead letter forward: refuse it.
  const unknown = (values.reason ?? []).filter((r) => !(DLQ_REASONS as readonly string[]).includes(r));
  if (unknown.length > 0)
    issues.push({
      path: '--reason',
      message: `${unknown.map((r) => `"${r}"`).join(', ')}: not a dead-letter reason; one of ${DLQ_REASONS.join(', ')}`,
    });
  const offsets = offsetWindow(values['from-offset'], values['to-offset']);
  issues.push(...offsets.issues);
  const range = { sinceMs: at('since'), untilMs: at('until'), ...(offsets.window ? { offsets: offsets.window } : {}) };
  if (range.sinceMs !== undefined && range.untilMs !== undefined && range.untilMs <= range.sinceMs)
    issues.push({ path: '--until', message: 'must be later than --since' });
  if (issues.length) throw new ConfigError(issues);
  return range;
}

/** Progress on stderr, at most once a second, so a long read shows it is moving. */
function progressLine(what: string): (progress: ReadProgress, suffix?: string) => void {
  let shownAt = 0;
  return (progress, suffix = '') => {
    const now = Date.now();
    if (now - shownAt < 1000 && progress.read < progress.total) return;
    shownAt = now;
    const share = progress.total > 0 ? Math.floor((progress.read / progress.total) * 100) : 100;
    process.stderr.write(`${what}: ${progress.read}/${progress.total} dead letters read (${share}%)${suffix}\n`);
  };
}

export const dlq: Command = {
  name: 'dlq',
  summary: "inspect a product's dead letters, or replay them through the current product (dlq inspect|replay)",
  description:
    'dataprod dlq inspect <product folders>: counts by reason, stage, rule, field, schema id, source partition and\n' +
    'attempt, first and last times, and samples decoded with their writer schema (pii masked). --since/--until,\n' +
    '--from-offset/--to-offset (offset or partition:offset,...; they and --since seek, reading only the range), --json.\n' +
    'dataprod dlq replay <product folders>: runs the selected dead letters through the product again and publishes\n' +
    'them, resumable (consumer group dataprod.<id>.v<major>.dlq-replay); still-bad ones are dead-lettered again with\n' +
    'the attempt raised, parked at --max-attempts. --reason, --rule, --key, --since/--until, --dry-run, --rate,\n' +
    '--include-parked, --from-offset/--to-offset, --json, --metrics-file. One replay per product at a time (a second is\n' +
    'refused); --dry-run reads on a group of its own. docs/runtime.md#dead-letter-redrive explains both.',
  async run(positionals, flags) {
    const [sub, ...dirs] = positionals;
    if (!SUBCOMMANDS.includes(sub as Subcommand)) {
      console.error(
        `dataprod dlq: say what to do: dataprod dlq inspect|replay [options] [product folders...]${sub ? ` (got "${sub}")` : ''}`,
      );
      return 2;
    }
    const values = readOptions('dlq', flags, process.env);
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: true, registry: true } });
    const { parseTime } = await import('../../redrive/selection.js');
    const { parseOffsetWindow } = await import('../../redrive/offset-window.js');
    const range = selectionRanges(values, parseTime, parseOffsetWindow);
    // Logs (kafkajs warnings) go to stderr: stdout is the command's result.
    const logger = createLogger('warn', process.stderr);
    // inspect needs the descriptor only; replay runs the transform.
    const loaded = sub === 'replay' ? await loadProducts(dirs) : await loadProducts(dirs, { loadTransform: false });
    const kafka = createKafka(config.kafka, logger);
    const registry = new RegistryClient(config.registry);
    const admin = kafka.admin();
    const producer = createProducer(kafka);
    const json = values.json === true;
    const results: unknown[] = [];
    let code = 0;
    try {
      await admin.connect();
      const { requireTopics, requireWindowPartitions } = await import('../../redrive/preflight.js');
      await requireTopics(
        admin,
        loaded.map((p) => p.descriptor),
      );
      await requireWindowPartitions(
        admin,
        loaded.map((p) => p.descriptor),
        range.offsets,
      );
      if (sub === 'inspect') {
        const { formatInspectReport, inspectDeadLetters } = await import('../../redrive/inspect.js');
        for (const { descriptor } of loaded) {
          const report = await inspectDeadLetters(
            descriptor,
            { kafka, admin, registry, sessionTimeoutMs: config.sessionTimeoutMs },
            range,
            progressLine(`inspect ${descriptor.deadLetter.topic}`),
          );
          if (json) results.push(report);
          else process.stdout.write(formatInspectReport(report));
        }
      } else {
        const { replayDeadLetters } = await import('../../redrive/replay.js');
        const metrics = new Metrics(new (await import('prom-client')).Registry());
        const dryRun = values['dry-run'] === true;
        if (!dryRun) await producer.connect();
        for (const product of loaded as LoadedProduct[]) {
          const { descriptor } = product;
          const show = progressLine(`replay ${descriptor.deadLetter.topic}`);
          const tally = await replayDeadLetters(
            product,
            { kafka, admin, producer, registry, config, metrics, log: logger.child({ product: descriptor.majorId }) },
            {
              selection: {
                reasons: values.reason,
                rules: values.rule,
                key: values.key,
                ...range,
                includeParked: values['include-parked'] === true,
              },
              maxAttempts: values['max-attempts']!,
              dryRun,
              ratePerSecond: values.rate,
              onProgress: (progress, t) => show(progress, `; ${t.republished} republished, ${t.redeadLettered} dead-lettered again`),
            },
          );
          if (json) results.push({ product: descriptor.majorId, topic: descriptor.deadLetter.topic, dryRun, ...tally });
          else {
            const verb = dryRun ? 'dry run, nothing written: would replay' : 'replayed';
            console.log(
              `${descriptor.majorId}: ${verb} ${tally.replayed} dead letters of ${descriptor.deadLetter.topic}: ` +
                `${tally.republished} republished (${tally.outputs} outputs), ${tally.redeadLettered} dead-lettered again ` +
                `(${tally.parked} parked), ${tally.filtered} filtered; copied forward: ${tally.skippedParked} parked, ` +
                `${tally.carried} not selected; ${tally.unreplayable} unreplayable passed over`,
            );
          }
        }
        if (values['metrics-file'] !== undefined) writeFileSync(values['metrics-file'], await metrics.registry.metrics());
      }
      if (json) console.log(JSON.stringify(results.length === 1 ? results[0] : results, null, 2));
    } catch (err) {
      // The Kafka client's own errors (a broker that cannot be reached) are no bug of ours: say so plainly.
      const known =
        err instanceof DataprodError
          ? err
          : err instanceof Error && err.name.startsWith('KafkaJS')
            ? new DataprodError('BROKER_UNAVAILABLE', `Kafka: ${err.message}`, { cause: err })
            : undefined;
      if (!known) throw err;
      console.error(`dataprod dlq ${sub}: ${known.message}`);
      code = 1;
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    return code;
  },
};
