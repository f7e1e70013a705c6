/**
 * Where a descriptor problem is and how problems are listed: a path of segments
 * (`outputPorts[0].topic`), an ordered, de-duplicated list of issues, and the small value
 * helpers every check uses to describe what it found.
 */
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { DESCRIPTOR_FILE } from './discover.js';

export type Segment = string | number;

export function formatPath(segments: readonly Segment[]): string {
  if (segments.length === 0) return DESCRIPTOR_FILE;
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export interface PendingIssue {
  segments: Segment[];
  path: string;
  message: string;
}

export class IssueList {
  readonly items: PendingIssue[] = [];
  private readonly paths = new Set<string>();

  add(segments: Segment[], message: string): void {
    const path = formatPath(segments);
    if (this.items.some((i) => i.path === path && i.message === message)) return;
    this.items.push({ segments, path, message });
    this.paths.add(path);
  }

  /** True when an issue was already reported at exactly this path. */
  has(segments: Segment[]): boolean {
    return this.paths.has(formatPath(segments));
  }

  /** True when an issue was already reported at this path or at a path below it. */
  hasUnder(segments: Segment[]): boolean {
    const path = formatPath(segments);
    return this.items.some((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`));
  }

  get size(): number {
    return this.items.length;
  }

  /** Ordered by where the path appears in the file (missing fields: where their parent is). */
  sorted(doc: Document | undefined): ConfigIssue[] {
    const keyed = this.items.map((issue, seq) => ({ issue, seq, pos: doc ? positionOf(doc, issue.segments) : -1 }));
    keyed.sort((a, b) => a.pos - b.pos || a.seq - b.seq);
    return keyed.map(({ issue }) => ({ path: issue.path, message: issue.message }));
  }
}

/** Offset in the YAML text of the deepest existing node along `segments`. */
function positionOf(doc: Document, segments: readonly Segment[]): number {
  let node: unknown = doc.contents;
  // A top-level field that is not in the file (a missing required field, a default): at the end.
  let pos = segments.length === 0 ? -1 : Number.MAX_SAFE_INTEGER;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      pos = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined || item === null) break;
      const range = (item as { range?: [number, number, number] }).range;
      pos = range?.[0] ?? pos;
      node = item;
    } else {
      break;
    }
  }
  return pos;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${show(v)}`;
  return `${typeof v} ${show(v)}`;
}

/** Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment). */
