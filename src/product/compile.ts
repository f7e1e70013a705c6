/**
 * Compiles a validated `product.yaml` into the deep-frozen ProductDescriptor of ./types.ts:
 * defaults applied, derived names filled in (subjects, dead-letter topic, consumer group,
 * constraint names), schema files replaced by their parsed JSON. Called only when validation
 * found no issue, so the shape is known.
 */
import { resolve } from 'node:path';
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_DELIVERY,
  DEFAULT_LONGS,
  DEFAULT_LOOKUP_STORE,
  DEFAULT_ON_INVALID,
  DEFAULT_ON_RULE_FAILURE,
  DEFAULT_TRANSFORM,
  RULE_OPERATORS,
  type RawDescriptor,
} from './descriptor-schema.js';
import type { Entry } from './schema-type.js';
import { consumerGroupOf, subjectOf, topicOfMajor } from './naming.js';
import type { Loaded } from './semantic-context.js';
import { defaultDeadLetterTopic, majorIdOf } from './majors.js';
import type { AvroSchema, ContractConstraint, InputPort, OutputPort, ProductDescriptor, QualityRule, RuleCheck } from './types.js';

/** A contract constraint or a quality rule as written: a property and one operator. */
type RawRule = Entry<RawDescriptor['inputPorts'][number]['contract']['constraints']> | Entry<RawDescriptor['quality']>;

function toCheck(rule: RawRule): RuleCheck {
  const op = RULE_OPERATORS.find((o) => o in rule);
  if (op === undefined) throw new Error('internal: rule without operator reached compile');
  const value = rule[op];
  const copy = Array.isArray(value) ? [...(value as unknown[])] : value;
  return { op, value: copy } as RuleCheck;
}

function pick<T extends object, K extends keyof T>(obj: T | undefined, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  if (!obj) return out;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function schemaOf(dir: string, rel: string, loaded: Loaded): { schemaFile: string; schema: AvroSchema } {
  const abs = resolve(dir, rel);
  const file = loaded.schemas.get(abs);
  if (!file?.json) throw new Error(`internal: schema ${abs} not loaded`);
  return { schemaFile: abs, schema: structuredClone(file.json) };
}

/** The successor's topic is this one's with the successor's major (`sales.orders.v1` -> `sales.orders.v2`). */
function lifecycleOf(raw: RawDescriptor): Pick<ProductDescriptor, 'lifecycle'> {
  if (raw.sunset === undefined && raw.successor === undefined) return {};
  const topic = raw.outputPorts[0]!.topic;
  return {
    lifecycle: {
      ...(raw.sunset === undefined ? {} : { sunset: raw.sunset, sunsetSeconds: Date.parse(`${raw.sunset}T00:00:00Z`) / 1000 }),
      ...(raw.successor === undefined ? {} : { successor: { major: raw.successor, topic: topicOfMajor(topic, raw.successor) } }),
    },
  };
}

export function compile(raw: RawDescriptor, dir: string, file: string, loaded: Loaded): ProductDescriptor {
  const major = Number(raw.version.split('.')[0]);
  const inputPorts: InputPort[] = raw.inputPorts.map((p) => {
    const constraints: ContractConstraint[] = [
      ...(p.contract.required ?? []).map((property) => ({
        name: `required-${property}`,
        property,
        check: { op: 'mustNotBeNull' as const, value: true as const },
      })),
      ...(p.contract.constraints ?? []).map((c) => {
        const check = toCheck(c);
        return { name: c.name ?? `${check.op}-${c.property}`, property: c.property, check };
      }),
    ];
    return {
      name: p.name,
      topic: p.topic,
      contract: { subject: p.contract.subject ?? `${p.topic}-value`, ...schemaOf(dir, p.contract.schema, loaded), constraints },
      onInvalid: p.onInvalid ?? DEFAULT_ON_INVALID,
    };
  });
  const outputPorts: OutputPort[] = raw.outputPorts.map((p) => ({
    name: p.name,
    topic: p.topic,
    subject: subjectOf(p.topic),
    ...(p.key === undefined ? {} : { key: p.key }),
    ...(p.eventTime === undefined ? {} : { eventTime: p.eventTime }),
    ...schemaOf(dir, p.schema, loaded),
    compatibility: p.compatibility ?? DEFAULT_COMPATIBILITY,
    classification: { ...(p.classification ?? {}) },
  }));
  const defaultPort = raw.inputPorts[0]?.name ?? '';
  const quality: QualityRule[] = (raw.quality ?? []).map((q) => ({
    name: q.name ?? '',
    port: q.port ?? defaultPort,
    property: q.property,
    check: toCheck(q),
    onFailure: q.onFailure ?? DEFAULT_ON_RULE_FAILURE,
  }));
  const descriptor: ProductDescriptor = {
    dir,
    file,
    id: raw.id,
    name: raw.name,
    domain: raw.domain,
    version: raw.version,
    major,
    status: raw.status,
    description: pick(raw.description, ['purpose', 'usage', 'limitations']),
    team: {
      name: raw.team.name,
      members: (raw.team.members ?? []).map((m) => ({ username: m.username, role: m.role })),
    },
    support: (raw.support ?? []).map((s) => pick(s, ['channel', 'url'])),
    inputPorts,
    transformFile: resolve(dir, raw.transform ?? DEFAULT_TRANSFORM),
    outputPorts,
    output: outputPorts[0]!,
    deadLetter: { topic: raw.deadLetter?.topic ?? defaultDeadLetterTopic(raw.domain, raw.name, major) },
    delivery: raw.delivery ?? DEFAULT_DELIVERY,
    longs: raw.longs ?? DEFAULT_LONGS,
    quality,
    slaProperties: (raw.slaProperties ?? []).map((s) => ({ property: s.property, value: s.value, ...pick(s, ['unit', 'objective']) })),
    consumerGroup: consumerGroupOf(raw.id, major),
    ...lifecycleOf(raw),
    lookups: (raw.lookups ?? []).map((l) => ({
      name: l.name,
      topic: l.topic,
      ...schemaOf(dir, l.schema, loaded),
      store: l.store ?? DEFAULT_LOOKUP_STORE,
    })),
    majorId: majorIdOf(raw.id, major),
  };
  return deepFreeze(descriptor);
}
