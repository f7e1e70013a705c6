import { defineTransform } from 'dataprod';
import type { OrdersEnrichedOutput, OrdersInput } from './types.gen.js';

/**
 * EUR value of one unit of each supported currency: the finance team's fixed rate table for the
 * current month (not live market rates, see the descriptor's limitations). Adding a currency is a
 * code change, reviewed by finance.
 */
const EUR_PER_UNIT: Readonly<Record<string, number>> = {
  EUR: 1,
  USD: 0.92,
  GBP: 1.17,
  CHF: 1.05,
  SEK: 0.088,
  DKK: 0.134,
  PLN: 0.23,
};

/**
 * Amounts are handled as integer cents: each unit price, the shipping cost and the discount are
 * rounded to cents first, so sums carry no floating-point drift (0.1 + 0.2 !== 0.3).
 */
function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export default defineTransform<OrdersInput, OrdersEnrichedOutput>((order) => {
  // QA and synthetic monitoring place real-looking orders flagged as tests: they are not revenue.
  if (order.is_test) return null;

  // The contract guarantees the currency is three letters; the storefront sends any case.
  const currency = order.currency.toUpperCase();
  const rate = EUR_PER_UNIT[currency];
  if (rate === undefined) throw new Error('currency is not in the EUR rate table');

  // `required: [customer_email]` in the contract dead-letters a null before it gets here.
  if (order.customer_email === null) throw new Error('customer_email is null');

  let itemCount = 0;
  let subtotalCents = 0;
  for (const item of order.items) {
    itemCount += item.quantity;
    subtotalCents += item.quantity * toCents(item.unit_price);
  }
  const shippingCents = toCents(order.shipping_cost);
  const discountCents = toCents(order.discount ?? 0);
  const totalCents = subtotalCents + shippingCents - discountCents;
  // A discount larger than the whole order is an upstream pricing bug, not a refund: refuse it
  // rather than publish a negative revenue figure.
  if (totalCents < 0) throw new Error('discount exceeds subtotal plus shipping');

  return {
    order_id: order.order_id,
    customer_id: order.customer_id,
    customer_email: order.customer_email.trim().toLowerCase(),
    currency,
    item_count: itemCount,
    subtotal: subtotalCents / 100,
    shipping_cost: shippingCents / 100,
    discount: discountCents / 100,
    total: totalCents / 100,
    total_eur: Math.round(totalCents * rate) / 100,
    channel: order.channel,
    created_at: order.created_at,
  };
});
