/**
 * The lifecycle alert of `dataprod rules`: a deprecated product whose sunset is 14 days away (or
 * past) while consumer groups still read it raises a ticket, so its owner chases them to the
 * successor before the topic goes. Pure, like ./slo-rules.ts, which puts it in the product's
 * `dataprod.<id>.lifecycle` group.
 */
import type { ProductDescriptor } from '../product/types.js';

/** How long before the sunset the ticket opens. */
export const SUNSET_WARNING_DAYS = 14;

/**
 * The metric that says a product still has consumers: one series per consumer group reading the
 * product's topics, exported by the worker's consumer-group discovery. Change it here (and in
 * docs/slo-rules.md) if the discovery names it otherwise.
 */
export const CONSUMER_GROUPS_METRIC = 'dataprod_product_consumer_group_lag_records';

/** PromQL: per product, how many consumer groups read it now (no series: none known). */
export function productConsumersExpression(selector: string): string {
  return `count by (product) (count by (product, group) (${CONSUMER_GROUPS_METRIC}{${selector}}))`;
}

export interface SunsetAlert {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The ticket for a product with a sunset; none for the others. `name` is the product's label (its
 * majorId: v2 deprecated for v3 is not its v1), `selector` its PromQL label matcher, `owners` the
 * owners sentence the other alerts end with.
 */
export function sunsetAlert(
  product: { name: string; lifecycle?: ProductDescriptor['lifecycle'] },
  selector: string,
  owners: string,
  labels: Record<string, string>,
): SunsetAlert | undefined {
  const sunset = product.lifecycle?.sunset;
  if (sunset === undefined) return undefined;
  const successor = product.lifecycle?.successor?.topic;
  const { name } = product;
  return {
    alert: 'DataprodProductSunsetWithConsumers',
    expr:
      `max by (product) (dataprod_product_sunset_timestamp_seconds{${selector}}) - time() < ${SUNSET_WARNING_DAYS * 86400}\n` +
      `and on (product)\n` +
      `${productConsumersExpression(selector)} > 0`,
    for: '1h',
    labels: { severity: 'ticket', ...labels },
    annotations: {
      summary: `${name}: sunset on ${sunset} and still read`,
      description:
        `${name} is deprecated and stops on ${sunset}, yet consumer groups still read it ` +
        `(${CONSUMER_GROUPS_METRIC} has series for them). Ask them to move to ${successor ?? 'its successor'} before the sunset. ${owners}`,
    },
  };
}
