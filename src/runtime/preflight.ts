import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../product/types.js';
import { registerOutputSchema } from '../contracts/register.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { SchemaCache } from '../contracts/schema-cache.js';
import { DataprodError } from '../errors.js';
import type { Admin } from '../kafka/client.js';

/**
 * What a product needs before it consumes anything, checked in order: its input topics exist
 * (CONFIG_INVALID if not), its output and dead-letter topics exist or are created, its output
 * schema is registered (returns the id), and its reader schemas can read what upstream registered
 * last (a warning only: such records are dead-lettered, not refused at start).
 */
export interface PreflightDeps {
  admin: Admin;
  registry: RegistryClient;
  config: Readonly<RuntimeConfig>;
  log: Logger;
}

export async function preflight(product: ProductDescriptor, deps: PreflightDeps): Promise<number> {
  await checkInputTopics(product, deps);
  await ensureTopics(product, deps);
  const outputSchemaId = await ensureOutputSchema(product, deps);
  await checkContracts(product, deps);
  return outputSchemaId;
}

async function checkInputTopics(product: ProductDescriptor, { admin }: PreflightDeps): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = product.inputPorts.filter((p) => !existing.has(p.topic));
  if (missing.length > 0) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${product.majorId}: input topic${missing.length > 1 ? 's' : ''} ${missing.map((p) => p.topic).join(', ')} ` +
        `do${missing.length > 1 ? '' : 'es'} not exist on the cluster (inputPorts ${missing.map((p) => p.name).join(', ')}); create ${missing.length > 1 ? 'them' : 'it'} or fix the topic name`,
    );
  }
}

/** Output and dead-letter topics, created with as many partitions as the widest input topic. */
async function ensureTopics(product: ProductDescriptor, { admin, config, log }: PreflightDeps): Promise<void> {
  const create = config.createTopics;
  const existing = new Set(await admin.listTopics());
  const wanted = [product.output.topic, product.deadLetter.topic].filter((t) => !existing.has(t));
  if (wanted.length === 0) return;
  if (!create) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${product.majorId}: ${wanted.join(' and ')} do${wanted.length > 1 ? '' : 'es'} not exist and --no-create-topics is set; create ${wanted.length > 1 ? 'them' : 'it'} or drop the flag`,
    );
  }
  const metadata = await admin.fetchTopicMetadata({ topics: product.inputPorts.map((p) => p.topic) });
  const partitions = Math.max(1, ...metadata.topics.map((t) => t.partitions.length));
  await admin.createTopics({ waitForLeaders: true, topics: wanted.map((topic) => ({ topic, numPartitions: partitions })) });
  log.info({ topics: wanted, partitions }, 'created topics');
}

async function ensureOutputSchema(product: ProductDescriptor, { registry, config, log }: PreflightDeps): Promise<number> {
  const port = product.output;
  if (!config.autoRegister) {
    const found = await registry.lookup(port.subject, port.schema);
    if (!found) {
      throw new DataprodError(
        'CONFIG_INVALID',
        `${product.majorId}: ${port.schemaFile} is not registered under ${port.subject}; run \`dataprod register\` or allow --auto-register`,
      );
    }
    return found.id;
  }
  const registration = await registerOutputSchema(registry, product, port);
  if (registration.created) log.info({ subject: registration.subject, id: registration.id }, 'registered the output schema');
  return registration.id;
}

/** Warns when an input port's reader schema cannot read what upstream registered last. */
async function checkContracts(product: ProductDescriptor, { registry, log }: PreflightDeps): Promise<void> {
  for (const port of product.inputPorts) {
    const latest = await registry.latest(port.contract.subject);
    if (!latest) {
      log.warn({ port: port.name, subject: port.contract.subject }, 'the input contract subject is not registered yet');
      continue;
    }
    const probe = new SchemaCache({ schemaById: async () => latest.schema }, new Map([[port.name, port.contract.schema]]), product.longs);
    await probe.fetch([latest.id]);
    const resolution = probe.resolve(port.name, latest.id);
    if (resolution?.kind !== 'ready') {
      const field = resolution?.kind === 'incompatible-writer-schema' ? resolution.field : undefined;
      log.error(
        { port: port.name, subject: port.contract.subject, version: latest.version, id: latest.id, field },
        'the reader schema cannot read the latest registered writer schema: its records will be dead-lettered as incompatible-writer-schema',
      );
    }
  }
}
