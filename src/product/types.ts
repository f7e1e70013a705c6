/**
 * The compiled, frozen form of `product.yaml` (see docs/descriptor.md). What it shares with the
 * file (enums, rule operators, SLA entries, description, team, support) is derived from the JSON
 * Schema of ./descriptor-schema.ts, the one place the descriptor's shape is written.
 */
import type {
  COMPATIBILITIES,
  DELIVERIES,
  LONGS,
  LOOKUP_STORES,
  ON_INVALID,
  ON_RULE_FAILURE,
  OPERATOR_PROPERTIES,
  PRODUCT_STATUSES,
  RawDescriptor,
  RuleOperator,
} from './descriptor-schema.js';
import type { Entry, FromSchema } from './schema-type.js';

export type { RuleOperator };
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];
export type OnInvalid = (typeof ON_INVALID)[number];
export type OnRuleFailure = (typeof ON_RULE_FAILURE)[number];
/** How outputs, dead letters and input offsets reach Kafka (docs/runtime.md "Delivery guarantees"). */
export type Delivery = (typeof DELIVERIES)[number];
export type Compatibility = (typeof COMPATIBILITIES)[number];
/** How Avro longs reach the transform: `number` (values beyond +-(2^53-1) dead-lettered) or `bigint`. */
export type Longs = (typeof LONGS)[number];
export type LookupStoreKind = (typeof LOOKUP_STORES)[number];

/** An Avro schema as parsed JSON (what avsc's Type.forSchema takes). */
export type AvroSchema = Record<string, unknown> | unknown[] | string;

/**
 * A check on one property of an event. Operators borrow ODCS quality names.
 * `property` is a dotted path into the record (`customer.email`).
 */
export type RuleCheck = {
  [Op in RuleOperator]: { op: Op; value: FromSchema<(typeof OPERATOR_PROPERTIES)[Op]> };
}[RuleOperator];

/** Part of the input contract: a violation means the producer broke the contract (reason `contract`). */
export interface ContractConstraint {
  readonly name: string;
  readonly property: string;
  readonly check: RuleCheck;
}

/** A per-event quality rule on an input port (reason `quality` when it dead-letters). */
export interface QualityRule {
  readonly name: string;
  /** Input port the rule applies to. */
  readonly port: string;
  readonly property: string;
  readonly check: RuleCheck;
  readonly onFailure: OnRuleFailure;
}

export interface InputPort {
  readonly name: string;
  readonly topic: string;
  readonly contract: {
    /** Registry subject of the upstream contract, e.g. `raw.orders-value`. */
    readonly subject: string;
    /** Absolute path of the reader schema file. */
    readonly schemaFile: string;
    /** The reader schema: every writer schema is resolved to it. */
    readonly schema: AvroSchema;
    readonly constraints: readonly ContractConstraint[];
  };
  readonly onInvalid: OnInvalid;
}

export interface OutputPort {
  readonly name: string;
  readonly topic: string;
  /** TopicNameStrategy: `<topic>-value`. */
  readonly subject: string;
  /** Field of the output record used as the Kafka key; absent: the input key is kept. */
  readonly key?: string;
  /** Top-level timestamp-millis (or -micros) field holding the event time, for event-to-publish latency and freshness. */
  readonly eventTime?: string;
  readonly schemaFile: string;
  readonly schema: AvroSchema;
  readonly compatibility: Compatibility;
  /** Field path -> classification, e.g. `{ customer_email: 'pii' }`. Classified fields are never logged. */
  readonly classification: Readonly<Record<string, string>>;
}

export type SlaProperty = Readonly<Entry<RawDescriptor['slaProperties']>>;

export interface ProductDescriptor {
  /** Absolute folder of the product. */
  readonly dir: string;
  /** Absolute path of product.yaml. */
  readonly file: string;
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly version: string;
  /** Major of `version`: the suffix of every output topic and of the consumer group. */
  readonly major: number;
  readonly status: ProductStatus;
  readonly description: Readonly<NonNullable<RawDescriptor['description']>>;
  /** `members` defaults to none. */
  readonly team: { readonly name: string; readonly members: readonly Readonly<Entry<RawDescriptor['team']['members']>>[] };
  readonly support: readonly Readonly<Entry<RawDescriptor['support']>>[];
  readonly inputPorts: readonly InputPort[];
  /** Absolute path of the transform module. */
  readonly transformFile: string;
  /** The product's outputs as declared: exactly one today (the schema refuses more). */
  readonly outputPorts: readonly OutputPort[];
  /** The one output port (`outputPorts[0]`): what the runtime writes to. */
  readonly output: OutputPort;
  readonly deadLetter: { readonly topic: string };
  /**
   * `exactly-once`: a batch's outputs, dead letters and input offsets are written in one Kafka
   * transaction per input partition, inputs read read_committed. `at-least-once` (default):
   * after a crash or a failed commit, outputs may be written again, never lost.
   */
  readonly delivery: Delivery;
  /** `number` (default): a long beyond what a double holds exactly is dead-lettered (avro-decode, long-precision); `bigint`: every long is a bigint. */
  readonly longs: Longs;
  readonly quality: readonly QualityRule[];
  readonly slaProperties: readonly SlaProperty[];
  /** Consumer group of this product's workers: `dataprod.<id>.v<major>`. */
  readonly consumerGroup: string;
  /** This major's name in metrics (`product` label), health, /products and rules: `<id>`, or `<id>.v<major>` from major 2 (./majors.ts). */
  readonly majorId: string;
  /** Lookup tables the transform reads with `ctx.lookup` (src/lookups); absent or empty: none. */
  readonly lookups?: readonly Lookup[];
  /** Deprecated or retired products: the day it stops (`sunset`, midnight UTC) and the major that replaces it. */
  readonly lifecycle?: ProductLifecycle;
}

export interface ProductLifecycle {
  /** YYYY-MM-DD as written. */
  readonly sunset?: string;
  /** Midnight UTC of the sunset day, in seconds since the epoch (dataprod_product_sunset_timestamp_seconds). */
  readonly sunsetSeconds?: number;
  readonly successor?: { readonly major: number; readonly topic: string };
}

/** A compacted topic materialised whole in every replica (docs/descriptor.md "Lookup tables"). */
export interface Lookup {
  readonly name: string;
  readonly topic: string;
  /** Absolute path of the reader schema file: every writer schema of the topic is resolved to it. */
  readonly schemaFile: string;
  readonly schema: AvroSchema;
  /** `memory` (default) or `disk` (LMDB, for tables larger than the heap). */
  readonly store: LookupStoreKind;
}
