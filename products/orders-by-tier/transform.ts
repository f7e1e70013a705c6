import { defineTransform } from 'dataprod';
import type { Lookups, OrdersByTierOutput, OrdersInput } from './types.gen.js';

const cents = (amount: number) => Math.round(amount * 100);

export default defineTransform<OrdersInput, OrdersByTierOutput, Lookups>((order, ctx) => {
  // QA and synthetic monitoring place real-looking orders flagged as tests: they are not revenue.
  if (order.is_test) return null;

  // Tier reports must not count an order under a guessed tier: an order of a customer the CRM
  // does not know (yet) is dead-lettered as lookup-miss, and replayed once the CRM has it.
  const customer = ctx.requireLookup('customers', order.customer_id);

  let totalCents = cents(order.shipping_cost) - cents(order.discount ?? 0);
  for (const item of order.items) totalCents += item.quantity * cents(item.unit_price);
  return {
    order_id: order.order_id,
    customer_id: order.customer_id,
    tier: customer.tier,
    total: totalCents / 100,
    currency: order.currency.toUpperCase(),
    created_at: order.created_at,
  };
});
