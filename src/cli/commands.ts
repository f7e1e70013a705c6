import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateProductTypes, PRODUCT_TYPES_FILE } from '../tools/codegen/index.js';
import { findProductDirs, loadProducts, selectRunnable, validateProduct } from '../product/index.js';
import { loadRuntimeConfig, OPTIONS, type OptionFlag, type OptionSpec } from '../config/runtime.js';
import { RegistryClient } from '../contracts/registry-client.js';
import { registerOutputSchema } from '../contracts/register.js';
import { DescriptorError, formatIssues } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { runCases } from '../tools/cases.js';
import { Worker } from '../runtime/worker.js';
import { demoProduce } from './demo-command.js';
import { rules } from './rules-command.js';

/** Only argument handling and printing here: the work is done by the modules imported above. */
export interface CliOption {
  flag: string;
  env?: string;
  kind: OptionSpec['kind'];
  default?: string;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  description?: string;
  options: readonly CliOption[];
  run(positionals: string[], flags: Record<string, string | boolean>): Promise<number>;
}

const optionsOf = (...groups: OptionSpec['group'][]): CliOption[] =>
  (OPTIONS as readonly OptionSpec[]).filter((o) => groups.includes(o.group));

const display = (dir: string) => relative(process.cwd(), dir) || '.';

const validate: Command = {
  name: 'validate',
  summary: 'check descriptors, schemas and transforms; every problem at once, with its path',
  options: [],
  async run(positionals) {
    let failed = 0;
    for (const dir of findProductDirs(positionals)) {
      const { descriptor, issues } = await validateProduct(dir);
      if (descriptor && issues.length === 0) {
        console.log(`✔ ${display(dir)}: ${descriptor.id} ${descriptor.version} (${descriptor.status})`);
      } else {
        failed += 1;
        console.log(`✖ ${display(join(dir, 'product.yaml'))}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`);
      }
    }
    return failed > 0 ? 1 : 0;
  },
};

const test: Command = {
  name: 'test',
  summary: "run each product's cases/*.yaml offline (no Kafka): inputs in, outputs / filters / dead-letters out",
  options: [],
  async run(positionals) {
    let passed = 0;
    let failed = 0;
    for (const { descriptor, transform } of await loadProducts(positionals)) {
      const results = await runCases(descriptor, transform);
      console.log(`${descriptor.id} (${display(descriptor.dir)})`);
      if (results.length === 0) console.log('  (no cases: add cases/*.yaml)');
      for (const r of results) {
        if (r.ok) passed += 1;
        else failed += 1;
        console.log(`  ${r.ok ? '✔' : '✖'} ${r.file}: ${r.name}`);
        for (const p of r.problems) console.log(`      ${p}`);
      }
    }
    console.log(`\n${passed} passed, ${failed} failed`);
    return failed > 0 || passed === 0 ? 1 : 0;
  },
};

const register: Command = {
  name: 'register',
  summary: 'register output schemas under <topic>-value and set their compatibility; refuse incompatible changes',
  options: optionsOf('registry'),
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

const run: Command = {
  name: 'run',
  summary: 'run the products: consume, check, transform, publish, dead-letter; stop cleanly on SIGTERM/SIGINT',
  description:
    'Each product gets its own consumer group (dataprod.<id>.v<major>). Offsets are committed only after the\n' +
    'outputs and dead-letters they cover are acknowledged. Exit code 0 after a clean drain, 1 on failure.',
  options: optionsOf('kafka', 'registry', 'worker'),
  async run(positionals, flags) {
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

const codegen: Command = {
  name: 'codegen',
  summary: `write ${PRODUCT_TYPES_FILE} with TypeScript types of each product's Avro schemas`,
  options: [{ flag: 'check', kind: 'bool', description: `fail if a ${PRODUCT_TYPES_FILE} is missing or stale instead of writing it` }],
  async run(positionals, flags) {
    let stale = 0;
    for (const dir of findProductDirs(positionals)) {
      const { descriptor, issues } = await validateProduct(dir, { loadTransform: false });
      if (!descriptor) throw new DescriptorError(join(dir, 'product.yaml'), issues);
      const file = join(dir, PRODUCT_TYPES_FILE);
      const content = generateProductTypes(descriptor);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (flags.check) {
        if (current !== content) {
          stale += 1;
          console.log(`✖ ${display(file)} is ${current === undefined ? 'missing' : 'stale'}: run \`dataprod codegen ${display(dir)}\``);
        } else console.log(`✔ ${display(file)} is up to date`);
      } else if (current !== content) {
        writeFileSync(file, content);
        console.log(`wrote ${display(file)}`);
      } else console.log(`${display(file)} is up to date`);
    }
    return stale > 0 ? 1 : 0;
  },
};

export const COMMANDS: Record<string, Command> = { validate, test, register, run, codegen, rules, 'demo-produce': demoProduce };

export type { OptionFlag };
