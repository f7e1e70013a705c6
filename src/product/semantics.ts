/**
 * The checks that need several fields or the file system, run after the shape check (./shape.ts)
 * on whatever parts of the document are usable. Each concern has its file: topics and versions
 * (./check-topics.ts), schema files and field paths (./check-schemas.ts), contract constraints
 * and quality rules (./check-rules.ts), SLA properties (./check-sla.ts), lookup tables (./check-lookups.ts).
 *
 * A check reads a value only when it is of the expected type and no issue was reported at its
 * path yet (`validString`), so one mistake is reported once, where it is.
 */
import { checkLifecycle } from './check-lifecycle.js';
import { checkRules } from './check-rules.js';
import { checkInputSchemas, checkOutputSchemas } from './check-schemas.js';
import { checkSlaProperties } from './check-sla.js';
import { checkTopics } from './check-topics.js';
import { checkLookups } from './check-lookups.js';
import type { IssueList, Obj } from './issues.js';
import type { Loaded, SemanticContext } from './semantic-context.js';

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
  checkLifecycle(ctx);
  await checkLookups(ctx);
  return { schemas: ctx.schemas };
}
