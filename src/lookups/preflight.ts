import type { Logger } from 'pino';
import { DataprodError } from '../errors.js';
import { ConfigResourceTypes, type Admin } from '../kafka/client.js';
import type { ProductDescriptor } from '../product/types.js';

/**
 * Before a product restores its lookup tables: every lookup topic exists (CONFIG_INVALID naming
 * the lookup if not), and a topic that is not compacted gets a warning, since the table then
 * replays every update ever retained instead of the newest value per key, and keys deleted by
 * retention vanish from the table at the next start.
 */
export async function checkLookupTopics(product: ProductDescriptor, admin: Admin, log: Logger): Promise<void> {
  const lookups = product.lookups ?? [];
  if (lookups.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = lookups.filter((l) => !existing.has(l.topic));
  if (missing.length > 0) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${product.majorId}: lookup topic${missing.length > 1 ? 's' : ''} ${missing.map((l) => l.topic).join(', ')} ` +
        `do${missing.length > 1 ? '' : 'es'} not exist on the cluster (lookups ${missing.map((l) => l.name).join(', ')}); ` +
        'create it as a compacted topic (cleanup.policy=compact) or fix lookups[].topic',
    );
  }
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: lookups.map((l) => ({ type: ConfigResourceTypes.TOPIC, name: l.topic, configNames: ['cleanup.policy'] })),
  });
  for (const lookup of lookups) {
    const policy = resources
      .find((r) => r.resourceName === lookup.topic)
      ?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    if (policy !== undefined && !policy.split(',').includes('compact')) {
      log.warn(
        { lookup: lookup.name, topic: lookup.topic, cleanupPolicy: policy },
        'the lookup topic is not compacted: every retained update is read at start, and keys deleted by retention leave the table; set cleanup.policy=compact',
      );
    }
  }
}
