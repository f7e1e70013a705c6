import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { LookupSnapshot } from '../lookups/tables.js';
import { statusPage } from './status-page.js';
import type { ConsumerGroupView } from './consumer-groups.js';

export interface HealthReport {
  /** false: /healthz answers 503 (a halted or failed product, a failed worker). */
  alive: boolean;
  /** false: /readyz answers 503 (the worker is not running, a product is not running, or the registry is unreachable). */
  ready: boolean;
  details: unknown;
}

/** Live values of one product, for the status page (`/api/status`). */
export interface ProductStatusSnapshot {
  id: string;
  /** `<id>`, or `<id>.v<major>` from major 2: tells two majors of one id apart. */
  majorId: string;
  name: string;
  domain: string;
  version: string;
  /** Descriptor lifecycle status: draft | active | deprecated. */
  status: string;
  /** Deprecated products: the day the product stops (YYYY-MM-DD), and the topic of the major that replaces it. */
  sunset: string | null;
  successorTopic: string | null;
  /** Worker state: starting | restoring | running | backfilling | backing-off | blocked | halted | draining | stopped | failed. */
  state: string;
  /** Why the product is halted, failed or backing off; empty otherwise. */
  reason: string;
  description: { purpose?: string; usage?: string; limitations?: string };
  owners: string[];
  inputTopics: string[];
  outputTopic: string;
  deadLetterTopic: string;
  /** Monotonic counters since the worker started. */
  counters: { consumed: number; published: number; filtered: number; deadLettered: number; rewritten: number };
  /** Sum over the product's input partitions: end offset minus committed offset. */
  lagRecords: number;
  /** Max over partitions: 0 when caught up, else now minus the broker timestamp of the oldest unprocessed record. */
  lagSeconds: number;
  /** Seconds since the newest published event's time; null before the first publish. */
  freshnessSeconds: number | null;
  /** The product's lookup tables: size, restore progress, lag (src/lookups). */
  lookups?: LookupSnapshot[];
  /** While state is backfilling (a new major catching up): records behind, seconds to catch up (null: not known yet). */
  backfill: { recordsBehind: number; etaSeconds: number | null; startedAt: number } | null;
  /** Groups with committed offsets on the product topic, top by lag; null with discovery off (--consumer-groups-max 0). */
  consumers: {
    topic: string;
    /** ms since the epoch of the last discovery; null before the first. */
    refreshedAt: number | null;
    /** Groups found, shown or not. */
    total: number;
    groups: ConsumerGroupView[];
  } | null;
}

export interface StatusSnapshot {
  /** ms since the epoch, when the snapshot was taken. */
  time: number;
  dataprod: string;
  products: ProductStatusSnapshot[];
}

export interface ControlServerOptions {
  host: string;
  port: number;
  metrics: Registry;
  health: () => HealthReport;
  readiness: () => Promise<HealthReport>;
  catalogue: () => unknown;
  status: () => StatusSnapshot;
}

/** The worker's one HTTP server: /metrics, /healthz, /readyz, /products. */
export class ControlServer {
  private server: Server | undefined;

  constructor(private readonly options: ControlServerOptions) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return '';
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  }

  async start(): Promise<void> {
    const { options } = this;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body, null, 2));
      };
      const handle = async () => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'GET only' });
        switch (path) {
          case '/metrics': {
            const text = await options.metrics.metrics();
            res.writeHead(200, { 'Content-Type': options.metrics.contentType });
            return res.end(text);
          }
          case '/healthz': {
            const report = options.health();
            return json(report.alive ? 200 : 503, report);
          }
          case '/readyz': {
            const report = await options.readiness();
            return json(report.ready ? 200 : 503, report);
          }
          case '/products':
            return json(200, options.catalogue());
          case '/':
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
            return res.end(statusPage());
          case '/api/status':
            return json(200, options.status());
          default:
            return json(404, { error: `no route ${path}`, routes: ['/', '/metrics', '/healthz', '/readyz', '/products'] });
        }
      };
      handle().catch((err: Error) => json(500, { error: err.message }));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(options.port, options.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
