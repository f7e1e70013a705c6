/**
 * The operational alerts of a product in `dataprod rules` (its `dataprod.<id>.operations` group):
 * stalled consumer, dead-letter writes failing, metrics absent, product not running, stalled
 * partition. Pure, like ./slo-rules.ts, which gives the labels and annotations every alert shares.
 */
import type { AlertingRule } from './rule-types.js';

export interface OperationsContext {
  /** The product label value (its majorId). */
  id: string;
  /** `product="<id>"`, for selectors. */
  selector: string;
  /** Its consumer group and dead-letter topic, named in the descriptions. */
  group: string;
  dlqTopic: string;
  labels(severity: string): Record<string, string>;
  annotations(summary: string, description: string): Record<string, string>;
}

export function operationsRules({
  id,
  selector: p,
  group,
  dlqTopic,
  labels,
  annotations,
}: OperationsContext): { comment?: string; rule: AlertingRule }[] {
  return [
    {
      comment: ' Burrow-style stall: lag on a topic and no committed progress on it for 10m, held for 10m',
      rule: {
        alert: 'DataprodConsumerStalled',
        expr:
          `max by (product, topic) (dataprod_consumer_lag_records{${p}}) > 0\n` +
          `unless on (product, topic)\n` +
          `sum by (product, topic) (increase(dataprod_records_consumed_total{${p}}[10m])) > 0`,
        for: '10m',
        labels: labels('page'),
        annotations: annotations(
          `${id}: consumer stalled on {{ $labels.topic }}`,
          `Consumer group ${group} has lag on {{ $labels.topic }} (largest partition: {{ $value }} records) and its committed position has not moved for 20 minutes (or since the worker started).`,
        ),
      },
    },
    {
      rule: {
        alert: 'DataprodDeadLetterPublishFailing',
        expr: `sum by (product) (increase(dataprod_dlq_publish_errors_total{${p}}[5m])) > 0`,
        for: '5m',
        labels: labels('page'),
        annotations: annotations(
          `${id}: dead-letter writes failing`,
          `Batches holding dead letters keep failing to be written to ${dlqTopic} (for 5 minutes at least); their offsets are not committed, so the input is not progressing.`,
        ),
      },
    },
    {
      rule: {
        alert: 'DataprodMetricsAbsent',
        expr: `absent(dataprod_build_info{${p}})`,
        for: '10m',
        labels: labels('page'),
        annotations: annotations(
          `${id}: no metrics`,
          `No worker has exported dataprod_build_info for ${id} for 10 minutes: the worker is down, not scraped, or does not run this product. None of its SLOs is measured meanwhile.`,
        ),
      },
    },
    {
      comment:
        ' dataprod_product_state: 1 for the current state of each worker (backing-off, halted, draining, ...);\n' +
        ' backfilling is a new major catching up: it makes progress (the stall alert watches that)',
      rule: {
        alert: 'DataprodProductNotRunning',
        expr: `max by (product, state) (dataprod_product_state{${p},state!~"running|backfilling"}) == 1`,
        for: '10m',
        labels: labels('page'),
        annotations: annotations(
          `${id}: product {{ $labels.state }}`,
          `A worker has held ${id} in state {{ $labels.state }} for 10 minutes (backing-off: registry or broker unreachable; restoring: its lookup tables are still read, no input is processed; blocked: a topic refuses its writes or is gone; halted: the dead-letter breaker tripped, restart after fixing the cause). See the worker log.`,
        ),
      },
    },
    {
      comment:
        ' dataprod_group_partition_stalled: read by every replica for every partition of the group, so a stalled,\n paused or dead replica shows on its peers; 1 once lag > 0 and no commit for --stall-after-ms',
      rule: {
        alert: 'DataprodPartitionStalled',
        expr: `max by (product, topic, partition) (dataprod_group_partition_stalled{${p}}) == 1`,
        labels: labels('page'),
        annotations: annotations(
          `${id}: partition {{ $labels.topic }}[{{ $labels.partition }}] stalled`,
          `Consumer group ${group} has lag on {{ $labels.topic }} partition {{ $labels.partition }} and has committed nothing on it for --stall-after-ms (seen by a replica of the group, whichever holds the partition). Look at the replica that holds it (its state, its log).`,
        ),
      },
    },
  ];
}
