import { relative } from 'node:path';
import type { Compatibility, OutputPort, ProductDescriptor } from '../product/types.js';
import { DataprodError } from '../errors.js';
import type { RegistryClient } from './registry-client.js';

export interface OutputRegistration {
  subject: string;
  id: number;
  /** False when this exact schema was already registered under the subject. */
  created: boolean;
}

/** How much each level guarantees: a higher rank checks more. */
const STRICTNESS: Record<Compatibility, number> = {
  NONE: 0,
  BACKWARD: 1,
  FORWARD: 1,
  FULL: 2,
  BACKWARD_TRANSITIVE: 3,
  FORWARD_TRANSITIVE: 3,
  FULL_TRANSITIVE: 4,
};

/** True when `wanted` keeps every guarantee `current` gives (so switching to it weakens nothing). */
export function keepsGuarantees(current: Compatibility, wanted: Compatibility): boolean {
  if (current === wanted) return true;
  const covers = (level: Compatibility, direction: 'BACKWARD' | 'FORWARD') => level.startsWith(direction) || level.startsWith('FULL');
  const transitive = (level: Compatibility) => level.endsWith('_TRANSITIVE');
  if (current === 'NONE') return true;
  if (covers(current, 'BACKWARD') && !covers(wanted, 'BACKWARD')) return false;
  if (covers(current, 'FORWARD') && !covers(wanted, 'FORWARD')) return false;
  if (transitive(current) && !transitive(wanted)) return false;
  return STRICTNESS[wanted] >= STRICTNESS[current];
}

/**
 * Makes sure the output port's schema is registered under its TopicNameStrategy subject with the
 * port's compatibility level. An incompatible change is refused with the registry's reasons: a
 * breaking change belongs in a new major version (a new topic), never in the same one. The
 * subject's level is only ever made stricter here; weakening it would let a breaking change in.
 */
export async function registerOutputSchema(
  client: RegistryClient,
  product: ProductDescriptor,
  port: OutputPort,
): Promise<OutputRegistration> {
  const schemaFile = relative(process.cwd(), port.schemaFile) || port.schemaFile;
  const current = await client.compatibility(port.subject);
  const hasVersions = (await client.latest(port.subject)) !== undefined;
  if (current !== port.compatibility) {
    if (hasVersions && current !== undefined && !keepsGuarantees(current, port.compatibility)) {
      throw new DataprodError(
        'SCHEMA_INCOMPATIBLE',
        `${product.id}: outputPorts[0].compatibility is ${port.compatibility} but ${port.subject} is ${current}; ` +
          `dataprod never weakens a live subject's compatibility (that would let a breaking change into .v${product.major}). ` +
          `Set compatibility: ${current}, or change the subject's level deliberately in the registry.`,
      );
    }
    await client.setCompatibility(port.subject, port.compatibility);
  }

  const existing = await client.lookup(port.subject, port.schema);
  if (existing) return { subject: port.subject, id: existing.id, created: false };

  const refuse = (reasons: string[]) =>
    new DataprodError(
      'SCHEMA_INCOMPATIBLE',
      `${product.id}: ${schemaFile} is not ${port.compatibility}-compatible with what ${port.subject} already holds:\n` +
        reasons.map((p) => `  - ${p}`).join('\n') +
        `\nA breaking change needs a new major version: bump version to ${product.major + 1}.0.0 and the topic to .v${product.major + 1}.`,
    );
  const check = await client.checkCompatibility(port.subject, port.schema);
  if (!check.compatible && check.reasons.length > 0) throw refuse(check.reasons);
  try {
    const id = await client.register(port.subject, port.schema);
    return { subject: port.subject, id, created: true };
  } catch (err) {
    // Some registries (Apicurio) give the reason only when refusing the registration itself.
    if ((err as DataprodError).code === 'SCHEMA_INCOMPATIBLE') {
      throw refuse([(err as Error).message.replace(/^schema registry POST \S+: /, '')]);
    }
    throw err;
  }
}
