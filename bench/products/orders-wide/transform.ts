import { defineTransform } from 'dataprod';
import type { OrdersInput, OrdersWideOutput } from './types.gen.js';

/**
 * The orders-enriched example's transform (products/orders-enriched/transform.ts, same rate table,
 * same cent arithmetic, same refusals), on the benchmark's wider order: the address, payment,
 * session and user agent are passed through. The benchmark's hand-written baseline
 * (bench/baseline.ts) imports this module too, so both run exactly this code per event.
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

function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export default defineTransform<OrdersInput, OrdersWideOutput>((order) => {
  if (order.is_test) return null;

  const currency = order.currency.toUpperCase();
  const rate = EUR_PER_UNIT[currency];
  if (rate === undefined) throw new Error('currency is not in the EUR rate table');
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
    coupon_code: order.coupon_code,
    channel: order.channel,
    payment_method: order.payment_method,
    shipping_address: order.shipping_address,
    session_id: order.session_id,
    user_agent: order.user_agent,
    created_at: order.created_at,
  };
});
