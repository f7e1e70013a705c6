/** Flag values of the bench scenarios, checked where they are read. */

/** A positive integer (or, with integer = false, a positive number), else an error naming the flag. */
export function positive(flag: string, raw: string, integer = true): number {
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new Error(`--${flag} ${raw}: must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

/** A comma-separated list of positive numbers; empty for an empty value. */
export function positives(flag: string, raw: string): number[] {
  return raw.trim() === '' ? [] : raw.split(',').map((v) => positive(flag, v.trim(), false));
}

/** A comma-separated list of choices, in the order of `choices` (so reports list them alike). */
export function choicesOf<T extends string>(flag: string, raw: string, choices: readonly T[]): T[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list) if (!choices.includes(s as T)) throw new Error(`--${flag}: ${s} is not one of ${choices.join(', ')}`);
  return choices.filter((c) => list.includes(c));
}

/** Space-separated node flags (--node-args). */
export function nodeArgsOf(raw: string): string[] {
  return raw.split(' ').filter(Boolean);
}
