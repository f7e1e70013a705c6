import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { OPTIONS, optionPath, type OptionSpec, type RuntimeConfig } from '../config/runtime.js';
import { ConfigError } from '../errors.js';
import { probeConnection } from '../kafka/connection-probe.js';
import { RegistryClient } from '../contracts/registry-client.js';
import { createKafka, createProducer, type Admin, type Producer } from '../kafka/client.js';
import { ControlServer, type ProductStatusSnapshot, type StatusSnapshot } from '../observability/http.js';
import { LineageEmitter } from '../observability/lineage.js';
import { Metrics } from '../observability/metrics.js';
import type { LoadedProduct } from '../product/index.js';
import { DATAPROD_VERSION } from '../version.js';
import { ProductWorker } from './product-worker.js';
import { ConsumerDiscovery } from './consumer-discovery.js';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** A loaded product the worker runs: its descriptor and transform (see src/product). */
export type RunnableProduct = LoadedProduct;

export interface WorkerOptions {
  config: Readonly<RuntimeConfig>;
  products: readonly RunnableProduct[];
  logger: Logger;
  /** Injected so tests can read metrics; a fresh one by default. */
  metricsRegistry?: Registry;
}

/**
 * One worker process: a shared idempotent producer, one consumer group per product, and the
 * control port. close() is safe to call twice and runs every cleanup step even if one fails.
 */
export class Worker {
  private stateValue: WorkerState = 'starting';
  private readonly metrics: Metrics;
  private readonly registryClient: RegistryClient;
  private readonly kafka;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly workers: ProductWorker[] = [];
  private control: ControlServer | undefined;
  private lineage: LineageEmitter | undefined;
  private discovery: ConsumerDiscovery | undefined;
  private closing: Promise<void> | undefined;
  private fatalError: Error | undefined;
  private resolveDone!: (code: number) => void;
  /** Resolves with the process exit code once the worker has stopped. */
  readonly done: Promise<number> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(private readonly options: WorkerOptions) {
    this.metrics = new Metrics(options.metricsRegistry ?? new Registry(), { processMetrics: true });
    this.registryClient = new RegistryClient(options.config.registry);
    this.kafka = createKafka(options.config.kafka, options.logger);
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  get controlUrl(): string {
    return this.control?.url ?? '';
  }

  get products(): readonly ProductWorker[] {
    return this.workers;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    try {
      this.control = new ControlServer({
        host: config.httpHost,
        port: config.httpPort,
        metrics: this.metrics.registry,
        health: () => this.health(),
        readiness: () => this.readiness(),
        catalogue: () => this.catalogue(),
        status: () => this.status(),
      });
      await this.control.start();
      logger.info({ url: this.control.url }, 'control port listening');

      // A TLS or SASL mismatch is named in milliseconds instead of after kafkajs's retries.
      const problem = await probeConnection(config.kafka);
      if (problem) {
        const spec = (OPTIONS as readonly OptionSpec[]).find((o) => o.flag === problem.option)!;
        throw new ConfigError([{ path: optionPath(spec), message: problem.message }]);
      }
      this.admin = this.kafka.admin();
      await this.admin.connect();
      this.producer = createProducer(this.kafka);
      await this.producer.connect();

      if (config.openLineage) {
        const { target, namespace, intervalMs } = config.openLineage;
        this.lineage = new LineageEmitter({ target, jobNamespace: namespace, brokers: config.kafka.brokers, intervalMs, log: logger });
      }

      for (const { descriptor, transform } of this.options.products) {
        const worker = new ProductWorker(descriptor, transform, {
          kafka: this.kafka,
          producer: this.producer,
          admin: this.admin,
          registry: this.registryClient,
          config,
          metrics: this.metrics,
          logger,
          onFatal: (err) => this.fail(err),
        });
        this.workers.push(worker);
        await worker.start();
        this.lineage?.started({
          product: descriptor,
          counts: () => worker.signals.totals,
          failure: () => (worker.state === 'failed' ? `${worker.code ?? 'FAILED'}: ${worker.reason}` : this.failureCode()),
        });
        logger.info({ product: descriptor.majorId, version: descriptor.version, group: descriptor.consumerGroup }, 'product started');
      }
      const consumers = this.workers.flatMap((w) => (w.signals.consumers ? [w.signals.consumers] : []));
      this.discovery = new ConsumerDiscovery(this.admin, consumers, config.consumerGroups.refreshMs, logger);
      this.discovery.start();
      this.stateValue = 'running';
    } catch (err) {
      this.fatalError = err as Error;
      await this.close();
      throw err;
    }
  }

  /** Drains and stops everything within the grace period; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private fail(err: Error): void {
    if (this.fatalError) return;
    this.fatalError = err;
    this.options.logger.error({ err }, 'worker failing');
    void this.close();
  }

  /** The worker's own failure as lineage reports it: its error code, never a message that may quote data. */
  private failureCode(): string | undefined {
    if (!this.fatalError) return undefined;
    const code = (this.fatalError as { code?: unknown }).code;
    return `worker failed: ${typeof code === 'string' ? code : this.fatalError.name}`;
  }

  private async doClose(): Promise<void> {
    const { logger, config } = this.options;
    if (this.stateValue !== 'failed') this.stateValue = 'draining';
    logger.info({ graceMs: config.shutdownGraceMs }, 'stopping: finishing in-flight batches, committing, disconnecting');
    const steps: [string, () => Promise<void> | undefined][] = [
      ['consumer group discovery', async () => this.discovery?.stop()],
      ...this.workers.map((w): [string, () => Promise<void>] => [`product ${w.product.majorId}`, () => w.stop()]),
      // After the products stopped, so the last events carry their final counts.
      ['lineage', () => this.lineage?.close()],
      ['producer', () => this.producer?.disconnect()],
      ['admin', () => this.admin?.disconnect()],
      ['control port', () => this.control?.close()],
    ];
    let timer: NodeJS.Timeout | undefined;
    const graceExpired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.shutdownGraceMs);
    });
    const run = (async () => {
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.error({ step: name, err }, 'cleanup step failed');
          this.fatalError ??= err as Error;
        }
      }
    })();
    const outcome = await Promise.race([run.then(() => 'done' as const), graceExpired]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period expired; exiting without a clean drain');
      this.fatalError ??= new Error('shutdown grace period expired');
    }
    this.stateValue = this.fatalError ? 'failed' : 'stopped';
    logger.info({ state: this.stateValue }, 'worker stopped');
    this.resolveDone(this.fatalError ? 1 : 0);
  }

  /**
   * Each product's state as health sees it ('stalled' when a running or backfilling product has lag and no commit
   * for --stall-after-ms). Unhealthy, so 503 on /healthz and /readyz: any product blocked, halted,
   * stalled or failed, or the worker failed.
   */
  private health() {
    const now = Date.now();
    const products = this.workers.map((w) => ({ w, state: PROCESSING.has(w.state) && w.stalled(now) ? 'stalled' : w.state }));
    const unhealthy = products.filter((p) => UNHEALTHY.has(p.state));
    return {
      alive: unhealthy.length === 0 && this.stateValue !== 'failed',
      ready: this.stateValue === 'running',
      details: {
        worker: this.stateValue,
        products: Object.fromEntries(
          products.map(({ w, state }) => [w.product.majorId, { state, reason: w.reason || undefined, code: w.code }]),
        ),
      },
    };
  }

  private async readiness() {
    const registryReachable = await this.registryClient.reachable();
    const report = this.health();
    const productsRunning = this.workers.length > 0 && this.workers.every((w) => PROCESSING.has(w.state));
    return {
      alive: report.alive,
      ready: report.alive && report.ready && registryReachable && productsRunning,
      details: { ...(report.details as object), registryReachable },
    };
  }

  private status(): StatusSnapshot {
    const now = Date.now();
    return {
      time: now,
      dataprod: DATAPROD_VERSION,
      products: this.workers.map((w) => {
        const d = w.product;
        const lags = w.signals.progress.lags(now);
        const lastEvent = w.signals.lastEventTs;
        return {
          ...identity(w),
          reason: w.reason,
          owners: d.team.members.length > 0 ? d.team.members.map((m) => `${m.username} (${m.role})`) : [d.team.name],
          inputTopics: d.inputPorts.map((p) => p.topic),
          outputTopic: d.output.topic,
          deadLetterTopic: d.deadLetter.topic,
          counters: { ...w.signals.totals },
          lagRecords: lags.reduce((sum, l) => sum + l.records, 0),
          lagSeconds: lags.reduce((max, l) => Math.max(max, l.seconds ?? 0), 0),
          freshnessSeconds: lastEvent === undefined ? null : Math.max(0, now / 1000 - lastEvent),
          lookups: w.lookups.snapshot(now),
          backfill: backfillOf(w),
          consumers: consumersOf(w),
        };
      }),
    };
  }

  private catalogue() {
    const live = new Map(this.status().products.map((p) => [p.majorId, p]));
    return {
      dataprod: DATAPROD_VERSION,
      products: this.workers.map((w) => {
        const d = w.product;
        return {
          ...identity(w),
          team: d.team,
          support: d.support,
          consumerGroup: d.consumerGroup,
          inputPorts: d.inputPorts.map((p) => ({ name: p.name, topic: p.topic, subject: p.contract.subject })),
          outputPorts: d.outputPorts.map((p) => ({
            name: p.name,
            topic: p.topic,
            subject: p.subject,
            schemaId: w.schemaIds.output,
            compatibility: p.compatibility,
          })),
          deadLetter: d.deadLetter,
          lookups: (d.lookups ?? []).map((l) => ({ name: l.name, topic: l.topic, store: l.store })),
          slaProperties: d.slaProperties,
          live: {
            counters: live.get(d.majorId)?.counters,
            lagRecords: live.get(d.majorId)?.lagRecords,
            lagSeconds: live.get(d.majorId)?.lagSeconds,
            freshnessSeconds: live.get(d.majorId)?.freshnessSeconds,
            windowCompletenessRatio: w.signals.completeness.ratio ?? null,
            backfill: live.get(d.majorId)?.backfill,
          },
          consumers: live.get(d.majorId)?.consumers,
        };
      }),
    };
  }
}

const UNHEALTHY = new Set(['blocked', 'halted', 'stalled', 'failed']);
/** States in which a product fetches and processes records (a backfill is a new major doing so). */
const PROCESSING = new Set(['running', 'backfilling']);

function backfillOf(w: ProductWorker): ProductStatusSnapshot['backfill'] {
  const b = w.backfillProgress;
  return b === undefined ? null : { recordsBehind: b.recordsBehind, etaSeconds: b.etaSeconds, startedAt: b.startedAt };
}

function consumersOf(w: ProductWorker): ProductStatusSnapshot['consumers'] {
  const c = w.signals.consumers;
  if (!c) return null;
  return { topic: c.topic, refreshedAt: c.refreshedAt, total: c.total, groups: c.top.map((g) => ({ ...g })) };
}

/** What both the catalogue and the status snapshot say about a product. */
function identity(w: ProductWorker) {
  const d = w.product;
  return {
    id: d.id,
    majorId: d.majorId,
    name: d.name,
    domain: d.domain,
    version: d.version,
    status: d.status,
    state: w.state,
    description: d.description,
    sunset: d.lifecycle?.sunset ?? null,
    successorTopic: d.lifecycle?.successor?.topic ?? null,
  };
}
