/**
 * A product as an Open Data Product Standard v1.0.0 descriptor: its ports (each naming the ODCS
 * contract `dataprod export --format odcs` writes for it), owners, support and status.
 * dataproduct-cli lints it, resolving those contracts among the exported files, in the test suite.
 */
import type { ProductDescriptor } from '../../product/types.js';
import { inputContractId, outputContractId } from './odcs.js';

export const ODPS_API_VERSION = 'v1.0.0';

export function productDescriptor(product: ProductDescriptor): Record<string, unknown> {
  const version = product.version;
  return {
    apiVersion: ODPS_API_VERSION,
    kind: 'DataProduct',
    id: product.id,
    name: product.name,
    version: product.version,
    status: product.status,
    domain: product.domain,
    description: { ...product.description },
    inputPorts: product.inputPorts.map((port) => ({
      name: port.name,
      version,
      contractId: inputContractId(product, port),
      customProperties: [{ property: 'topic', value: port.topic }],
    })),
    outputPorts: [
      {
        name: product.output.name,
        description: `Kafka topic ${product.output.topic} (Avro, Confluent wire format, subject ${product.output.subject})`,
        type: 'kafka-topic',
        version,
        contractId: outputContractId(product),
        inputContracts: product.inputPorts.map((port) => ({ id: inputContractId(product, port), version })),
        customProperties: [
          { property: 'topic', value: product.output.topic },
          { property: 'deadLetterTopic', value: product.deadLetter.topic },
        ],
      },
    ],
    ...supportWithUrl(product),
    team: { name: product.team.name, members: product.team.members.map((m) => ({ ...m })) },
  };
}

/** ODPS requires a url on every support channel; a channel without one (a chat handle) stays in the ODCS contracts only. */
function supportWithUrl(product: ProductDescriptor): { support?: Record<string, unknown>[] } {
  const withUrl = product.support.filter((s) => s.url !== undefined);
  return withUrl.length > 0 ? { support: withUrl.map((s) => ({ ...s })) } : {};
}
