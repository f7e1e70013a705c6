/**
 * The demo's upstream: for each product, registers the raw contract of its input port, creates
 * the raw topic when it is missing and produces synthetic raw events (src/demo/generators.ts) at
 * a steady rate until stopped. `dataprod demo-produce` (src/cli/commands/demo-produce.ts) runs it; in the
 * docker compose stack it is the `demo-producer` service.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type avsc from 'avsc';
import type { Logger } from 'pino';
import { loadProducts } from '../../product/load.js';
import { selectRunnable } from '../../product/select.js';
import type { KafkaConnection, RegistryConnection } from '../../config/runtime.js';
import type { AvroSchema, InputPort, ProductDescriptor } from '../../product/types.js';
import { RegistryClient } from '../../contracts/registry-client.js';
import { avroType } from '../../contracts/logical-types.js';
import { frame } from '../../contracts/wire.js';
import { DataprodError, type ConfigIssue } from '../../errors.js';
import { createKafka, createProducer, type Admin, type Producer } from '../../kafka/client.js';
import { kindOf, rawClick, rawOrder } from './generators.js';

/** A generator of raw events, keyed by the reader schema's record name and the example product's name. */
export interface Generator {
  /** Record name (without namespace) of the reader schema it writes. */
  record: string;
  /** Name of the example product that reads it (copies are named `<name>-<suffix>`). */
  product: string;
  make(seq: number, now: number): Record<string, unknown>;
  key(event: Record<string, unknown>): string;
}

export const GENERATORS: readonly Generator[] = [
  { record: 'RawOrder', product: 'orders-enriched', make: (seq, now) => rawOrder(seq, now), key: (e) => String(e.order_id) },
  { record: 'RawClick', product: 'page-views', make: (seq, now) => rawClick(seq, now), key: (e) => String(e.session_id) },
];

/** One raw topic the producer writes, and what it writes there. */
export interface DemoSource {
  /** Products (ids) that read the topic. */
  products: string[];
  port: string;
  topic: string;
  subject: string;
  schema: AvroSchema;
  generator: Generator;
}

function recordName(schema: AvroSchema): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { type, name } = schema as { type?: unknown; name?: unknown };
  if (type !== 'record' || typeof name !== 'string') return undefined;
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The generator for an input port: by the reader schema's record name, else by the product's name. */
function generatorFor(product: ProductDescriptor, port: InputPort): Generator | undefined {
  const record = recordName(port.contract.schema);
  return (
    GENERATORS.find((g) => g.record === record) ??
    GENERATORS.find((g) => product.name === g.product || product.name.startsWith(`${g.product}-`))
  );
}

/** Sequence numbers of one cycle of kindOf that are written as Avro (not-avro ones are JSON text). */
const SAMPLE_SEQS = Array.from({ length: 50 }, (_, seq) => seq).filter((seq) => kindOf(seq) !== 'not-avro');

/**
 * The raw topics to write for these products, one per topic (products reading the same topic
 * share it). Throws CONFIG_INVALID naming every input port it has no fitting generator for.
 */
export function planSources(products: readonly ProductDescriptor[]): DemoSource[] {
  const issues: ConfigIssue[] = [];
  const byTopic = new Map<string, DemoSource>();
  const known = GENERATORS.map((g) => `${g.record} (${g.product})`).join(', ');
  for (const product of products) {
    product.inputPorts.forEach((port, i) => {
      const where = `${product.id}: inputPorts[${i}] (${port.name}, ${port.topic})`;
      const generator = generatorFor(product, port);
      if (!generator) {
        issues.push({
          path: where,
          message: `no demo generator for reader schema ${recordName(port.contract.schema) ?? '(not a record)'}; demo-produce knows ${known}`,
        });
        return;
      }
      // The generator must write records the reader schema accepts, or every event would be garbage.
      const type = avroType(port.contract.schema);
      let bad: string | undefined;
      for (const seq of SAMPLE_SEQS) {
        if (!type.isValid(generator.make(seq, Date.now()), { errorHook: (path) => (bad ??= path.join('.') || '(root)') })) break;
      }
      if (bad !== undefined) {
        issues.push({
          path: where,
          message: `the ${generator.record} generator writes events that do not match ${recordName(port.contract.schema) ?? 'the reader schema'} at ${bad}`,
        });
        return;
      }
      const shared = byTopic.get(port.topic);
      if (shared) {
        if (shared.subject !== port.contract.subject || shared.generator !== generator) {
          issues.push({
            path: where,
            message: `${port.topic} is also read by ${shared.products.join(', ')} with another contract subject or schema; demo-produce writes one stream per topic`,
          });
        } else shared.products.push(product.id);
        return;
      }
      byTopic.set(port.topic, {
        products: [product.id],
        port: port.name,
        topic: port.topic,
        subject: port.contract.subject,
        schema: port.contract.schema,
        generator,
      });
    });
  }
  if (issues.length > 0)
    throw new DataprodError('CONFIG_INVALID', `cannot produce demo events:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}

/** Loads the descriptors of the product folders (transforms are not imported); every broken descriptor at once. */
export async function loadDemoProducts(paths: string[]): Promise<ProductDescriptor[]> {
  return (await loadProducts(paths, { loadTransform: false })).map((p) => p.descriptor);
}

export interface DemoProducerOptions {
  kafka: KafkaConnection;
  registry: RegistryConnection;
  /** Retired products are skipped; every other status is produced for. */
  products: readonly ProductDescriptor[];
  /** Raw events per second and topic. */
  ratePerSecond: number;
  /** Partitions of a raw topic this producer creates. Default 3. */
  partitions?: number;
  logger: Logger;
  /** Written once every topic has an acknowledged batch (a container healthcheck can test it); removed on stop. */
  readyFile?: string;
  /** How often a progress line is logged. Default 10 s. */
  statusEveryMs?: number;
}

interface Running extends DemoSource {
  schemaId: number;
  type: avsc.Type;
  /** Next sequence number. */
  seq: number;
  acknowledged: number;
  failed: number;
  inFlight?: Promise<void>;
}

const TICK_MS = 100;
/** Upper bound of one send, so a long stall does not turn into one huge batch. */
const MAX_BATCH = 5_000;

/** Per topic: records acknowledged by the broker and records whose send failed. */
export type DemoCounts = Record<string, { acknowledged: number; failed: number }>;

export class DemoProducer {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = performance.now();
  private stopping?: Promise<DemoCounts>;
  private ready = false;

  private constructor(
    private readonly options: DemoProducerOptions,
    private readonly producer: Producer,
    private readonly running: Running[],
  ) {}

  /**
   * Plans the sources (failing before any connection when a product has no generator), registers
   * the raw contracts, creates missing raw topics, connects and starts producing.
   */
  static async start(options: DemoProducerOptions): Promise<DemoProducer> {
    const { logger } = options;
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new DataprodError('CONFIG_INVALID', `the rate must be a positive number of events per second, got ${options.ratePerSecond}`);
    }
    // Drafts get demo events too: they are what an author tries out.
    const { run, skipped } = selectRunnable(
      options.products.map((descriptor) => ({ descriptor })),
      true,
    );
    for (const line of skipped) logger.warn({ skipped: line }, 'no demo events');
    const products = run.map((p) => p.descriptor);
    if (products.length === 0) throw new DataprodError('CONFIG_INVALID', 'no product to produce demo events for');
    const sources = planSources(products);

    const registry = new RegistryClient(options.registry);
    const ids = new Map<string, number>();
    for (const source of sources) {
      const id = await registry.register(source.subject, source.schema);
      ids.set(source.topic, id);
      logger.info({ subject: source.subject, id }, 'raw contract registered');
    }

    const kafka = createKafka(options.kafka, logger);
    const admin = kafka.admin();
    const producer = createProducer(kafka);
    try {
      await admin.connect();
      await createMissingTopics(admin, sources, options.partitions ?? 3, logger);
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw brokerError(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }

    const running = sources.map((s): Running => ({
      ...s,
      schemaId: ids.get(s.topic)!,
      type: avroType(s.schema),
      seq: 0,
      acknowledged: 0,
      failed: 0,
    }));
    const demo = new DemoProducer(options, producer, running);
    demo.timers.push(setInterval(() => demo.tick(), TICK_MS));
    demo.timers.push(setInterval(() => demo.logStatus(), options.statusEveryMs ?? 10_000));
    logger.info(
      {
        rate: options.ratePerSecond,
        topics: running.map((s) => ({ topic: s.topic, subject: s.subject, schemaId: s.schemaId, products: s.products })),
      },
      'producing demo events',
    );
    return demo;
  }

  get sources(): readonly DemoSource[] {
    return this.running;
  }

  counts(): DemoCounts {
    return Object.fromEntries(this.running.map((s) => [s.topic, { acknowledged: s.acknowledged, failed: s.failed }]));
  }

  /** Stops producing, waits for the sends in flight, disconnects. Idempotent. */
  stop(): Promise<DemoCounts> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      await Promise.all(this.running.map((s) => s.inFlight));
      if (this.options.readyFile) rmSync(this.options.readyFile, { force: true });
      await this.producer.disconnect();
      return this.counts();
    })();
    return this.stopping;
  }

  /** Sends what is due at the steady rate; one send in flight per topic, so a slow broker delays rather than piles up. */
  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.ratePerSecond);
    for (const source of this.running) {
      if (source.inFlight) continue;
      const count = Math.min(due - source.seq, MAX_BATCH);
      if (count <= 0) continue;
      const first = source.seq;
      source.seq += count;
      const now = Date.now();
      const messages = Array.from({ length: count }, (_, i) => {
        const seq = first + i;
        const event = source.generator.make(seq, now);
        // ~2% are not Avro at all (JSON sent by mistake), as real upstreams sometimes do.
        const value =
          kindOf(seq) === 'not-avro' ? Buffer.from(JSON.stringify({ seq })) : frame(source.schemaId, source.type.toBuffer(event));
        return { key: source.generator.key(event), value };
      });
      source.inFlight = this.producer
        .send({ topic: source.topic, acks: -1, messages })
        .then(() => {
          source.acknowledged += count;
          this.markReady();
        })
        .catch((err: Error) => {
          source.failed += count;
          this.options.logger.error({ topic: source.topic, records: count, err }, 'demo send failed');
        })
        .finally(() => {
          source.inFlight = undefined;
        });
    }
  }

  private markReady(): void {
    if (this.ready || this.stopping || !this.running.every((s) => s.acknowledged > 0)) return;
    this.ready = true;
    if (this.options.readyFile) writeFileSync(this.options.readyFile, `${new Date().toISOString()}\n`);
    this.options.logger.info({ readyFile: this.options.readyFile }, 'every raw topic has acknowledged demo events');
  }

  private logStatus(): void {
    this.options.logger.info({ produced: this.counts() }, 'demo events produced');
  }
}

async function createMissingTopics(admin: Admin, sources: readonly DemoSource[], partitions: number, logger: Logger): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = sources.map((s) => s.topic).filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  // false when another client created them meanwhile: fine either way.
  await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
  logger.info({ topics: missing, partitions }, 'created raw topics');
}

function brokerError(err: unknown): unknown {
  if (err instanceof DataprodError) return err;
  return new DataprodError('BROKER_UNAVAILABLE', `Kafka: ${(err as Error).message}`, { cause: err });
}
