/**
 * Names, topics and versions: id is `<domain>.<name>`, input port names and topics are unique,
 * every output topic ends with `.v<major>` and is not an input, the dead-letter topic is none of
 * them.
 */
import { formatPath, isObj, list, type Segment } from './issues.js';
import { defaultDeadLetterTopic } from './majors.js';
import type { PortInfo, SemanticContext } from './semantic-context.js';

interface TopicUse {
  topic: string;
  /** Where it is declared, e.g. `inputPorts[0]`. */
  path: string;
}

/** Checks names and topics; returns one PortInfo per input port entry (name and topic when usable). */
export function checkTopics(ctx: SemanticContext): PortInfo[] {
  const { root, issues, validString } = ctx;
  const name = validString(['name'], root.name);
  const domain = validString(['domain'], root.domain);
  const id = validString(['id'], root.id);
  if (id !== undefined && name !== undefined && domain !== undefined && id !== `${domain}.${name}`) {
    issues.add(['id'], `must be ${domain}.${name} (<domain>.<name>), got ${id}`);
  }
  const { ports, inputTopics } = checkInputTopics(ctx);
  const outputTopics = checkOutputTopics(ctx, inputTopics);
  checkDeadLetterTopic(ctx, [...inputTopics, ...outputTopics], name, domain);
  return ports;
}

function checkInputTopics(ctx: SemanticContext): { ports: PortInfo[]; inputTopics: TopicUse[] } {
  const { issues, validString } = ctx;
  const ports: PortInfo[] = [];
  const inputTopics: TopicUse[] = [];
  const portNames = new Map<string, number>();
  const topicOwners = new Map<string, number>();
  const inputs = list(ctx.root.inputPorts);
  for (let i = 0; i < inputs.length; i++) {
    const port = inputs[i];
    const info: PortInfo = { index: i };
    ports.push(info);
    if (!isObj(port)) continue;
    const base: Segment[] = ['inputPorts', i];

    info.name = validString([...base, 'name'], port.name);
    if (info.name !== undefined) {
      const first = portNames.get(info.name);
      if (first !== undefined)
        issues.add([...base, 'name'], `duplicate input port name ${info.name} (also inputPorts[${first}].name); names must be unique`);
      else portNames.set(info.name, i);
    }
    info.topic = validString([...base, 'topic'], port.topic);
    if (info.topic !== undefined) {
      const first = topicOwners.get(info.topic);
      if (first !== undefined)
        issues.add([...base, 'topic'], `${info.topic} is already read by inputPorts[${first}]; read each topic from one port only`);
      else topicOwners.set(info.topic, i);
      inputTopics.push({ topic: info.topic, path: formatPath(base) });
    }
  }
  return { ports, inputTopics };
}

function checkOutputTopics(ctx: SemanticContext, inputTopics: readonly TopicUse[]): TopicUse[] {
  const { issues, validString } = ctx;
  const version = validString(['version'], ctx.root.version);
  const major = version === undefined ? undefined : Number(version.split('.')[0]);
  const outputTopics: TopicUse[] = [];
  const outputs = list(ctx.root.outputPorts);
  for (let i = 0; i < outputs.length; i++) {
    const port = outputs[i];
    if (!isObj(port)) continue;
    const base: Segment[] = ['outputPorts', i];
    const topic = validString([...base, 'topic'], port.topic);
    if (topic === undefined) continue;
    if (major !== undefined && !topic.endsWith(`.v${major}`)) {
      issues.add([...base, 'topic'], `must end with .v${major} because version is ${version}`);
    }
    const reader = inputTopics.find((t) => t.topic === topic);
    if (reader)
      issues.add([...base, 'topic'], `must differ from the topic of ${reader.path} (${topic}): a product cannot read its own output`);
    outputTopics.push({ topic, path: formatPath(base) });
  }
  return outputTopics;
}

function checkDeadLetterTopic(ctx: SemanticContext, used: readonly TopicUse[], name: string | undefined, domain: string | undefined): void {
  const dl = ctx.root.deadLetter;
  const explicitDlq = isObj(dl) ? ctx.validString(['deadLetter', 'topic'], dl.topic) : undefined;
  const version = ctx.root.version;
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  const dlqTopic =
    explicitDlq ??
    (dl === undefined && name !== undefined && domain !== undefined && Number.isInteger(major)
      ? defaultDeadLetterTopic(domain, name, major)
      : undefined);
  if (dlqTopic === undefined) return;
  const clash = used.find((t) => t.topic === dlqTopic);
  if (!clash) return;
  ctx.issues.add(
    explicitDlq !== undefined ? ['deadLetter', 'topic'] : ['deadLetter'],
    `must differ from every input and output topic: ${dlqTopic} is the topic of ${clash.path}` +
      (explicitDlq !== undefined ? `; use e.g. ${domain ?? '<domain>'}.${name ?? '<name>'}.dlq` : '; set deadLetter: { topic: ... }'),
  );
}
