import { ConfigError, DataprodError, type ConfigIssue } from '../errors.js';
import type { Admin } from '../kafka/client.js';
import type { ProductDescriptor } from '../product/types.js';
import { missingTopics } from '../runtime/topic-limits.js';
import { replayGroupOf } from './dead-letter-record.js';
import type { OffsetWindow } from './offset-window.js';

/** A product that never ran has no dead-letter topic: say that, rather than the client's error. */
export async function requireTopics(admin: Admin, products: readonly ProductDescriptor[]): Promise<void> {
  const missing = await missingTopics(admin, [...new Set(products.flatMap((p) => [p.deadLetter.topic, p.output.topic]))]);
  if (missing.length > 0) {
    throw new DataprodError(
      'CONFIG_INVALID',
      `${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist: run the product (dataprod run) first, or check the topic names in product.yaml`,
    );
  }
}

/**
 * One replay per product at a time. A second one would join the replay group, take half of the
 * partitions and leave both waiting on each other's rebalances: refuse it while the group has
 * members. A replay killed with SIGKILL stays a member until its session times out, so members are
 * given that long (`waitMs`: the session timeout and a margin) to leave before the refusal: a
 * rerun after a crash waits for the dead member to lapse, a live replay keeps heartbeating and is
 * refused. A check, not a lock: two replays started within the same instant can both pass it, and
 * Kafka's group protocol still keeps them from reading the same partition at once.
 */
export async function refuseRunningReplay(
  admin: Admin,
  product: ProductDescriptor,
  waitMs: number,
  onWait: (message: string) => void,
): Promise<void> {
  const group = replayGroupOf(product);
  const membersOf = async () => (await admin.describeGroups([group])).groups.find((g) => g.groupId === group)?.members ?? [];
  const deadline = Date.now() + waitMs;
  let members = await membersOf();
  if (members.length > 0)
    onWait(`${group} has members; waiting up to ${Math.ceil(waitMs / 1000)} s for them to leave (a killed replay's lapse then)`);
  while (members.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    members = await membersOf();
  }
  if (members.length === 0) return;
  const who = members.map((m) => `${m.clientId} on ${m.clientHost}`).join(', ');
  throw new DataprodError(
    'REPLAY_RUNNING',
    `${product.majorId}: a replay is already running: consumer group ${group} has ${members.length} member${members.length > 1 ? 's' : ''} (${who}) ` +
      `still heartbeating after ${Math.ceil(waitMs / 1000)} s; wait for it to finish (or stop it: it resumes where it stopped), then replay again; ` +
      '`dlq inspect` and `dlq replay --dry-run` can run beside it',
  );
}

/**
 * Partitions an offset window names must exist: a partition mistyped would take nothing, and a
 * replay would then copy every dead letter forward.
 */
export async function requireWindowPartitions(
  admin: Admin,
  products: readonly ProductDescriptor[],
  window: OffsetWindow | undefined,
): Promise<void> {
  if (!window?.partitions) return;
  const topics = [...new Set(products.map((p) => p.deadLetter.topic))];
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const issues: ConfigIssue[] = [];
  for (const { name, partitions } of metadata) {
    const unknown = [...window.partitions].filter((p) => !partitions.some((x) => x.partitionId === p));
    if (unknown.length > 0)
      issues.push({
        path: '--from-offset/--to-offset',
        message: `${name} has no partition ${unknown.join(', ')}; it has partitions 0 to ${partitions.length - 1}`,
      });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}
