import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `dataprod ${pkg.version}: a Kafka-native runtime for streaming data products

Usage: dataprod <command> [options]

Options:
  --version   print the version
  --help      print this help
`;

const [command] = process.argv.slice(2);
if (command === '--version' || command === '-v') {
  console.log(pkg.version);
} else if (command === undefined || command === '--help' || command === '-h') {
  console.log(HELP);
} else {
  console.error(`dataprod: unknown command "${command}"\n\n${HELP}`);
  process.exitCode = 2;
}
