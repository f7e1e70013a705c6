import { loadRuntimeConfig } from '../../config/runtime.js';
import { createLogger } from '../../observability/logger.js';
import { loadProducts, selectRunnable } from '../../product/index.js';
import { Worker } from '../../runtime/worker.js';
import type { Command } from '../command.js';
import { reexecWithWorkerFlags } from '../worker-node-flags.js';

export const run: Command = {
  name: 'run',
  summary: 'run the products: consume, check, transform, publish, dead-letter; stop cleanly on SIGTERM/SIGINT',
  description:
    'Each product gets its own consumer group (dataprod.<id>.v<major>). Offsets are committed only after the\n' +
    'outputs and dead-letters they cover are acknowledged. Exit code 0 after a clean drain, 1 on failure.',
  async run(positionals, flags) {
    reexecWithWorkerFlags();
    const config = loadRuntimeConfig(flags, process.env, { need: { kafka: true, registry: true } });
    const logger = createLogger(config.logLevel);
    const { run: runnable, skipped } = selectRunnable(await loadProducts(positionals), config.includeDraft);
    for (const line of skipped) logger.warn({ skipped: line }, 'product not started');
    if (runnable.length === 0) {
      logger.error('no product to run');
      logger.flush();
      return 1;
    }
    const worker = new Worker({ config, products: runnable, logger });
    const stop = (signal: string) => {
      logger.info({ signal }, 'signal received');
      void worker.close();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    try {
      await worker.start();
    } catch (err) {
      logger.error({ err }, 'worker failed to start');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      process.exit(1);
    }
    logger.info({ control: worker.controlUrl, products: runnable.map((p) => p.descriptor.id) }, 'worker running');
    const code = await worker.done;
    // Exit now: after an expired grace period a stuck cleanup step must not keep the process up.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(code);
  },
};
