import { loadRuntimeConfig } from '../../config/runtime.js';
import { registerOutputSchema } from '../../contracts/register.js';
import { RegistryClient } from '../../contracts/registry-client.js';
import { loadProducts } from '../../product/index.js';
import type { Command } from '../command.js';

export const register: Command = {
  name: 'register',
  summary: 'register output schemas under <topic>-value and set their compatibility; refuse incompatible changes',
  async run(positionals, flags) {
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: false, registry: true } });
    const client = new RegistryClient(config.registry);
    let failed = 0;
    for (const { descriptor } of await loadProducts(positionals)) {
      for (const port of descriptor.outputPorts) {
        try {
          const r = await registerOutputSchema(client, descriptor, port);
          console.log(`✔ ${r.subject}: id ${r.id} ${r.created ? 'registered' : 'already registered'} (${port.compatibility})`);
        } catch (err) {
          if ((err as { code?: string }).code !== 'SCHEMA_INCOMPATIBLE') throw err;
          failed += 1;
          console.log(`✖ ${port.subject}: ${(err as Error).message}`);
        }
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
