import { loadRuntimeConfig, readOptions } from '../../config/runtime.js';
import { ConfigError } from '../../errors.js';
import { loadProducts } from '../../product/index.js';
import type { Command } from '../command.js';

/** `dataprod check`: argument handling and printing only; src/evolution/ decides. */
export const check: Command = {
  name: 'check',
  summary:
    'classify every schema and descriptor change against a git ref or the registry; exit 1 on a breaking change without a major bump',
  description:
    'Each output schema is compared with the previous one (--against <git ref>: the same product folder at that ref,\n' +
    "read with git; --against registry: the versions under <topic>-value) under the port's compatibility mode, field\n" +
    "by field, with the reason and the fix. With a registry configured, each input port's reader schema is checked\n" +
    'against every writer schema registered under its subject. docs/evolution.md lists the rules.',
  async run(positionals, flags) {
    const { against, json = false } = readOptions('check', flags, process.env);
    if (against === undefined)
      throw new ConfigError([{ path: '--against', message: 'required: a git ref (e.g. main, origin/main, v1.4.0) or registry' }]);
    const { AGAINST_REGISTRY, checkProduct } = await import('../../evolution/check.js');
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: false, registry: against === AGAINST_REGISTRY } });
    const { RegistryClient } = await import('../../contracts/registry-client.js');
    const registry = config.registry.url ? new RegistryClient(config.registry) : undefined;
    const products = (await loadProducts(positionals, { loadTransform: false })).map((p) => p.descriptor);
    // Kafka only to find who still reads a retired product's topic, and only when brokers are given.
    const needsKafka = products.some((p) => p.status === 'retired') && config.kafka.brokers.length > 0;
    const readers = needsKafka ? await (await import('../../kafka/topic-consumers.js')).openTopicReaders(config.kafka) : undefined;
    const reports = [];
    try {
      for (const descriptor of products)
        reports.push(await checkProduct(descriptor, { against, registry, consumersOf: readers?.consumersOf }));
    } finally {
      await readers?.close();
    }
    if (json) console.log(JSON.stringify(reports, null, 2));
    else {
      const { formatReport } = await import('../../evolution/report.js');
      console.log(reports.map(formatReport).join('\n\n'));
    }
    return reports.some((r) => r.failed) ? 1 : 0;
  },
};
