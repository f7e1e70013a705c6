import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * dataprod's metrics, created on the Registry passed in (never the global one) so several
 * workers or tests can live in one process. docs/runtime.md lists them.
 */
export class Metrics {
  readonly consumed: Counter<'product' | 'topic'>;
  readonly published: Counter<'product' | 'topic'>;
  readonly invalid: Counter<'product' | 'reason'>;
  readonly filtered: Counter<'product'>;
  readonly deadLettered: Counter<'product' | 'reason'>;
  readonly dlqPublishErrors: Counter<'product'>;
  readonly processingErrors: Counter<'product' | 'stage'>;
  readonly rebalances: Counter<'product'>;
  readonly qualityWarnings: Counter<'product' | 'rule'>;
  readonly buildInfo: Gauge<'version' | 'product' | 'product_version'>;
  readonly productUp: Gauge<'product' | 'state'>;
  readonly productStatus: Gauge<'product' | 'status'>;

  constructor(readonly registry: Registry, options: { processMetrics?: boolean } = {}) {
    const registers = [registry];
    if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'dataprod_' });
    this.consumed = new Counter({ name: 'dataprod_records_consumed_total', help: 'Records read from input topics', labelNames: ['product', 'topic'], registers });
    this.published = new Counter({ name: 'dataprod_records_published_total', help: 'Records acknowledged on the product topic', labelNames: ['product', 'topic'], registers });
    this.invalid = new Counter({ name: 'dataprod_records_invalid_total', help: 'Input records that failed decoding, the contract or a quality rule', labelNames: ['product', 'reason'], registers });
    this.filtered = new Counter({ name: 'dataprod_records_filtered_total', help: 'Records deliberately not published (transform returned null, drop rules)', labelNames: ['product'], registers });
    this.deadLettered = new Counter({ name: 'dataprod_dlq_records_total', help: 'Records acknowledged on the dead-letter topic', labelNames: ['product', 'reason'], registers });
    this.dlqPublishErrors = new Counter({ name: 'dataprod_dlq_publish_errors_total', help: 'Failed writes of batches holding dead-letter records', labelNames: ['product'], registers });
    this.processingErrors = new Counter({ name: 'dataprod_processing_errors_total', help: 'Errors by stage: transform and encode (data), registry and produce (infrastructure)', labelNames: ['product', 'stage'], registers });
    this.rebalances = new Counter({ name: 'dataprod_consumer_rebalances_total', help: 'Consumer group joins', labelNames: ['product'], registers });
    this.qualityWarnings = new Counter({ name: 'dataprod_quality_warnings_total', help: 'Quality rules with onFailure: warn that failed (the record was published)', labelNames: ['product', 'rule'], registers });
    this.buildInfo = new Gauge({ name: 'dataprod_build_info', help: 'Always 1: the dataprod version and each product version', labelNames: ['version', 'product', 'product_version'], registers });
    this.productStatus = new Gauge({ name: 'dataprod_product_status', help: '1 for the lifecycle status of each product in its descriptor (draft, active, deprecated)', labelNames: ['product', 'status'], registers });
    this.productUp = new Gauge({ name: 'dataprod_product_state', help: '1 for the current state of each product worker', labelNames: ['product', 'state'], registers });
  }
}
