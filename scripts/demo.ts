import { startStack } from '../src/devstack/index.js';

// For now the demo brings up the stack and prints its endpoints; the runtime fills it in.
const stack = await startStack();
console.log(`\ndataprod demo stack (${stack.kind}) is up:`);
console.log(`  KAFKA_BROKERS=${stack.brokers.join(',')}`);
console.log(`  SCHEMA_REGISTRY_URL=${stack.schemaRegistryUrl}`);
console.log('Press Ctrl-C to stop.');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the stack...`);
  try {
    await stack.stop();
    console.log('stopped cleanly');
    process.exitCode = 0;
  } catch (err) {
    console.error(`stop failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
  clearInterval(keepAlive);
};
const keepAlive = setInterval(() => undefined, 60_000);
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
