import type { Command } from '../command.js';

export const dev: Command = {
  name: 'dev',
  summary: 'for product authors: start the local Kafka and registry, run the products with their status page, restart on every change',
  description:
    'Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set, else a Docker engine, else the JVM stack (cached; its first\n' +
    'start prints what it fetches). Creates the input topics, registers their contracts, runs `dataprod run` on the\n' +
    'products (DATAPROD_* settings apply) and restarts it when a file of a product changes. Ctrl-C stops everything.',
  async run(positionals) {
    const { DevSession } = await import('../../devstack/dev-session.js');
    const session = new DevSession({ productPaths: positionals });
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await session.start();
    } catch (err) {
      await session.stop();
      throw err;
    }
    await stopped;
    await session.stop();
    return 0;
  },
};
