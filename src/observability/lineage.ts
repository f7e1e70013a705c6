/**
 * OpenLineage run events for the products of a worker: START when a product has started, RUNNING
 * every interval with its counts so far, COMPLETE when it stopped cleanly or FAIL when it failed.
 * One run per product per process (a random UUID), one job per major of a product (`<namespace>` /
 * majorId: v1 and v2 side by side are two jobs), Kafka datasets named as OpenLineage's naming spec says: namespace
 * `kafka://<bootstrap host>:<port>`, name the topic.
 *
 * Inputs are the input topics and the lookup tables' topics. Counts use the spec's own facets:
 * `inputStatistics` on the input topic (records consumed; only with one input port, as the totals
 * are per product; none on lookup topics) and `outputStatistics` on the product topic
 * (published) and the dead-letter topic (dead-lettered). Lineage is best effort: an endpoint that
 * is down is logged, never retried into the pipeline's way, and never fails the worker.
 */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ProductDescriptor } from '../product/types.js';
import { DATAPROD_VERSION } from '../version.js';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACETS = 'https://openlineage.io/spec/facets';
const PRODUCER = `https://github.com/dataprod/dataprod/tree/v${DATAPROD_VERSION}`;

export type LineageEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL';

/** Where events go: POSTed to an HTTP endpoint (e.g. Marquez's /api/v1/lineage) or appended to a file, one JSON per line. */
export type LineageTarget = { readonly kind: 'http'; readonly url: string } | { readonly kind: 'file'; readonly path: string };

/** `http(s)://...` or `file:...`; undefined for anything else (the config check reports it). */
export function parseLineageTarget(text: string): LineageTarget | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'http', url: url.href };
  if (url.protocol === 'file:') return { kind: 'file', path: fileURLToPath(url) };
  return undefined;
}

/** The counts a product has so far (ProductWorker.signals.totals). */
export interface LineageCounts {
  readonly consumed: number;
  readonly published: number;
  readonly deadLettered: number;
}

export interface RunEventInput {
  readonly eventType: LineageEventType;
  readonly eventTime: Date;
  readonly runId: string;
  readonly jobNamespace: string;
  /** `kafka://host:port` of the first bootstrap server. */
  readonly datasetNamespace: string;
  readonly product: ProductDescriptor;
  readonly counts?: LineageCounts;
  /** FAIL: the error code and reason (codes and our own words, never record data). */
  readonly failure?: string;
}

/** One OpenLineage RunEvent (spec 2-0-2), as plain JSON. */
export function runEvent(input: RunEventInput): Record<string, unknown> {
  const { product, counts, datasetNamespace } = input;
  // `version/Name.json` -> the facet's schema URL as the spec publishes it.
  const facet = (file: string, body: Record<string, unknown>) => ({
    _producer: PRODUCER,
    _schemaURL: `${FACETS}/${file}#/$defs/${file.slice(file.indexOf('/') + 1, -'.json'.length)}`,
    ...body,
  });
  const stats = (kind: 'Input' | 'Output', rowCount: number) =>
    kind === 'Input'
      ? { inputFacets: { inputStatistics: facet('1-0-0/InputStatisticsInputDatasetFacet.json', { rowCount }) } }
      : { outputFacets: { outputStatistics: facet('1-0-2/OutputStatisticsOutputDatasetFacet.json', { rowCount }) } };
  const single = product.inputPorts.length === 1;
  return {
    eventType: input.eventType,
    eventTime: input.eventTime.toISOString(),
    run: {
      runId: input.runId,
      facets: {
        processing_engine: facet('1-1-1/ProcessingEngineRunFacet.json', { name: 'dataprod', version: DATAPROD_VERSION }),
        ...(input.failure !== undefined
          ? { errorMessage: facet('1-0-1/ErrorMessageRunFacet.json', { message: input.failure, programmingLanguage: 'TypeScript' }) }
          : {}),
      },
    },
    job: {
      namespace: input.jobNamespace,
      name: product.majorId,
      facets: {
        jobType: facet('2-0-4/JobTypeJobFacet.json', { processingType: 'STREAMING', integration: 'DATAPROD', jobType: 'JOB' }),
        ...(product.description.purpose
          ? { documentation: facet('1-1-0/DocumentationJobFacet.json', { description: product.description.purpose }) }
          : {}),
        ownership: facet('1-0-1/OwnershipJobFacet.json', {
          owners: [
            { name: `team:${product.team.name}` },
            ...product.team.members.map((m) => ({ name: `user:${m.username}`, type: m.role })),
          ],
        }),
      },
    },
    inputs: [
      ...product.inputPorts.map((port) => ({
        namespace: datasetNamespace,
        name: port.topic,
        ...(counts && single ? stats('Input', counts.consumed) : {}),
      })),
      // A lookup table's topic feeds every output too: lineage graphs show it upstream (no counts: it is read whole).
      ...(product.lookups ?? []).map((lookup) => ({ namespace: datasetNamespace, name: lookup.topic })),
    ],
    outputs: [
      { namespace: datasetNamespace, name: product.output.topic, ...(counts ? stats('Output', counts.published) : {}) },
      { namespace: datasetNamespace, name: product.deadLetter.topic, ...(counts ? stats('Output', counts.deadLettered) : {}) },
    ],
    producer: PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
  };
}

/** What the emitter reads of a running product: its descriptor, counts and whether it failed. */
export interface LineageSource {
  readonly product: ProductDescriptor;
  readonly counts: () => LineageCounts;
  /** The failure to report at stop (code and reason), or undefined when it stopped cleanly. */
  readonly failure: () => string | undefined;
}

export interface LineageOptions {
  readonly target: LineageTarget;
  readonly jobNamespace: string;
  readonly brokers: readonly string[];
  readonly intervalMs: number;
  readonly log: Logger;
}

/** RUNNING events waiting beyond this are skipped (the next one carries newer counts): a hung endpoint costs no memory. */
const MAX_QUEUED = 10;

/** Sends the run events of a worker's products; `close()` sends the last ones and waits for every send. */
export class LineageEmitter {
  private readonly runs = new Map<LineageSource, string>();
  /** Sends in order, one at a time, so a run's START always lands before its COMPLETE. */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly datasetNamespace: string;

  constructor(private readonly options: LineageOptions) {
    this.datasetNamespace = `kafka://${options.brokers[0] ?? 'localhost:9092'}`;
  }

  /** A product has started: START now, RUNNING every interval from now on. */
  started(source: LineageSource): void {
    this.runs.set(source, randomUUID());
    this.send(source, 'START');
    this.timer ??= setInterval(() => {
      for (const s of this.runs.keys()) this.send(s, 'RUNNING');
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** The products have stopped: COMPLETE or FAIL for each, then every send awaited. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const source of this.runs.keys()) {
      const failure = source.failure();
      this.send(source, failure === undefined ? 'COMPLETE' : 'FAIL', failure);
    }
    this.runs.clear();
    await this.queue;
  }

  private send(source: LineageSource, eventType: LineageEventType, failure?: string): void {
    if (eventType === 'RUNNING' && this.queued >= MAX_QUEUED) return;
    const event = runEvent({
      eventType,
      eventTime: new Date(),
      runId: this.runs.get(source)!,
      jobNamespace: this.options.jobNamespace,
      datasetNamespace: this.datasetNamespace,
      product: source.product,
      counts: source.counts(),
      failure,
    });
    const json = JSON.stringify(event);
    this.queued += 1;
    this.queue = this.queue
      .then(() => this.write(json))
      .finally(() => (this.queued -= 1))
      .then(
        () => {
          if (this.failing) this.options.log.info({ eventType }, 'OpenLineage events are sent again');
          this.failing = false;
        },
        (err: unknown) => {
          // Logged once per outage: lineage never gets in the pipeline's way.
          if (!this.failing)
            this.options.log.warn({ err, eventType, product: source.product.majorId }, 'could not send an OpenLineage event');
          this.failing = true;
        },
      );
  }

  private async write(json: string): Promise<void> {
    const { target } = this.options;
    if (target.kind === 'file') return appendFile(target.path, `${json}\n`);
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`${target.url} answered ${response.status}`);
  }
}
