import { defaultProgress, type ProgressLog } from './cache.js';
import { dockerEngineReachable, startDockerStack } from './docker.js';
import { startLocalStack } from './local.js';
import type { Stack } from './stack.js';

export type { Stack } from './stack.js';
export type { LocalStack } from './local.js';
export { startLocalStack } from './local.js';
export { KafkaNode, KAFKA_VERSION, kafkaLibDir, provisionKafka } from './kafka.js';
export { RegistryNode, APICURIO_VERSION, provisionRegistry } from './registry.js';
export { cacheRoot, type ProgressLog } from './cache.js';

export interface StartStackOptions {
  progress?: ProgressLog;
  env?: NodeJS.ProcessEnv;
}

/**
 * A real Kafka broker and schema registry, in this order of preference:
 * 1. KAFKA_BROKERS and SCHEMA_REGISTRY_URL set: used as they are.
 * 2. A Docker engine reachable: testcontainers.
 * 3. Otherwise the local stack (Kafka and Apicurio Registry as JVM processes).
 * DATAPROD_STACK=local|docker skips the detection.
 */
export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? defaultProgress;
  const brokers = env.KAFKA_BROKERS?.trim();
  const registryUrl = env.SCHEMA_REGISTRY_URL?.trim();
  if (brokers && registryUrl) {
    return {
      kind: 'configured',
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      schemaRegistryUrl: registryUrl.replace(/\/+$/, ''),
      stop: async () => undefined,
    };
  }
  if (brokers || registryUrl) {
    throw new Error(
      `${brokers ? 'KAFKA_BROKERS' : 'SCHEMA_REGISTRY_URL'} is set but ${brokers ? 'SCHEMA_REGISTRY_URL' : 'KAFKA_BROKERS'} is not: ` +
        'set both to use an existing Kafka and registry, or neither to start a local stack',
    );
  }
  const forced = env.DATAPROD_STACK;
  if (forced !== undefined && forced !== 'local' && forced !== 'docker') {
    throw new Error(`DATAPROD_STACK=${forced}: must be "local" or "docker" (or unset to detect)`);
  }
  if (forced === 'docker' || (forced === undefined && (await dockerEngineReachable()))) {
    return startDockerStack(progress);
  }
  return startLocalStack(progress);
}
