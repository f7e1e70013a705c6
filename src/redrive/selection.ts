import type { DeadLetterRecord, SourcePosition } from './dead-letter-record.js';
import { inWindow, type OffsetWindow } from './offset-window.js';

/**
 * Which dead letters a command takes. Time bounds are on the dead letter's own timestamp (when it
 * was dead-lettered; a record carried forward keeps it), so a range means the same to `inspect` and
 * `replay`. Every given filter must match.
 */
export interface Selection {
  reasons?: readonly string[];
  rules?: readonly string[];
  /** Inclusive, ms since the epoch. */
  sinceMs?: number;
  /** Exclusive, ms since the epoch. */
  untilMs?: number;
  /** The record key, as UTF-8 text. */
  key?: string;
  /** Dead-letter offsets (--from-offset/--to-offset): a filter for replay, which reads from its group's commit whatever it takes. */
  offsets?: OffsetWindow;
  includeParked: boolean;
}

export function inRange(letter: DeadLetterRecord, selection: Pick<Selection, 'sinceMs' | 'untilMs'>): boolean {
  return (
    (selection.sinceMs === undefined || letter.timestamp >= selection.sinceMs) &&
    (selection.untilMs === undefined || letter.timestamp < selection.untilMs)
  );
}

/**
 * What replay does with one dead letter:
 * - replay: run it through the product again;
 * - unselected: a filter excludes it: it is carried forward (copied, unchanged, to the end of the
 *   dead-letter topic) so a later replay with other filters still finds it;
 * - parked: it reached --max-attempts: carried forward too, for a later --include-parked;
 * - unreplayable: no source position, a source topic that is no input port any more, or a value
 *   truncated to fit the dead-letter topic (the original is in the input topic at the position
 *   its headers name): passed over, and counted.
 */
export type Verdict = 'replay' | 'unselected' | 'parked' | 'unreplayable';

export function judge(letter: DeadLetterRecord, selection: Selection, inputTopics: ReadonlySet<string>): Verdict {
  if (!matches(letter, selection)) return 'unselected';
  if (letter.parked && !selection.includeParked) return 'parked';
  if (!replayable(letter, inputTopics)) return 'unreplayable';
  return 'replay';
}

export function replayable(
  letter: DeadLetterRecord,
  inputTopics: ReadonlySet<string>,
): letter is DeadLetterRecord & { source: SourcePosition } {
  return letter.source !== undefined && inputTopics.has(letter.source.topic) && letter.truncatedFrom === undefined;
}

function matches(letter: DeadLetterRecord, selection: Selection): boolean {
  if (selection.reasons?.length && !selection.reasons.includes(letter.reason ?? '')) return false;
  if (selection.rules?.length && !selection.rules.includes(letter.rule ?? '')) return false;
  if (selection.key !== undefined && letter.key?.toString('utf8') !== selection.key) return false;
  if (selection.offsets && !inWindow(selection.offsets, letter.partition, BigInt(letter.offset))) return false;
  return inRange(letter, selection);
}

/** A time given as ISO 8601 or as ms since the epoch; undefined when it is neither. */
export function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
