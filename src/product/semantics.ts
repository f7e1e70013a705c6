/**
 * The checks that need several fields or the file system, run after the shape check (./shape.ts)
 * on whatever parts of the document are usable. Each concern has its file: topics and versions
 * (./check-topics.ts), schema files and field paths (./check-schemas.ts), contract constraints
 * and quality rules (./check-rules.ts), SLA properties (./check-sla.ts).
 *
 * A check reads a value only when it is of the expected type and no issue was reported at its
 * path yet (`validString`), so one mistake is reported once, where it is.
 */
import { checkRules } from './check-rules.js';
import { checkInputSchemas, checkOutputSchemas } from './check-schemas.js';
import { checkSlaProperties } from './check-sla.js';
import { checkTopics } from './check-topics.js';
import type { SchemaFile } from './avro-fields.js';
import type { IssueList, Obj, Segment } from './issues.js';

/** What the checks share about one document. */
export interface SemanticContext {
  readonly root: Obj;
  /** Absolute product folder: schema paths are relative to it. */
  readonly dir: string;
  readonly issues: IssueList;
  /** Schema files read so far, by absolute path (the compiler reuses them). */
  readonly schemas: Map<string, SchemaFile>;
  /** `value` when it is a string and nothing was reported at its path. */
  validString(segments: Segment[], value: unknown): string | undefined;
}

/** An input port as the checks know it; a field is absent when it is unusable. */
export interface PortInfo {
  name?: string;
  topic?: string;
  index: number;
  schema?: SchemaFile;
}

/** What the semantic checks loaded and the compiler reuses. */
export interface Loaded {
  schemas: Map<string, SchemaFile>;
}

export async function checkSemantics(root: Obj, dir: string, issues: IssueList): Promise<Loaded> {
  const ctx: SemanticContext = {
    root,
    dir,
    issues,
    schemas: new Map(),
    validString: (segments, value) => (typeof value === 'string' && !issues.has(segments) ? value : undefined),
  };
  const ports = checkTopics(ctx);
  await checkInputSchemas(ctx, ports);
  await checkOutputSchemas(ctx);
  checkRules(ctx, ports);
  checkSlaProperties(ctx);
  return { schemas: ctx.schemas };
}
