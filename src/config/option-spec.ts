/** The shape of an entry of the option table (./options.ts). */

/** The commands of `dataprod`; src/cli/commands.ts has one entry for each. */
export type CommandName =
  'validate' | 'test' | 'register' | 'run' | 'codegen' | 'rules' | 'demo-produce' | 'check' | 'dlq' | 'init' | 'export' | 'dev';

type Kind = 'string' | 'secret' | 'int' | 'number' | 'bool' | 'list' | { oneOf: readonly string[] };

export interface OptionSpec {
  flag: string;
  /** The variable of a setting; an option without one is a flag only. */
  env?: string;
  kind: Kind;
  /** Inclusive bounds of an int or number option; `above` is an exclusive lower bound of a number. */
  min?: number;
  max?: number;
  above?: number;
  default?: string;
  description: string;
  /** The commands that take it, in the order of `dataprod --help`. */
  commands: readonly CommandName[];
  /** The table of docs/configuration.md a setting is documented in (options with a variable only). */
  section?: 'Kafka connection' | 'Schema registry' | 'Worker';
}
