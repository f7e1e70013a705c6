import { parseArgs } from 'node:util';
import { optionsOf, valuesOf, type CommandName, type OptionSpec } from '../config/runtime.js';
import { DataprodError } from '../errors.js';
import { DATAPROD_VERSION } from '../version.js';
import { COMMANDS, type Command } from './commands.js';

const USAGE = `dataprod ${DATAPROD_VERSION}: a Kafka-native runtime for streaming data products

Usage: dataprod <command> [options] [product folders...]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.name.padEnd(13)} ${c.summary}`)
  .join('\n')}

Product folders default to ./products (a product folder, or a folder of product folders).
Run \`dataprod <command> --help\` for a command's options.
`;

function helpOf(command: Command): string {
  const lines = [`Usage: dataprod ${command.name} [options] [product folders...]`, '', command.summary, ''];
  if (command.description) lines.push(command.description, '');
  lines.push('Options:');
  for (const o of optionsOf(command.name)) {
    const flag = o.kind === 'bool' ? (o.default === 'true' ? `--[no-]${o.flag}` : `--${o.flag}`) : `--${o.flag} <value>`;
    const values = valuesOf(o) ? ` (${valuesOf(o)})` : '';
    const env = o.env ? ` [${o.env}]` : '';
    const def = o.default !== undefined ? ` (default ${o.default})` : '';
    lines.push(`  ${flag.padEnd(34)} ${o.description}${values}${env}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(34)} print this help`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    console.log(DATAPROD_VERSION);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (!command) {
    console.error(`dataprod: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const options: readonly OptionSpec[] = optionsOf(command.name);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          options.flatMap((o): [string, { type: 'boolean' | 'string' }][] =>
            o.kind === 'bool'
              ? [
                  [o.flag, { type: 'boolean' }],
                  [`no-${o.flag}`, { type: 'boolean' }],
                ]
              : [[o.flag, { type: 'string' }]],
          ),
        ),
      },
    });
  } catch (err) {
    console.error(`dataprod ${name}: ${(err as Error).message}\n\n${helpOf(command)}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(helpOf(command));
    return 0;
  }
  // Node 20's parseArgs has no negation: --no-<flag> turns a boolean option off.
  const values: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(parsed.values as Record<string, string | boolean>)) {
    if (key.startsWith('no-') && options.some((o) => o.kind === 'bool' && o.flag === key.slice(3))) values[key.slice(3)] = !value;
    else values[key] = value;
  }
  try {
    return await command.run(parsed.positionals, values);
  } catch (err) {
    if (err instanceof DataprodError) {
      console.error(`dataprod ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
