/**
 * `dataprod check`'s decisions for one product: its output schema against the previous versions
 * (at a git ref, or registered under the port's subject) under the port's compatibility mode; its
 * input ports' reader schemas against every writer schema registered upstream; the descriptor
 * changes consumers care about. A breaking change fails the check unless the major was bumped
 * (then the output goes to a new topic, and nobody reads it yet).
 */
import type { RegistryClient } from '../contracts/registry-client.js';
import { consumerGroupOf, subjectOf, topicOfMajor } from '../product/naming.js';
import type { Compatibility, ProductDescriptor } from '../product/types.js';
import { classifyChanges, directionsOf, type ClassifiedChange, type PreviousSchema } from './classify.js';
import { descriptorChanges, type DescriptorNotice } from './descriptor-changes.js';
import { productAtRef, registeredVersions, schemaHistory } from './previous.js';
import { readable } from './schema-diff.js';

/** `--against registry` compares with the registry; anything else is a git ref. */
export const AGAINST_REGISTRY = 'registry';

export interface OutputReport {
  port: string;
  topic: string;
  subject: string;
  compatibility: Compatibility;
  /** What the schema was compared with, in words (`main (a1b2c3d)`, `3 versions reachable from main in v1`). */
  comparedWith: string;
  /** The label of the latest previous version; a change against another one was found by a transitive mode. */
  latest?: string;
  changes: ClassifiedChange[];
}

export interface InputReport {
  port: string;
  subject: string;
  /** Registered writer versions checked. */
  writers: number;
  /** Writer versions our reader schema cannot resolve, each with the first reason. */
  unreadable: { version: string; path: string; message: string }[];
}

export interface ProductReport {
  id: string;
  dir: string;
  version: string;
  status: string;
  against: string;
  /** The version at the git ref (git only, when the product existed there). */
  previousVersion?: string;
  /** True when the major grew: breaking changes are allowed (they go to a new topic). */
  majorBumped: boolean;
  outputs: OutputReport[];
  inputs: InputReport[];
  notices: DescriptorNotice[];
  warnings: string[];
  /** Breaking output changes, whether the major allows them or not. */
  breaking: number;
  /** True when the check fails: breaking changes without a major bump, or an unreadable upstream writer. */
  failed: boolean;
  /** What to do when it failed for a breaking output change. */
  fix?: string;
}

export interface CheckOptions {
  against: string;
  /** Set when a registry is configured: needed for --against registry, used for the input ports either way. */
  registry?: RegistryClient;
  /** Set when Kafka is configured: the consumer groups with offsets on a topic (a retired product's readers). */
  consumersOf?: (topic: string) => Promise<readonly TopicReader[]>;
}

/** A consumer group reading a topic, as src/kafka/topic-consumers.ts finds it. */
export interface TopicReader {
  group: string;
  state: string;
  members: number;
}

export async function checkProduct(product: ProductDescriptor, options: CheckOptions): Promise<ProductReport> {
  const report: ProductReport = {
    id: product.id,
    dir: product.dir,
    version: product.version,
    status: product.status,
    against: options.against,
    majorBumped: false,
    outputs: [],
    inputs: [],
    notices: [],
    warnings: [],
    breaking: 0,
    failed: false,
  };
  if (options.against === AGAINST_REGISTRY) await againstRegistry(product, options.registry!, report);
  else await againstGit(product, options.against, report);
  if (options.registry) report.inputs = await checkInputs(product, options.registry);
  if (product.status === 'retired') report.warnings.push(...(await retiredReaders(product, options.consumersOf)));

  report.breaking = report.outputs.reduce((n, o) => n + o.changes.filter((c) => c.breaking).length, 0);
  const unreadable = report.inputs.some((i) => i.unreadable.length > 0);
  report.failed = (report.breaking > 0 && !report.majorBumped) || unreadable;
  if (report.breaking > 0 && !report.majorBumped) {
    const next = product.major + 1;
    const topic = topicOfMajor(product.output.topic, next);
    report.fix =
      `make the changes compatible as each fix says, or bump the major: version ${next}.0.0, the topic becomes ${topic} ` +
      `(subject ${subjectOf(topic)}, group ${consumerGroupOf(product.id, next)}) and v${product.major} keeps running for its consumers`;
  }
  return report;
}

async function againstGit(product: ProductDescriptor, ref: string, report: ProductReport): Promise<void> {
  const previous = await productAtRef(product.dir, ref);
  const before = previous.descriptor;
  if (!before) {
    report.warnings.push(`no product in this folder at ${previous.label}: a new product, nothing to compare with`);
    return;
  }
  report.previousVersion = before.version;
  report.majorBumped = product.major > before.major;
  if (product.major < before.major) report.warnings.push(`the major goes down from ${before.major} to ${product.major}`);
  report.notices = descriptorChanges(before, product);
  for (const port of product.outputPorts) {
    const old = before.outputPorts.find((p) => p.name === port.name) ?? before.output;
    let versions: PreviousSchema[] = [{ label: previous.label, schema: old.schema }];
    let comparedWith = previous.label;
    if (!report.majorBumped && directionsOf(port.compatibility).transitive) {
      // Every version reachable from the ref in this major; the ref's own version is the latest.
      const history = schemaHistory(previous, product.major).filter((v) => JSON.stringify(v.schema) !== JSON.stringify(old.schema));
      versions = [...history, ...versions];
      comparedWith = `${versions.length} version${versions.length === 1 ? '' : 's'} reachable from ${previous.label} in v${product.major} (git history)`;
    }
    if (report.majorBumped) comparedWith = `${previous.label}, v${before.major} (informative: v${product.major} is a new topic)`;
    report.outputs.push({
      port: port.name,
      topic: port.topic,
      subject: port.subject,
      compatibility: port.compatibility,
      comparedWith,
      latest: versions[versions.length - 1]?.label,
      changes: classifyChanges(versions, port.schema, port.compatibility),
    });
  }
}

async function againstRegistry(product: ProductDescriptor, registry: RegistryClient, report: ProductReport): Promise<void> {
  for (const port of product.outputPorts) {
    const registered = await registeredVersions(registry, port.subject);
    const level = registered.length > 0 ? await registry.compatibility(port.subject) : undefined;
    if (level !== undefined && level !== port.compatibility)
      report.warnings.push(
        `${port.subject} is ${level} in the registry but the descriptor says ${port.compatibility}; checked under ${port.compatibility}`,
      );
    const versions = directionsOf(port.compatibility).transitive ? registered : registered.slice(-1);
    report.outputs.push({
      port: port.name,
      topic: port.topic,
      subject: port.subject,
      compatibility: port.compatibility,
      comparedWith:
        registered.length === 0
          ? `nothing registered under ${port.subject} (a first version or a new major)`
          : `${versions.length} registered version${versions.length === 1 ? '' : 's'} of ${port.subject}`,
      latest: versions[versions.length - 1]?.label,
      changes: classifyChanges(versions, port.schema, port.compatibility),
    });
  }
}

/** Would today's upstream records still resolve? Every writer version under each input subject against our reader schema. */
async function checkInputs(product: ProductDescriptor, registry: RegistryClient): Promise<InputReport[]> {
  const out: InputReport[] = [];
  for (const port of product.inputPorts) {
    const writers = await registeredVersions(registry, port.contract.subject);
    const unreadable = writers.flatMap((w) => {
      const first = readable(port.contract.schema, w.schema).breaks[0];
      return first ? [{ version: w.label, path: first.path, message: first.backward!.message }] : [];
    });
    out.push({ port: port.name, subject: port.contract.subject, writers: writers.length, unreadable });
  }
  return out;
}

/** A retired product publishes nothing more: whoever still reads its topic should have moved to the successor. */
async function retiredReaders(product: ProductDescriptor, consumersOf: CheckOptions['consumersOf']): Promise<string[]> {
  const out: string[] = [];
  const successor = product.lifecycle?.successor?.topic;
  for (const port of product.outputPorts) {
    if (!consumersOf) {
      out.push(`retired: set --brokers (KAFKA_BROKERS) to see which consumer groups still read ${port.topic}`);
      continue;
    }
    const readers = await consumersOf(port.topic);
    if (readers.length === 0) continue;
    const active = readers.filter((r) => r.state === 'Stable').length;
    out.push(
      `retired, but ${readers.length} consumer group${readers.length === 1 ? '' : 's'} (${active} with members now) still ` +
        `${readers.length === 1 ? 'has' : 'have'} offsets on ${port.topic}: ` +
        readers.map((r) => `${r.group} (${r.state}, ${r.members} member${r.members === 1 ? '' : 's'})`).join(', ') +
        `; ${successor ? `they should move to ${successor}` : 'tell them the product is gone'} before the topic is deleted`,
    );
  }
  return out;
}
