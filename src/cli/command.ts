import { relative } from 'node:path';
import { OPTIONS, type OptionSpec } from '../config/runtime.js';

/**
 * What every command file exports: its name, help and options, and a run() that does argument
 * handling and printing only. Commands that use an offline tool import it inside run(), so
 * `dataprod run` never loads the tools.
 */
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

/** The OPTIONS of the given groups, as a command's options. */
export const optionsOf = (...groups: OptionSpec['group'][]): CliOption[] => (OPTIONS as readonly OptionSpec[]).filter((o) => groups.includes(o.group));

/** A folder or file as the user would type it from here. */
export const display = (dir: string) => relative(process.cwd(), dir) || '.';
