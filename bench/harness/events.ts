/**
 * The benchmark's input: the example's raw orders (src/tools/demo/generators.ts, all valid) widened to
 * about 300 bytes per Confluent-framed value with the fields of bench/products/orders-wide's raw
 * schema (delivery address, session, user agent), and the cheap tricks the open-loop latency probe
 * needs to stamp a creation time into an already-encoded value.
 */
import avsc from 'avsc';
import { frame } from '../../src/contracts/wire.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { benchSchema } from './product.js';

const STREETS = [
  'Hauptstrasse',
  'Bahnhofstrasse',
  'Rue de la Paix',
  'Kungsgatan',
  'High Street',
  'Baker Street',
  'Market Street',
  'Limmatquai',
];
const CITIES: Record<string, [string, string | null][]> = {
  DE: [
    ['Berlin', 'BE'],
    ['Hamburg', 'HH'],
    ['München', 'BY'],
  ],
  FR: [
    ['Paris', 'IDF'],
    ['Lyon', 'ARA'],
    ['Lille', 'HDF'],
  ],
  SE: [
    ['Stockholm', null],
    ['Göteborg', null],
    ['Malmö', null],
  ],
  GB: [
    ['London', null],
    ['Manchester', null],
    ['Leeds', null],
  ],
  US: [
    ['Seattle', 'WA'],
    ['Austin', 'TX'],
    ['Boston', 'MA'],
  ],
  CH: [
    ['Zürich', 'ZH'],
    ['Bern', 'BE'],
    ['Genève', 'GE'],
  ],
};
const FIRST = ['Anna', 'Jonas', 'Lea', 'Lukas', 'Sofia', 'Noah', 'Emma', 'Elias', 'Mia', 'Finn'];
const LAST = ['Müller', 'Schmidt', 'Dubois', 'Andersson', 'Smith', 'Johnson', 'Rossi', 'Keller', 'Weber', 'Nilsson'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'ShopApp/4.12.1 (Android 14; Pixel 8; Build/AP2A.240605.024) okhttp/4.12.0',
];

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
/** A session id shaped like a UUID (36 characters), deterministic per sequence number. */
function uuidLike(seq: number): string {
  const a = hex8(seq * 2654435761);
  const b = hex8(seq ^ 0x5bd1e995);
  const c = hex8(seq * 40503 + 977);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(0, 3)}-${c.slice(3)}${a.slice(0, 7)}`;
}

/** A valid wide raw order for sequence number `seq` (schema bench/products/orders-wide/schemas/raw-order.avsc). */
export function wideOrder(seq: number, createdAt: number): Record<string, unknown> {
  const base = rawOrder(seq, createdAt, 'valid');
  const country = String(base.shipping_country);
  const [city, region] = CITIES[country]![seq % 3]!;
  // Field order as in the schema, created_at last.
  return {
    order_id: base.order_id,
    customer_id: base.customer_id,
    customer_email: base.customer_email,
    currency: base.currency,
    items: base.items,
    shipping_cost: base.shipping_cost,
    discount: base.discount,
    coupon_code: base.coupon_code,
    channel: base.channel,
    payment_method: base.payment_method,
    shipping_address: {
      recipient: `${FIRST[seq % FIRST.length]} ${LAST[(seq >> 3) % LAST.length]}`,
      street: `${STREETS[seq % STREETS.length]} ${1 + (seq % 180)}`,
      postal_code: String(10_000 + ((seq * 7919) % 89_999)),
      city,
      region,
      country,
    },
    shipping_country: country,
    store_id: base.store_id,
    session_id: uuidLike(seq),
    user_agent: base.channel === 'STORE' ? null : AGENTS[seq % AGENTS.length],
    client_ip:
      base.channel === 'STORE'
        ? null
        : seq % 7 === 0
          ? `2001:db8:${(seq % 4096).toString(16)}:1::${(seq % 97).toString(16)}`
          : `198.51.100.${seq % 250}`,
    is_test: base.is_test,
    created_at: createdAt,
  };
}

/**
 * created_at is the last field of both bench schemas, a zig-zag varint. For any time between
 * 2004-11 and 2039-09 (2^40 to 2^41 ms) the zig-zag value needs 42 bits: exactly 6 varint bytes
 * at the very end of the value. So a creation time can be read from, or written into, a framed
 * value without decoding it. `readTrailingMillis` returns undefined when the bytes do not look
 * like such a varint (callers count those and fail loudly).
 */
export const TRAILING_MILLIS_BYTES = 6;
const MIN_MS = 2 ** 40;
const MAX_MS = 2 ** 41 - 1;

export function writeTrailingMillis(value: Buffer, ms: number): void {
  if (!(ms >= MIN_MS && ms <= MAX_MS)) throw new Error(`${ms}: outside the 6-byte varint range`);
  let z = ms * 2; // zig-zag of a positive number
  const at = value.length - TRAILING_MILLIS_BYTES;
  for (let i = 0; i < TRAILING_MILLIS_BYTES; i++) {
    const low = z % 128;
    z = Math.floor(z / 128);
    value[at + i] = i < TRAILING_MILLIS_BYTES - 1 ? low | 0x80 : low;
  }
}

export function readTrailingMillis(value: Buffer): number | undefined {
  const at = value.length - TRAILING_MILLIS_BYTES;
  if (at < 0) return undefined;
  let z = 0;
  let scale = 1;
  for (let i = 0; i < TRAILING_MILLIS_BYTES; i++) {
    const b = value[at + i]!;
    const last = i === TRAILING_MILLIS_BYTES - 1;
    if (last ? b & 0x80 : !(b & 0x80)) return undefined;
    z += (b & 0x7f) * scale;
    scale *= 128;
  }
  const ms = z / 2;
  return Number.isInteger(ms) && ms >= MIN_MS && ms <= MAX_MS ? ms : undefined;
}

/** A Confluent-framed wide raw order, encoded with the bench raw schema. */
export function encoder(schemaId: number): (seq: number, createdAt: number) => Buffer {
  const type = avsc.Type.forSchema(benchSchema('raw-order.avsc') as avsc.Schema);
  return (seq, createdAt) => frame(schemaId, type.toBuffer(wideOrder(seq, createdAt)));
}
