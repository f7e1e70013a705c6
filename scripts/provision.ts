// Fetches everything the local stack and the tests need into the cache, printing what it does.
import { provisionKafka, provisionRegistry } from '../src/devstack/index.js';
import { catalogTools, confluentPython } from '../test/support/python-clients.js';

const startedAt = Date.now();
await provisionKafka();
await provisionRegistry();
await confluentPython();
await catalogTools();
console.error(`[provision] ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
