import { OPTIONS, loadRuntimeConfig, type OptionSpec } from '../../config/runtime.js';
import type { DemoProducer } from '../../tools/demo/producer.js';
import { ConfigError, DataprodError, type ConfigIssue } from '../../errors.js';
import { createLogger } from '../../observability/logger.js';
import type { CliOption, Command } from '../command.js';

/** `dataprod demo-produce`: argument handling only; src/tools/demo/producer.ts does the work. */

const connectionOptions: CliOption[] = (OPTIONS as readonly OptionSpec[]).filter((o) => o.group === 'kafka' || o.group === 'registry' || o.flag === 'log-level');

function positive(flags: Record<string, string | boolean>, flag: string, fallback: string, integer: boolean, issues: ConfigIssue[]): number {
  const text = typeof flags[flag] === 'string' ? (flags[flag] as string).trim() : fallback;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    issues.push({ path: `--${flag}`, message: `must be a ${integer ? 'whole number' : 'number'} > 0, got "${text}"` });
  }
  return n;
}

export const demoProduce: Command = {
  name: 'demo-produce',
  summary: 'produce synthetic raw events for the example products at a steady rate (the demo upstream), until SIGTERM/SIGINT',
  description:
    'For each product: registers its input port\'s raw contract under the contract subject, creates the raw topic when\n' +
    'it is missing, and produces generated events (about 8% of them bad on purpose). Knows the example products\n' +
    '(orders-enriched: RawOrder, page-views: RawClick) and copies of them. Exit code 0 after a clean stop.',
  options: [
    { flag: 'rate', kind: 'string', default: '50', description: 'Raw events per second, per raw topic' },
    { flag: 'partitions', kind: 'int', default: '3', description: 'Partitions of a raw topic created by this command' },
    { flag: 'ready-file', kind: 'string', description: 'Written once every raw topic has acknowledged events, removed on stop (for a healthcheck)' },
    ...connectionOptions,
  ],
  async run(positionals, flags) {
    const issues: ConfigIssue[] = [];
    const ratePerSecond = positive(flags, 'rate', '50', false, issues);
    const partitions = positive(flags, 'partitions', '3', true, issues);
    if (issues.length > 0) throw new ConfigError(issues);
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: true, registry: true } });
    const logger = createLogger(config.logLevel);
    const { DemoProducer, loadDemoProducts } = await import('../../tools/demo/producer.js');
    const products = await loadDemoProducts(positionals);
    const readyFile = typeof flags['ready-file'] === 'string' && flags['ready-file'] !== '' ? flags['ready-file'] : undefined;

    let demo: DemoProducer;
    try {
      demo = await DemoProducer.start({ kafka: config.kafka, registry: config.registry, products, ratePerSecond, partitions, logger, readyFile });
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
