// A process that starts a local stack, prints the JVMs' pids, and waits to be killed.
import { startLocalStack } from '../../src/devstack/index.js';

const stack = await startLocalStack(() => undefined);
console.log(JSON.stringify({ kafka: stack.kafka.pid, registry: stack.registry.pid, workDir: stack.workDir }));
setInterval(() => undefined, 60_000);
