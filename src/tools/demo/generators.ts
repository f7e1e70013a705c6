/**
 * Synthetic raw events for the example products, deterministic per sequence number so tests can
 * compute what must come out. A small share of each stream is bad on purpose (see `kindOf`).
 */

export type EventKind = 'valid' | 'filtered' | 'contract' | 'quality' | 'transform' | 'not-avro';

/** Every 50th event is bad in one of several ways; every 20th valid-looking order is a test order. */
export function kindOf(seq: number): EventKind {
  switch (seq % 50) {
    case 7:
      return 'contract';
    case 19:
      return 'quality';
    case 31:
      return 'transform';
    case 43:
      return 'not-avro';
    default:
      return seq % 20 === 3 ? 'filtered' : 'valid';
  }
}

const CURRENCIES = ['eur', 'EUR', 'usd', 'GBP', 'chf', 'sek'];
const CHANNELS = ['WEB', 'MOBILE_APP', 'MARKETPLACE', 'STORE'] as const;
const PAYMENTS = ['CARD', 'PAYPAL', 'BANK_TRANSFER', 'GIFT_CARD'] as const;
const COUNTRIES = ['DE', 'FR', 'SE', 'GB', 'US', 'CH'];

/** A raw order (schema `raw-order.avsc` of orders-enriched) for sequence number `seq`. */
export function rawOrder(seq: number, createdAt: number, kind: EventKind = kindOf(seq)): Record<string, unknown> {
  const items = Array.from({ length: 1 + (seq % 3) }, (_, i) => ({
    sku: `SKU-${(seq * 7 + i) % 500}`,
    quantity: 1 + ((seq + i) % 4),
    unit_price: Math.round((5 + ((seq * 13 + i * 17) % 200) + 0.99) * 100) / 100,
  }));
  const channel = CHANNELS[seq % CHANNELS.length]!;
  return {
    order_id: `o-${seq}`,
    customer_id: `c-${seq % 997}`,
    customer_email: `Customer${seq % 997}@Example.com`,
    // contract: not a three-letter code; transform: a code missing from the rate table.
    currency: kind === 'contract' ? 'euro' : kind === 'transform' ? 'JPY' : CURRENCIES[seq % CURRENCIES.length],
    items,
    // quality: a negative shipping cost breaks shipping-cost-non-negative.
    shipping_cost: kind === 'quality' ? -4.9 : seq % 4 === 0 ? 0 : 4.9,
    discount: seq % 5 === 0 ? 2.5 : null,
    coupon_code: seq % 5 === 0 ? 'SPRING' : null,
    channel,
    payment_method: PAYMENTS[seq % PAYMENTS.length],
    shipping_country: COUNTRIES[seq % COUNTRIES.length],
    store_id: channel === 'STORE' ? `store-${seq % 12}` : null,
    is_test: kind === 'filtered',
    created_at: createdAt,
  };
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
];
const PAGES = ['/', '/shoes/running', '/cart', '/checkout', '/account/orders', '/search'];

/** A raw click (schema `raw-click.avsc` of page-views) for sequence number `seq`. */
export function rawClick(seq: number, eventTime: number, kind: EventKind = kindOf(seq)): Record<string, unknown> {
  const page = PAGES[seq % PAGES.length]!;
  const query = seq % 4 === 0 ? `?utm_source=newsletter&utm_campaign=spring-${seq % 3}` : '';
  return {
    click_id: `k-${seq}`,
    session_id: `s-${Math.floor(seq / 5)}`,
    user_id: seq % 3 === 0 ? `u-${seq % 211}` : null,
    // filtered: a crawler.
    user_agent:
      kind === 'filtered' ? 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' : AGENTS[seq % AGENTS.length],
    ip: seq % 7 === 0 ? `2001:db8:${(seq % 4096).toString(16)}:1::${(seq % 97).toString(16)}` : `198.51.100.${seq % 250}`,
    // contract: not an http(s) URL; transform: passes the contract's pattern but does not parse.
    url:
      kind === 'contract' ? `ftp://shop.example.com${page}` : kind === 'transform' ? 'https://' : `https://shop.example.com${page}${query}`,
    referrer: seq % 2 === 0 ? 'https://www.search.example/results?q=shoes' : null,
    // quality: a device with a reset clock.
    event_time: kind === 'quality' ? 86_400_000 : eventTime,
    screen_width: seq % 6 === 0 ? null : [1920, 390, 820, 1440][seq % 4],
    screen_height: seq % 6 === 0 ? null : [1080, 844, 1180, 900][seq % 4],
    language: seq % 2 === 0 ? 'de-CH' : 'en-US',
  };
}
