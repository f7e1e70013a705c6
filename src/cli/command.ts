import { relative } from 'node:path';
import type { CommandName } from '../config/runtime.js';

/**
 * What every command file exports: its name, help and a run() that does argument handling and
 * printing only. Its options are the entries of OPTIONS (src/config/runtime.ts) that name it;
 * run() gets them as parseArgs returned them and reads them with readOptions or
 * loadRuntimeConfig. Commands that use an offline tool import it inside run(), so `dataprod run`
 * never loads the tools.
 */
export interface Command {
  name: CommandName;
  summary: string;
  description?: string;
  run(positionals: string[], flags: Record<string, string | boolean>): Promise<number>;
}

/** A folder or file as the user would type it from here. */
export const display = (dir: string) => relative(process.cwd(), dir) || '.';
