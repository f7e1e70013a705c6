import { loadRuntimeConfig, readOptions } from '../../config/runtime.js';
import type { DemoProducer } from '../../tools/demo/producer.js';
import { DataprodError } from '../../errors.js';
import { createLogger } from '../../observability/logger.js';
import type { Command } from '../command.js';

/** `dataprod demo-produce`: argument handling only; src/tools/demo/producer.ts does the work. */

export const demoProduce: Command = {
  name: 'demo-produce',
  summary: 'produce synthetic raw events for the example products at a steady rate (the demo upstream), until SIGTERM/SIGINT',
  description:
    "For each product: registers its input port's raw contract under the contract subject, creates the raw topic when\n" +
    'it is missing, and produces generated events (about 8% of them bad on purpose). Knows the example products\n' +
    '(orders-enriched: RawOrder, page-views: RawClick) and copies of them. Exit code 0 after a clean stop.',
  async run(positionals, flags) {
    // Its own flags first (they have defaults), then every setting, as the other connecting commands check them.
    const { rate: ratePerSecond = 50, partitions = 3, 'ready-file': readyFile } = readOptions('demo-produce', flags, process.env);
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: true, registry: true } });
    const logger = createLogger(config.logLevel);
    const { DemoProducer, loadDemoProducts } = await import('../../tools/demo/producer.js');
    const products = await loadDemoProducts(positionals);

    let demo: DemoProducer;
    try {
      demo = await DemoProducer.start({
        kafka: config.kafka,
        registry: config.registry,
        products,
        ratePerSecond,
        partitions,
        logger,
        readyFile,
      });
    } catch (err) {
      // Exit here rather than return: a half-open Kafka connection must not keep the process up.
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      if (!(err instanceof DataprodError)) throw err;
      console.error(`dataprod demo-produce: ${err.message}`);
      process.exit(1);
    }

    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'signal received: stopping the demo producer');
    let code = 0;
    try {
      const counts = await demo.stop();
      logger.info({ produced: counts }, 'demo producer stopped');
    } catch (err) {
      code = 1;
      logger.error({ err }, 'stopping the demo producer failed');
    }
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(code);
  },
};
