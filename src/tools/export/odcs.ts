/**
 * A product as Open Data Contract Standard v3.1.0 contracts: one for what it publishes (the output
 * port: its schema with classification and key, the quality rules and contract constraints that
 * guard it, the SLAs, the team) and one per input port (what the product expects of upstream: the
 * reader schema and its constraints). datacontract-cli lints them in the test suite.
 *
 * dataprod's per-event rules have no ODCS library metric (those count values over a dataset), so
 * each becomes a `custom` check with engine `dataprod` whose implementation is the rule as written
 * in product.yaml, plus a sentence for humans.
 */
import type { ContractConstraint, InputPort, ProductDescriptor, QualityRule } from '../../product/types.js';
import { isObject } from '../codegen/avro-nodes.js';

export const ODCS_API_VERSION = 'v3.1.0';

/** Contract ids: the output contract is named after the product topic (one per major). */
export const outputContractId = (product: ProductDescriptor) => product.output.topic;
// By majorId: v1 and v2 side by side may read one port name with different reader schemas.
export const inputContractId = (product: ProductDescriptor, port: InputPort) => `${product.majorId}.${port.name}.input`;

type Json = Record<string, unknown>;

export function outputContract(product: ProductDescriptor): Json {
  const port = product.output;
  const checks = [...product.quality.map((rule) => qualityCheck(rule, 'quality')), ...product.inputPorts.flatMap(constraintChecks)];
  return {
    ...header(product, outputContractId(product), product.status),
    description: { ...product.description },
    schema: [
      {
        ...schemaObject(port.name, port.topic, port.schema, port.classification, port.key),
        ...(checks.length > 0 ? { quality: checks } : {}),
      },
    ],
    ...support(product),
    ...(product.slaProperties.length > 0 ? { slaProperties: product.slaProperties.map(sla) } : {}),
    customProperties: [
      { property: 'deadLetterTopic', value: product.deadLetter.topic },
      { property: 'delivery', value: product.delivery },
      { property: 'compatibility', value: port.compatibility },
      { property: 'registrySubject', value: port.subject },
    ],
  };
}

export function inputContract(product: ProductDescriptor, port: InputPort): Json {
  const checks = constraintChecks(port);
  return {
    ...header(product, inputContractId(product, port), product.status),
    description: { purpose: `What ${product.id} expects of ${port.topic}: the reader schema every writer schema is resolved to.` },
    schema: [{ ...schemaObject(port.name, port.topic, port.contract.schema, {}), ...(checks.length > 0 ? { quality: checks } : {}) }],
    ...support(product),
    customProperties: [
      { property: 'registrySubject', value: port.contract.subject },
      { property: 'onInvalid', value: port.onInvalid },
    ],
  };
}

function header(product: ProductDescriptor, id: string, status: string): Json {
  return {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id,
    name: id,
    version: product.version,
    status,
    domain: product.domain,
    dataProduct: product.id,
    team: { name: product.team.name, members: product.team.members.map((m) => ({ ...m })) },
  };
}

function support(product: ProductDescriptor): Json {
  return product.support.length > 0 ? { support: product.support.map((s) => ({ ...s })) } : {};
}

function sla(entry: ProductDescriptor['slaProperties'][number]): Json {
  const { property, value, unit } = entry;
  const objective = 'objective' in entry && entry.objective !== undefined ? entry.objective : undefined;
  return {
    property,
    value,
    ...(unit !== undefined ? { unit } : {}),
    ...(objective !== undefined ? { description: `${objective}% of events within the value (measured live by the worker)` } : {}),
  };
}

function constraintChecks(port: InputPort): Json[] {
  return port.contract.constraints.map((c) => qualityCheck({ ...c, port: port.name }, 'contract'));
}

function qualityCheck(rule: (QualityRule | ContractConstraint) & { port: string }, kind: 'quality' | 'contract'): Json {
  const onFailure = 'onFailure' in rule ? rule.onFailure : 'dlq';
  return {
    name: rule.name,
    type: 'custom',
    engine: 'dataprod',
    description:
      `${kind === 'contract' ? 'Contract constraint' : 'Quality rule'} on input port ${rule.port}: ` +
      `${rule.property} ${rule.check.op} ${JSON.stringify(rule.check.value)}; ` +
      (onFailure === 'dlq' ? 'events that fail are dead-lettered, never published.' : `events that fail: ${onFailure}.`),
    dimension: 'conformity',
    severity: 'error',
    implementation: { port: rule.port, property: rule.property, [rule.check.op]: rule.check.value, onFailure },
  };
}

/** The ODCS schema object of a topic's Avro record: one property per field, nested for records. */
function schemaObject(name: string, topic: string, schema: unknown, classification: Readonly<Record<string, string>>, key?: string): Json {
  const record = isObject(schema) ? schema : {};
  return {
    name,
    physicalName: topic,
    physicalType: 'topic',
    logicalType: 'object',
    ...(typeof record.doc === 'string' ? { description: record.doc } : {}),
    properties: fieldsOf(record).map((f) => property(f, '', classification, key)),
  };
}

function fieldsOf(record: Json): Json[] {
  return Array.isArray(record.fields) ? record.fields.filter(isObject) : [];
}

function property(field: Json, prefix: string, classification: Readonly<Record<string, string>>, key?: string): Json {
  const name = String(field.name);
  const path = prefix + name;
  const { type, nullable } = unwrapNullable(field.type);
  const mapped = avroType(type, `${path}.`, classification);
  const doc = [typeof field.doc === 'string' ? field.doc : undefined, mapped.note].filter((t) => t !== undefined).join(' ');
  return {
    name,
    ...mapped.odcs,
    required: !nullable,
    ...(doc !== '' ? { description: doc } : {}),
    ...(classification[path] !== undefined ? { classification: classification[path] } : {}),
    ...(key === path ? { primaryKey: true, primaryKeyPosition: 1 } : {}),
  };
}

/** `["null", T]` (either order) is an optional T; any other union stays a union. */
function unwrapNullable(type: unknown): { type: unknown; nullable: boolean } {
  if (Array.isArray(type) && type.length === 2 && type.includes('null')) return { type: type.find((t) => t !== 'null'), nullable: true };
  return { type, nullable: false };
}

const LOGICAL: Readonly<Record<string, string>> = {
  'timestamp-millis': 'timestamp',
  'timestamp-micros': 'timestamp',
  'local-timestamp-millis': 'timestamp',
  'local-timestamp-micros': 'timestamp',
  date: 'date',
  'time-millis': 'time',
  'time-micros': 'time',
  uuid: 'string',
};
const PRIMITIVE: Readonly<Record<string, string>> = {
  boolean: 'boolean',
  int: 'integer',
  long: 'integer',
  float: 'number',
  double: 'number',
  string: 'string',
  bytes: 'string',
};

function avroType(type: unknown, prefix: string, classification: Readonly<Record<string, string>>): { odcs: Json; note?: string } {
  if (typeof type === 'string') {
    return PRIMITIVE[type] !== undefined
      ? { odcs: { logicalType: PRIMITIVE[type], physicalType: type } }
      : { odcs: { physicalType: type } };
  }
  if (Array.isArray(type)) return { odcs: { physicalType: 'union' }, note: `Avro union of ${type.length} branches.` };
  if (!isObject(type)) return { odcs: {} };
  const base = String(type.type);
  if (type.logicalType === 'decimal') {
    // ODCS has no precision or scale of its own: the physical type keeps them, as exact as the data (docs/contracts.md).
    return { odcs: { logicalType: 'number', physicalType: `${base}/decimal(${String(type.precision)},${String(type.scale ?? 0)})` } };
  }
  if (typeof type.logicalType === 'string' && LOGICAL[type.logicalType] !== undefined) {
    return { odcs: { logicalType: LOGICAL[type.logicalType], physicalType: `${base}/${type.logicalType}` } };
  }
  switch (base) {
    case 'record':
      return {
        odcs: { logicalType: 'object', physicalType: 'record', properties: fieldsOf(type).map((f) => property(f, prefix, classification)) },
      };
    case 'enum':
      return {
        odcs: { logicalType: 'string', physicalType: 'enum' },
        note: `One of ${(Array.isArray(type.symbols) ? type.symbols : []).join(', ')}.`,
      };
    case 'array': {
      const items = unwrapNullable(type.items);
      return {
        odcs: {
          logicalType: 'array',
          physicalType: 'array',
          items: { name: 'items', ...avroType(items.type, prefix, classification).odcs },
        },
      };
    }
    case 'map':
      return { odcs: { logicalType: 'object', physicalType: 'map' } };
    case 'fixed':
      return { odcs: { logicalType: 'string', physicalType: 'fixed' } };
    default:
      return avroType(base, prefix, classification);
  }
}
