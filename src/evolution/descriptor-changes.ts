/**
 * The descriptor changes a product's consumers care about, between the previous and the next
 * version of one product: a field newly classified pii, a quality rule removed, an SLA loosened
 * or dropped, a status change, a sunset, a weaker compatibility mode, exactly-once given up. They are notices, not failures: none of them breaks a reader, but
 * each changes what a consumer was promised. Pure.
 */
import { keepsGuarantees } from '../contracts/register.js';
import { compileSlos } from '../product/slo.js';
import type { ProductDescriptor } from '../product/types.js';

export interface DescriptorNotice {
  /** Where in product.yaml, e.g. `slaProperties[latency]`. */
  path: string;
  message: string;
}

export function descriptorChanges(prev: ProductDescriptor, next: ProductDescriptor): DescriptorNotice[] {
  const out: DescriptorNotice[] = [];
  if (prev.status !== next.status) out.push({ path: 'status', message: `status changes from ${prev.status} to ${next.status}` });

  const sunset = next.lifecycle?.sunset;
  if (sunset !== undefined && sunset !== prev.lifecycle?.sunset) {
    const successor = next.lifecycle?.successor;
    out.push({
      path: 'sunset',
      message: `the product stops on ${sunset}${prev.lifecycle?.sunset ? ` (was ${prev.lifecycle.sunset})` : ''}${successor ? `; its successor is ${successor.topic}` : ''}`,
    });
  }

  const before = prev.output.classification;
  for (const [field, label] of Object.entries(next.output.classification)) {
    if (label === 'pii' && before[field] !== 'pii')
      out.push({
        path: `outputPorts[0].classification.${field}`,
        message: `${field} is newly classified pii${before[field] ? ` (was ${before[field]})` : ''}: consumers storing it must treat it as personal data`,
      });
  }

  const was = prev.output.compatibility;
  const now = next.output.compatibility;
  if (!keepsGuarantees(was, now))
    out.push({
      path: 'outputPorts[0].compatibility',
      message: `compatibility weakens from ${was} to ${now}: later versions may break readers ${was} protected (the registry keeps ${was} on a live subject)`,
    });
  if (prev.delivery === 'exactly-once' && next.delivery !== 'exactly-once')
    out.push({
      path: 'delivery',
      message: `delivery changes from exactly-once to ${next.delivery}: consumers may now see duplicates after a failure`,
    });

  const ruleNames = new Set(next.quality.map((q) => q.name));
  for (const rule of prev.quality.filter((q) => !ruleNames.has(q.name)))
    out.push({
      path: `quality[${rule.name}]`,
      message: `quality rule ${rule.name} (${rule.property}) is removed: its check no longer holds for published events`,
    });

  const slos = (d: ProductDescriptor) => new Map(compileSlos(d).slos.map((s) => [s.slo, s]));
  const nextSlos = slos(next);
  for (const [name, old] of slos(prev)) {
    const now = nextSlos.get(name);
    const path = `slaProperties[${name}]`;
    if (!now) out.push({ path, message: `the ${name} SLA is removed (was: ${old.text})` });
    else if (now.budget > old.budget + 1e-12 || (now.thresholdSeconds ?? 0) > (old.thresholdSeconds ?? 0) + 1e-9)
      out.push({ path, message: `the ${name} SLA is loosened: was ${old.text}; now ${now.text}` });
  }
  return out;
}
