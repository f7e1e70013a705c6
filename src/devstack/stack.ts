/** A Kafka broker and a Confluent-compatible schema registry, wherever they come from. */
export interface Stack {
  /** `configured`: KAFKA_BROKERS + SCHEMA_REGISTRY_URL; `docker`: testcontainers; `local`: JVM processes. */
  kind: 'configured' | 'docker' | 'local';
  brokers: string[];
  schemaRegistryUrl: string;
  /** Stops what this stack started (nothing for `configured`). Safe to call twice. */
  stop(): Promise<void>;
}
