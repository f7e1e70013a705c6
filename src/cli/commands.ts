import type { CommandName } from '../config/runtime.js';
import type { Command } from './command.js';
import { check } from './commands/check.js';
import { codegen } from './commands/codegen.js';
import { demoProduce } from './commands/demo-produce.js';
import { dlq } from './commands/dlq.js';
import { dev } from './commands/dev.js';
import { exportCatalog } from './commands/export.js';
import { init } from './commands/init.js';
import { register } from './commands/register.js';
import { rules } from './commands/rules.js';
import { run } from './commands/run.js';
import { test } from './commands/test.js';
import { validate } from './commands/validate.js';

export type { Command } from './command.js';

/** Every command, in the order of `dataprod --help`; one file each under commands/. */
export const COMMANDS: Record<CommandName, Command> = {
  validate,
  test,
  register,
  run,
  codegen,
  rules,
  'demo-produce': demoProduce,
  check,
  dlq,
  init,
  export: exportCatalog,
  dev,
};
