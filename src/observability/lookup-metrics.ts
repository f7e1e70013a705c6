import { Counter, Gauge, type Registry } from 'prom-client';
import type { LookupSnapshot } from '../lookups/tables.js';

/**
 * The metrics of lookup tables (src/lookups), per product and table: gauges computed at scrape
 * time from each product's table snapshots, and the count of table records skipped as unreadable.
 */
export class LookupMetrics {
  readonly skipped: Counter<'product' | 'lookup' | 'reason'>;
  /** Per product id, the snapshot of its tables, read at every scrape. */
  private readonly sources = new Map<string, () => LookupSnapshot[]>();

  constructor(registers: Registry[]) {
    this.skipped = new Counter({
      name: 'dataprod_lookup_records_skipped_total',
      help: 'Records of a lookup topic skipped as unreadable (no key, not Avro, unknown schema id, undecodable); the key keeps its previous value',
      labelNames: ['product', 'lookup', 'reason'],
      registers,
    });
    const sources = this.sources;
    const gauge = (name: string, help: string, value: (s: LookupSnapshot) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['product', 'lookup'],
        registers,
        collect() {
          this.reset();
          for (const [product, snapshot] of sources) {
            for (const s of snapshot()) {
              const v = value(s);
              if (v !== null) this.set({ product, lookup: s.name }, v);
            }
          }
        },
      });
    gauge('dataprod_lookup_entries', 'Keys held by the lookup table', (s) => s.entries);
    gauge(
      'dataprod_lookup_bytes',
      'Size of the lookup table: on disk for store: disk; for store: memory an estimate (keys and Avro bodies, not the JS heap)',
      (s) => s.bytes,
    );
    gauge(
      'dataprod_lookup_lag_records',
      "Records of the lookup topic not applied yet (end offsets minus the table's positions)",
      (s) => s.lagRecords,
    );
    gauge(
      'dataprod_lookup_lag_seconds',
      '0 when caught up, else now minus the broker timestamp of the newest record applied (an upper bound of how stale the table is)',
      (s) => s.lagSeconds,
    );
    gauge(
      'dataprod_lookup_last_update_timestamp_seconds',
      'Wall time of the newest change applied to the table',
      (s) => s.lastUpdateSeconds,
    );
    gauge(
      'dataprod_lookup_restore_ratio',
      'Share of the records up to the end offsets seen at start that the table has read; 1 once restored (the product then processes input)',
      (s) => (s.restored || s.restoreTotal === 0 ? 1 : s.restoredRecords / s.restoreTotal),
    );
  }

  /** Registers a product's tables for the scrape-time gauges. */
  track(product: string, snapshot: () => LookupSnapshot[]): void {
    this.sources.set(product, snapshot);
  }
}
