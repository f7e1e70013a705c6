import { DataprodError } from '../errors.js';
import type { Admin } from '../kafka/client.js';
import type { ProductDescriptor } from '../product/types.js';
import { missingTopics } from '../runtime/topic-limits.js';

/** A product that never ran has no dead-letter topic: say that, rather than the client's error. */
export async function requireTopics(admin: Admin, products: readonly ProductDescriptor[]): Promise<void> {
  const missing = await missingTopics(admin, [...new Set(products.flatMap((p) => [p.deadLetter.topic, p.output.topic]))]);
  if (missing.length > 0) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist: run the product (dataprod run) first, or check the topic names in product.yaml`,
    );
  }
}
