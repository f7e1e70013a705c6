/**
 * Majors side by side: two product folders with the same `id` and different majors (v1 and v2 of
 * one product) run together, in one worker or in separate deployments, so everything a major owns
 * must be named apart: its output topic (`.v<major>`, checked in ./check-topics.ts), its consumer
 * group (`dataprod.<id>.v<major>`), its dead-letter topic, and the name metrics, health and the
 * rules give it (`majorId`). Major 1 (and 0) keeps the names it always had, so existing
 * deployments, dashboards and rules do not move; a later major adds `.v<major>`.
 */
import type { ConfigIssue } from '../errors.js';
import type { ProductDescriptor } from './types.js';

/** How metrics (`product` label), health, /products and the rules name one major of a product. */
export function majorIdOf(id: string, major: number): string {
  return major <= 1 ? id : `${id}.v${major}`;
}

/** The dead-letter topic of a product that does not name one. */
export function defaultDeadLetterTopic(domain: string, name: string, major: number): string {
  return major <= 1 ? `${domain}.${name}.dlq` : `${domain}.${name}.v${major}.dlq`;
}

type Named = Pick<ProductDescriptor, 'id' | 'version' | 'majorId' | 'output' | 'deadLetter' | 'file'>;

/**
 * What products loaded together must not share: a majorId (the same major of one id twice) and a
 * topic they write (output or dead-letter). One issue per collision, on the later product, naming
 * the earlier one and the fix. Reading the same input topic is what majors side by side do: allowed.
 */
export function checkMajorsApart(products: readonly Named[]): { file: string; issues: ConfigIssue[] }[] {
  const byMajorId = new Map<string, Named>();
  const writers = new Map<string, { product: Named; path: string }>();
  const problems = new Map<string, ConfigIssue[]>();
  const add = (p: Named, issue: ConfigIssue) => problems.set(p.file, [...(problems.get(p.file) ?? []), issue]);
  for (const p of products) {
    const twin = byMajorId.get(p.majorId);
    if (twin) {
      add(p, {
        path: 'version',
        message:
          `${p.id} ${p.version} is the same major as ${twin.file} (${twin.version}): two folders of one id must differ in major; ` +
          `bump version to the next major (and the output topic's .v suffix) or remove one folder`,
      });
      continue; // its topics are the twin's too: one issue says it
    }
    byMajorId.set(p.majorId, p);
    for (const [topic, path] of [
      [p.output.topic, 'outputPorts[0].topic'],
      [p.deadLetter.topic, 'deadLetter.topic'],
    ] as const) {
      const other = writers.get(topic);
      if (other && other.product !== p) {
        add(p, {
          path,
          message:
            `${topic} is also written by ${other.product.id} ${other.product.version} (${other.path} of ${other.product.file}); ` +
            `every major writes its own topics` +
            (path === 'deadLetter.topic' ? `: remove deadLetter to get ${p.id}.v<major>.dlq, or name another topic` : ''),
        });
      } else if (!other) writers.set(topic, { product: p, path });
    }
  }
  return [...problems].map(([file, issues]) => ({ file, issues }));
}
