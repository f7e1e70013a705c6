/**
 * The names a product's major decides, in one place: the output topic ends with `.v<major>`, its
 * subject is `<topic>-value` (TopicNameStrategy), the consumer group is `dataprod.<id>.v<major>`.
 * The compiler fills them in; `dataprod check` and the successor pointer name another major's.
 */

export const subjectOf = (topic: string) => `${topic}-value`;

export const consumerGroupOf = (id: string, major: number) => `dataprod.${id}.v${major}`;

/** The same topic for another major: `sales.orders.v1` -> `sales.orders.v2`. */
export const topicOfMajor = (topic: string, major: number) => `${topic.replace(/\.v\d+$/, '')}.v${major}`;
