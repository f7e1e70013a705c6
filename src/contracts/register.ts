import type { OutputPort, ProductDescriptor } from '../config/types.js';
import { DataprodError } from '../errors.js';
import type { RegistryClient } from './registry-client.js';

export interface OutputRegistration {
  subject: string;
  id: number;
  /** False when this exact schema was already registered under the subject. */
  created: boolean;
}

/**
 * Makes sure the output port's schema is registered under its TopicNameStrategy subject with the
 * port's compatibility level. An incompatible change is refused with the registry's reasons: a
 * breaking change belongs in a new major version (a new topic), never in the same one.
 */
export async function registerOutputSchema(
  client: RegistryClient,
  product: ProductDescriptor,
  port: OutputPort,
): Promise<OutputRegistration> {
  const existing = await client.lookup(port.subject, port.schema);
  if ((await client.compatibility(port.subject)) !== port.compatibility) {
    await client.setCompatibility(port.subject, port.compatibility);
  }
  if (existing) return { subject: port.subject, id: existing.id, created: false };
  const problems = await client.incompatibilities(port.subject, port.schema);
  if (problems.length > 0) {
    throw new DataprodError(
      'SCHEMA_INCOMPATIBLE',
      `${product.id}: ${port.schemaFile} is not ${port.compatibility}-compatible with what ${port.subject} already holds:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        `\nA breaking change needs a new major version: bump version to ${product.major + 1}.0.0 and the topic to .v${product.major + 1}.`,
    );
  }
  const id = await client.register(port.subject, port.schema);
  return { subject: port.subject, id, created: true };
}
