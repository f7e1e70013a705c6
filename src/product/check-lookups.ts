/**
 * Lookup tables, checked as input ports are: names unique, each schema file exists and is Avro,
 * and a lookup topic is none of the product's own topics (output, dead letters). Whether the topic
 * exists and is compacted is checked at start, against the cluster (src/lookups/preflight.ts).
 */
import { loadSchemaFile } from './avro-fields.js';
import { isObj, list, type Segment } from './issues.js';
import type { SemanticContext } from './semantic-context.js';

export async function checkLookups(ctx: SemanticContext): Promise<void> {
  const { issues, validString, root } = ctx;
  const names = new Map<string, number>();
  const ownTopics = new Map<string, string>();
  list(root.outputPorts).forEach((p, i) => {
    if (isObj(p) && typeof p.topic === 'string') ownTopics.set(p.topic, `outputPorts[${i}]`);
  });
  if (isObj(root.deadLetter) && typeof root.deadLetter.topic === 'string') ownTopics.set(root.deadLetter.topic, 'deadLetter');
  const lookups = list(root.lookups);
  for (let i = 0; i < lookups.length; i++) {
    const lookup = lookups[i];
    if (!isObj(lookup)) continue;
    const base: Segment[] = ['lookups', i];
    const name = validString([...base, 'name'], lookup.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        issues.add([...base, 'name'], `duplicate lookup name ${name} (also lookups[${first}].name); names must be unique`);
      else names.set(name, i);
    }
    const topic = validString([...base, 'topic'], lookup.topic);
    const owner = topic === undefined ? undefined : ownTopics.get(topic);
    if (owner !== undefined)
      issues.add(
        [...base, 'topic'],
        `${topic} is the topic of ${owner}; a lookup reads a compacted reference topic, not the product's own output`,
      );
    const rel = validString([...base, 'schema'], lookup.schema);
    if (rel === undefined) continue;
    const schema = await loadSchemaFile(ctx.dir, rel, ctx.schemas);
    if (schema.error) issues.add([...base, 'schema'], schema.error);
  }
}
