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
