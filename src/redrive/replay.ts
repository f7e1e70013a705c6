import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { DataprodError } from '../errors.js';
import type { Admin, KafkaClient, Producer } from '../kafka/client.js';
import { readTopicOnce, type ReadProgress, type TopicBatch } from '../kafka/topic-reader.js';
import { checkLookupTopics } from '../lookups/preflight.js';
import { productLookupTables, type LookupTables } from '../lookups/tables.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchPlan } from '../pipeline/batch-plan.js';
import { decideBatch, warmSchemas } from '../pipeline/batch.js';
import type { LoadedProduct } from '../product/index.js';
import { buildProcessor } from '../runtime/batch-decider.js';
import { AtLeastOnceDelivery, ExactlyOnceDelivery, type Delivery } from '../runtime/delivery.js';
import { TopicLimits } from '../runtime/topic-limits.js';
import { originalRecord, readDeadLetter, replayGroupOf, type DeadLetterRecord, type SourcePosition } from './dead-letter-record.js';
import { refuseRunningReplay } from './preflight.js';
import { addTally, emptyTally, planReplay, type ReplayPlan, type ReplayTally } from './replay-plan.js';
import { judge, type Selection } from './selection.js';

/**
 * `dataprod dlq replay`: the product's dead letters, read once from its replay group's committed
 * offsets to the dead-letter topic's end, run through the product's current processor (the
 * worker's own decide and plan steps), written and committed through the worker's own delivery
 * (delivery.ts): under exactly-once, a step's outputs, dead letters and dead-letter offset are one
 * transaction; under at-least-once the offset is committed after the writes are acknowledged, so a
 * crash between the two writes that step again on the next run (the documented window).
 * One replay per product at a time (refuseRunningReplay). A dry run never joins the replay group:
 * it reads from the group's committed offsets on a throwaway group of its own, so it can run beside
 * a replay without taking its partitions.
 */

export interface ReplayOptions {
  selection: Selection;
  maxAttempts: number;
  /** Decide and count, write and commit nothing. */
  dryRun: boolean;
  /** Dead letters per second at most; undefined: as fast as the brokers acknowledge. */
  ratePerSecond?: number;
  onProgress?: (progress: ReadProgress, tally: ReplayTally) => void;
}

export interface ReplayDeps {
  kafka: KafkaClient;
  admin: Admin;
  /** The idempotent producer of at-least-once products. */
  producer: Producer;
  registry: RegistryClient;
  config: Readonly<RuntimeConfig>;
  metrics: Metrics;
  log: Logger;
}

export async function replayDeadLetters(loaded: LoadedProduct, deps: ReplayDeps, options: ReplayOptions): Promise<ReplayTally> {
  const product = loaded.descriptor;
  const { output, deadLetter } = product;
  if (!options.dryRun)
    await refuseRunningReplay(deps.admin, product, deps.config.sessionTimeoutMs + MEMBER_EXPIRY_MARGIN_MS, (message) =>
      deps.log.warn(message),
    );
  const registered = await deps.registry.lookup(output.subject, output.schema);
  if (!registered) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${product.majorId}: ${output.schemaFile} is not registered under ${output.subject}; run \`dataprod register\` before replaying`,
    );
  }
  const limits = new TopicLimits(deps.admin, [output.topic, deadLetter.topic]);
  await limits.refresh();
  const lookups = await restoreLookups(product, deps);
  const built = buildProcessor(product, loaded.transform, deps.registry, {
    outputSchemaId: registered.id,
    maxOutputBytes: limits.maxOutputBytes(output.topic, deps.config.maxOutputBytes),
    lookups: lookups.tables,
  });
  const group = replayGroupOf(product);
  const sendBytes = () => limits.sendBytes();
  let delivery: Delivery | undefined;
  if (!options.dryRun) {
    delivery =
      product.delivery === 'exactly-once'
        ? new ExactlyOnceDelivery(deps.kafka, deps.admin, group, sendBytes, deps.log)
        : new AtLeastOnceDelivery(deps.producer, sendBytes);
  }
  const inputTopics = new Set(product.inputPorts.map((p) => p.topic));
  const total = emptyTally();
  const pace = pacer(options.ratePerSecond);

  /**
   * A step, in three parts with their own failure semantics. Decide (the worker's decide and plan
   * steps): a record on an onInvalid: fail port, or a writer schema the registry cannot give, stops
   * the run before anything of the step is written.
   */
  const decide = async (letters: DeadLetterRecord[], nextOffset: string): Promise<ReplayPlan> => {
    // A table that can no longer follow its topic: stop before deciding on a stale table.
    if (lookups.failure) throw lookups.failure;
    const verdicts = letters.map((l) => judge(l, options.selection, inputTopics));
    const taken = letters.filter((_, i) => verdicts[i] === 'replay') as (DeadLetterRecord & { source: SourcePosition })[];
    const sources = taken.map(originalRecord);
    await warmSchemas(built.schemas, sources);
    const decision = decideBatch(built.processor, sources, built.eventTime);
    const stop = decision.stop;
    if (stop) {
      const at = taken[stop.index]!;
      throw new DataprodError(
        stop.kind === 'fail' ? 'STOPPED_ON_INVALID_RECORD' : 'REGISTRY_UNAVAILABLE',
        `${product.majorId}: the dead letter at ${deadLetter.topic}[${at.partition}]@${at.offset} ` +
          (stop.kind === 'fail'
            ? `is invalid input (reason ${stop.error.reason}) on a port with onInvalid: fail; set the port to onInvalid: dlq to replay it`
            : 'needs a writer schema the registry did not give'),
      );
    }
    const deadLetterBatchBytes = limits.batchBytes(deadLetter.topic);
    return planReplay(product, { letters, verdicts, nextOffset, decision, maxAttempts: options.maxAttempts, deadLetterBatchBytes });
  };

  /** Write and commit: a write or commit that fails stops the run; the next run resumes at the last commit. */
  const write = async (delivery: Delivery, plan: BatchPlan, commit: () => Promise<void>): Promise<void> => {
    await delivery.claim(plan.topic, plan.partition);
    const result = await delivery.deliver(plan, commit);
    if (result.failure || !result.committed) {
      const why = result.failure ? `${result.failure.type} (${result.failure.kind})` : 'the offset commit failed';
      throw new DataprodError(
        'BROKER_UNAVAILABLE',
        `${product.majorId}: replaying ${deadLetter.topic}[${plan.partition}] stopped before offset ${plan.commitOffset}: ${why}; run the replay again to resume`,
        { cause: result.failure?.cause ?? result.commitError },
      );
    }
  };

  /** Count what was written (the counters) and what was decided (the run's summary, dry runs included). */
  const count = (tally: ReplayTally, written: boolean): void => {
    addTally(total, tally);
    if (!written) return;
    const labels = { product: product.majorId };
    deps.metrics.redrive.replayed.inc(labels, tally.replayed);
    deps.metrics.redrive.republished.inc(labels, tally.republished);
    deps.metrics.redrive.redeadLettered.inc(labels, tally.redeadLettered);
    deps.metrics.redrive.parked.inc(labels, tally.parked);
  };

  /** One step: a run of dead letters of one partition, decided, written and committed together. */
  const step = async (batch: TopicBatch, letters: DeadLetterRecord[], nextOffset: string) => {
    const { plan, tally } = await decide(letters, nextOffset);
    if (delivery) await write(delivery, plan, () => batch.commit(nextOffset));
    count(tally, delivery !== undefined);
  };

  try {
    await readTopicOnce(
      deps.kafka,
      deps.admin,
      {
        topic: deadLetter.topic,
        // A dry run commits nothing: its own group, starting where the replay group is.
        group: options.dryRun ? { throwaway: `${group}.dry-run` } : { resume: group },
        sessionTimeoutMs: deps.config.sessionTimeoutMs,
        onProgress: (progress) => options.onProgress?.(progress, total),
        ...(options.dryRun ? { window: { startGroup: group } } : {}),
      },
      async (batch) => {
        const letters = batch.messages.map((m) => readDeadLetter(batch.partition, m));
        // With a rate, steps of about a second each, so the pace holds and the group sees heartbeats.
        const size = options.ratePerSecond === undefined ? letters.length : Math.max(1, Math.ceil(options.ratePerSecond));
        for (let from = 0; from < letters.length; from += size) {
          const part = letters.slice(from, from + size);
          await pace(part.length);
          const next = from + size < letters.length ? letters[from + size]!.offset : batch.nextOffset;
          await step(batch, part, next);
          await batch.heartbeat();
        }
      },
    );
  } finally {
    await lookups.tables.stop();
    await delivery?.close();
  }
  return total;
}

/** Beyond a session timeout, until the coordinator has removed a member that stopped heartbeating. */
const MEMBER_EXPIRY_MARGIN_MS = 3000;

/** Waits so that no more than `perSecond` records start per second, on average since the first. */
function pacer(perSecond: number | undefined): (records: number) => Promise<void> {
  if (perSecond === undefined) return async () => undefined;
  const startedAt = Date.now();
  let started = 0;
  return async (records) => {
    const due = startedAt + (started / perSecond) * 1000;
    started += records;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

/**
 * The product's lookup tables (none for most), restored first, as the worker does: a `lookup-miss`
 * replayed once the reference data exists finds it. `failure` is set if a table can no longer follow its topic.
 */
async function restoreLookups(product: LoadedProduct['descriptor'], deps: ReplayDeps): Promise<{ tables: LookupTables; failure?: Error }> {
  const restored: { tables: LookupTables; failure?: Error } = {
    tables: productLookupTables(product, deps, deps.log, (error) => (restored.failure ??= error)),
  };
  await checkLookupTopics(product, deps.admin, deps.log);
  try {
    await restored.tables.restore();
  } catch (err) {
    await restored.tables.stop().catch(() => undefined);
    throw err;
  }
  return restored;
}
