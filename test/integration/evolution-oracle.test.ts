/**
 * The registry as the oracle of our change classification: for every pair of the shared table
 * (test/support/evolution-pairs.ts), the real schema registry gets the previous versions under a
 * fresh subject, the pair's compatibility level, and the question "may the next schema follow?".
 * Its answer must equal our verdict, except on the pairs that document why we differ (logical
 * types, which the registry does not compare). The agreement rate is printed.
 *
 * Non-transitive levels are asked with POST /compatibility/subjects/<s>/versions/latest; the
 * transitive ones with POST /compatibility/subjects/<s>/versions, which checks every version as
 * the level says (/versions/latest compares with the latest only, whatever the level).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Stack } from '../../src/devstack/index.js';
import { classifyChanges, directionsOf } from '../../src/evolution/classify.js';
import type { AvroSchema } from '../../src/product/types.js';
import { EVOLUTION_PAIRS } from '../support/evolution-pairs.js';
import { testStack, uniqueName } from '../support/stack.js';

describe('change classification against the registry as oracle', () => {
  let stack: Stack;
  const subjects: string[] = [];
  const answers: { name: string; ours: boolean; registry: boolean; documented: boolean }[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(stack.schemaRegistryUrl.replace(/\/+$/, '') + path, {
      method,
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  before(async () => {
    stack = await testStack();
  });

  after(async () => {
    for (const s of subjects) {
      await call('DELETE', `/subjects/${encodeURIComponent(s)}`).catch(() => undefined);
      await call('DELETE', `/subjects/${encodeURIComponent(s)}?permanent=true`).catch(() => undefined);
    }
    const agreed = answers.filter((a) => a.ours === a.registry).length;
    console.log(
      `[oracle] ${agreed}/${answers.length} pairs agree with the registry (${((100 * agreed) / Math.max(1, answers.length)).toFixed(1)}%); ` +
        `disagreements, all documented: ${answers
          .filter((a) => a.ours !== a.registry)
          .map((a) => a.name)
          .join('; ')}`,
    );
  });

  for (const pair of EVOLUTION_PAIRS) {
    it(pair.name, async () => {
      const subject = uniqueName('oracle-i13') + '-value';
      subjects.push(subject);
      // The previous versions go in under NONE (set once the subject exists: the registry knows no
      // level for an unknown subject): the table's chains need not pass the level themselves.
      for (const [i, schema] of pair.previous.entries()) {
        const r = await call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: JSON.stringify(schema) });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        if (i === 0) assert.equal((await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'NONE' })).status, 200);
      }
      assert.equal((await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: pair.mode })).status, 200);
      const which = directionsOf(pair.mode).transitive ? 'versions' : 'versions/latest';
      const r = await call('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/${which}`, {
        schema: JSON.stringify(pair.next),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const registry = r.body.is_compatible === true;

      const previous = pair.previous.map((schema, i) => ({ label: `version ${i + 1}`, schema: schema as AvroSchema }));
      const ours = classifyChanges(previous, pair.next, pair.mode).every((c) => !c.breaking);
      answers.push({ name: pair.name, ours, registry, documented: pair.registry !== undefined });

      assert.equal(ours, pair.compatible, 'our verdict is the table’s');
      assert.equal(registry, pair.registry?.compatible ?? pair.compatible, `the registry answers ${registry}`);
    });
  }
});
