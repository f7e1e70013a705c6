import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProgress, type ProgressLog } from './cache.js';
import { KafkaNode } from './kafka.js';
import { RegistryNode } from './registry.js';
import type { Stack } from './stack.js';

export interface LocalStack extends Stack {
  kind: 'local';
  kafka: KafkaNode;
  registry: RegistryNode;
  /** Temporary folder with broker data, configs and logs; removed by stop(). */
  workDir: string;
}

/**
 * Apache Kafka (KRaft, single node) and a Confluent-compatible registry as local JVM processes,
 * with storage formatted fresh in a temporary folder.
 */
export async function startLocalStack(progress: ProgressLog = defaultProgress): Promise<LocalStack> {
  const workDir = mkdtempSync(join(tmpdir(), 'dataprod-stack-'));
  const kafka = new KafkaNode({ workDir: join(workDir, 'kafka'), progress });
  let registry: RegistryNode | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Each step runs even when an earlier one fails; the registry goes first as it depends on Kafka.
    const results = await Promise.allSettled([registry?.stop()]);
    results.push(...(await Promise.allSettled([kafka.stop()])));
    rmSync(workDir, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    await kafka.start();
    registry = new RegistryNode({ workDir: join(workDir, 'registry'), kafkaBootstrap: kafka.bootstrap, progress });
    await registry.start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    kind: 'local',
    brokers: [kafka.bootstrap],
    schemaRegistryUrl: registry.url,
    kafka,
    registry,
    workDir,
    stop,
  };
}
