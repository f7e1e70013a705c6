import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { ProgressLog } from './cache.js';
import type { Stack } from './stack.js';

// Pinned images: Confluent's broker and registry, the pair most users run in production.
const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.7.1';
const REGISTRY_IMAGE = 'confluentinc/cp-schema-registry:7.7.1';

/** True when a Docker engine answers /_ping within a second (DOCKER_HOST over TCP is trusted as set). */
export async function dockerEngineReachable(): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return true;
  const socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (!existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Kafka and Confluent Schema Registry containers on a private network (testcontainers). */
export async function startDockerStack(progress: ProgressLog): Promise<Stack> {
  // Dev dependencies, loaded only on this path so the runtime never needs them.
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  progress(`starting ${KAFKA_IMAGE} and ${REGISTRY_IMAGE} with testcontainers`);
  const network = await new Network().start();
  const kafka = await new KafkaContainer(KAFKA_IMAGE).withKraft().withNetwork(network).withNetworkAliases('kafka').start();
  let registry;
  try {
    registry = await new GenericContainer(REGISTRY_IMAGE)
      .withNetwork(network)
      .withExposedPorts(8081)
      .withEnvironment({
        SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
        SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
        SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:9092',
      })
      .withWaitStrategy(Wait.forHttp('/subjects', 8081).forStatusCode(200))
      .start();
  } catch (err) {
    await kafka.stop();
    await network.stop();
    throw err;
  }
  let stopped = false;
  return {
    kind: 'docker',
    brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      const results = await Promise.allSettled([registry.stop(), kafka.stop()]);
      await network.stop().catch(() => undefined);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
