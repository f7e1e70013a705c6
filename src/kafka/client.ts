import kafkajs from 'kafkajs';
import { Kafka, Partitioners, logLevel, type KafkaConfig, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConnection } from '../config/runtime.js';

export {
  type Admin,
  type Kafka as KafkaClient,
  type Consumer,
  type EachBatchPayload,
  type Producer,
  type Message,
  type KafkaMessage,
  type IHeaders,
  type ITopicConfig,
  type Sender,
  type Transaction,
} from 'kafkajs';
// Not among the names Node finds in kafkajs's CommonJS exports: read it off the default export.
export const ConfigResourceTypes = kafkajs.ConfigResourceTypes;

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs into our pino logger, at its own level names, under `component: kafkajs`. */
function pinoLogCreator(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      // We bound the idempotent producer's retries on purpose (see runtime/worker.ts); at-least-once
      // does not depend on them, so this warning would only mislead operators.
      if (message.startsWith('Limiting retries for the idempotent producer')) return kafkaLogger.debug(extra, message);
      kafkaLogger[PINO_LEVEL[level] ?? 'info'](extra, message);
    };
}

/** The level kafkajs itself filters at: as verbose as pino's level allows, never below info. */
function kafkaLevel(logger: Logger): logLevel {
  const level = logger.level;
  if (level === 'trace' || level === 'debug') return logLevel.DEBUG;
  if (level === 'info') return logLevel.INFO;
  if (level === 'warn') return logLevel.WARN;
  return logLevel.ERROR;
}

export function createKafka(connection: KafkaConnection, logger: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: connection.brokers,
    logLevel: kafkaLevel(logger),
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 5_000,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  };
  if (connection.ssl) config.ssl = connection.ssl;
  if (connection.sasl) config.sasl = connection.sasl as SASLOptions;
  return new Kafka(config);
}

/**
 * The worker's producers: idempotent, acks=all (set per send), Java-compatible murmur2 partitioning
 * so keys land where Java clients put them, and no topic auto-creation (a missing output topic is
 * an error, not a 1-partition surprise).
 */
const PRODUCER_OPTIONS = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  // Bounded, unlike kafkajs' default for idempotent producers: a broker that stays down must
  // surface as a failed write (the product backs off and shows it), not as a batch that hangs.
  retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
} as const;

/** The process's shared producer, for at-least-once products. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer(PRODUCER_OPTIONS);
}

/**
 * An exactly-once product's producer for one input partition: the same settings plus a
 * transactional id, whose epoch fences any earlier producer of the same id.
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string): Producer {
  return kafka.producer({ ...PRODUCER_OPTIONS, transactionalId });
}
