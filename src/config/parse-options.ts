import { ConfigError, type ConfigIssue } from '../errors.js';
import { optionPath, optionsOf, type CommandName, type OptionFlag, type OptionSpec, type OptionValues } from './options.js';

/** The bounds of a number option as text: `in (0, 1]`, `> 0`, `>= 1`; empty without bounds. */
function rangeOf(spec: OptionSpec): string {
  const low = spec.above !== undefined ? ['(', spec.above] : spec.min !== undefined ? ['[', spec.min] : undefined;
  if (low && spec.max !== undefined) return `in ${low[0]}${low[1]}, ${spec.max}]`;
  if (low) return `${low[0] === '(' ? '>' : '>='} ${low[1]}`;
  return spec.max !== undefined ? `<= ${spec.max}` : '';
}

/** What an option accepts, for --help: `0..65535`, `>= 1000`, `in (0, 1]`, `plain|scram-sha-256`; empty for text. */
export function valuesOf(spec: OptionSpec): string {
  if (typeof spec.kind === 'object') return spec.kind.oneOf.join('|');
  if (spec.kind === 'int') return spec.max !== undefined ? `${spec.min ?? 0}..${spec.max}` : `>= ${spec.min ?? 0}`;
  if (spec.kind === 'number') return rangeOf(spec);
  return '';
}

/** Parses one option's text by its kind and bounds: the value, or what is wrong with the text. */
export function parseOption(spec: OptionSpec, text: string): { value: string | number | boolean | string[] } | { problem: string } {
  const { kind } = spec;
  if (typeof kind === 'object') {
    const value = text.toLowerCase();
    return kind.oneOf.includes(value) ? { value } : { problem: `must be one of ${kind.oneOf.join(', ')}, got "${text}"` };
  }
  switch (kind) {
    case 'bool': {
      const value = text.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return { value: true };
      if (['false', '0', 'no'].includes(value)) return { value: false };
      return { problem: `must be true or false, got "${value}"` };
    }
    case 'int': {
      const { min = 0, max } = spec;
      const n = Number(text);
      if (!Number.isInteger(n) || n < min) return { problem: `must be a whole number >= ${min}, got "${text}"` };
      if (max !== undefined && n > max) return { problem: `must be <= ${max}, got ${n}` };
      return { value: n };
    }
    case 'number': {
      const n = Number(text);
      const { above, min, max } = spec;
      const ok =
        text.trim() !== '' &&
        Number.isFinite(n) &&
        (above === undefined || n > above) &&
        (min === undefined || n >= min) &&
        (max === undefined || n <= max);
      const range = rangeOf(spec);
      return ok ? { value: n } : { problem: `must be a number${range ? ` ${range}` : ''}, got "${text}"` };
    }
    case 'list':
      return {
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      };
    case 'string':
    case 'secret':
      return { value: text };
  }
}

/** The text of each option: its flag, else its variable (empty counts as unset), else its default. */
function textsOf(
  specs: readonly OptionSpec[],
  flags: Partial<Record<string, string | boolean>>,
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const texts = new Map<string, string>();
  for (const spec of specs) {
    const fromFlag = flags[spec.flag];
    const fromEnv = spec.env === undefined || env[spec.env] === '' ? undefined : env[spec.env];
    const text = fromFlag !== undefined ? String(fromFlag) : (fromEnv ?? spec.default);
    if (text !== undefined && text !== '') texts.set(spec.flag, text);
  }
  return texts;
}

/** Parses the given options, collecting every problem; `given` holds the flags that have a text. */
export function parseAll(specs: readonly OptionSpec[], flags: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv) {
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  const texts = textsOf(specs, flags, env);
  for (const spec of specs) {
    const text = texts.get(spec.flag);
    if (text === undefined) continue;
    const parsed = parseOption(spec, text);
    if ('problem' in parsed) issues.push({ path: optionPath(spec), message: parsed.problem });
    else values[spec.flag] = parsed.value;
  }
  return { values: values as OptionValues, issues, given: (flag: OptionFlag) => texts.has(flag) };
}

/**
 * The options of a command that reads no connection settings (codegen, rules) or its own flags
 * beside them (demo-produce), parsed from flags and variables; every problem at once.
 */
export function readOptions(command: CommandName, flags: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv): OptionValues {
  const { values, issues } = parseAll(optionsOf(command), flags, env);
  if (issues.length) throw new ConfigError(issues);
  return values;
}
