import { DataprodError } from '../errors.js';
import { canonicalSchemaText } from './canonical.js';
import type { AvroSchema, Compatibility } from '../product/types.js';

export interface RegistryClientOptions {
  url: string;
  username?: string;
  password?: string;
  /** Per request. */
  timeoutMs?: number;
}

export interface RegisteredSchema {
  id: number;
  version: number;
  schema: AvroSchema;
}

/**
 * The few Confluent Schema Registry endpoints dataprod uses, over fetch. Failures are classified:
 * unreachable or 5xx → REGISTRY_UNAVAILABLE (the worker pauses and tries again, never dead-letters);
 * 409 → SCHEMA_INCOMPATIBLE with the registry's reason; other 4xx → REGISTRY_REJECTED.
 */
export class RegistryClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (options.username !== undefined) {
      const token = Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      this.headers.Authorization = `Basic ${token}`;
    }
  }

  get url(): string {
    return this.base;
  }

  /** The schema with this id, or undefined when the registry does not know the id. */
  async schemaById(id: number): Promise<AvroSchema | undefined> {
    const res = await this.request('GET', `/schemas/ids/${id}`, undefined, [404]);
    if (res.status === 404) return undefined;
    const body = res.body as { schema: string; schemaType?: string };
    // A Protobuf or JSON Schema id cannot be read as Avro: for an Avro port it is as unknown as an unregistered id.
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') return undefined;
    return JSON.parse(body.schema) as AvroSchema;
  }

  /** The id of this schema (compared in canonical text) under the subject, or undefined when it is not registered there. */
  async lookup(subject: string, schema: AvroSchema): Promise<RegisteredSchema | undefined> {
    // Versions registered before the canonical text were sent as JSON.stringify of the file: found that way too,
    // so an existing subject gets no new version and a worker without --auto-register still starts.
    const texts = [...new Set([canonicalSchemaText(schema), JSON.stringify(schema)])];
    for (const text of texts) {
      const res = await this.request('POST', `/subjects/${encodeURIComponent(subject)}`, { schema: text }, [404]);
      if (res.status === 404) continue;
      const body = res.body as { id: number; version: number };
      return { id: body.id, version: body.version, schema };
    }
    return undefined;
  }

  async latest(subject: string): Promise<RegisteredSchema | undefined> {
    const res = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, [404]);
    if (res.status === 404) return undefined;
    const body = res.body as { id: number; version: number; schema: string };
    return { id: body.id, version: body.version, schema: JSON.parse(body.schema) as AvroSchema };
  }

  /** Every version registered under the subject, oldest first; none when the subject does not exist. */
  async versions(subject: string): Promise<RegisteredSchema[]> {
    const res = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions`, undefined, [404]);
    if (res.status === 404) return [];
    const out: RegisteredSchema[] = [];
    for (const version of res.body as number[]) {
      const v = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
      const body = v.body as { id: number; version: number; schema: string };
      out.push({ id: body.id, version: body.version, schema: JSON.parse(body.schema) as AvroSchema });
    }
    return out;
  }

  /** Registers the canonical text (idempotent for the same schema, whatever its whitespace or attribute order); throws SCHEMA_INCOMPATIBLE with the registry's reason. */
  async register(subject: string, schema: AvroSchema): Promise<number> {
    const res = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: canonicalSchemaText(schema) });
    return (res.body as { id: number }).id;
  }

  /** Whether the schema may be registered under the subject, with the registry's reasons when it may not (some registries give none here). */
  async checkCompatibility(subject: string, schema: AvroSchema): Promise<{ compatible: boolean; reasons: string[] }> {
    const res = await this.request(
      'POST',
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`,
      { schema: canonicalSchemaText(schema) },
      [404],
    );
    if (res.status === 404) return { compatible: true, reasons: [] }; // no version yet: anything goes
    const body = res.body as { is_compatible: boolean; messages?: string[] };
    return { compatible: body.is_compatible, reasons: body.messages ?? [] };
  }

  async setCompatibility(subject: string, level: Compatibility): Promise<void> {
    await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
  }

  async compatibility(subject: string): Promise<Compatibility | undefined> {
    const res = await this.request('GET', `/config/${encodeURIComponent(subject)}`, undefined, [404]);
    if (res.status === 404) return undefined;
    const body = res.body as { compatibilityLevel?: Compatibility; compatibility?: Compatibility };
    return body.compatibilityLevel ?? body.compatibility;
  }

  /** True when the registry answers at all (for readiness). */
  async reachable(): Promise<boolean> {
    try {
      await this.request('GET', '/subjects');
      return true;
    } catch {
      return false;
    }
  }

  private async request(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<{ status: number; body: unknown }> {
    const what = `schema registry ${method} ${path}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new DataprodError('REGISTRY_UNAVAILABLE', `${what}: registry unreachable at ${this.base} (${cause})`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    if (res.ok || allowed.includes(res.status)) return { status: res.status, body: parsed };
    const message = (parsed as { message?: string } | undefined)?.message ?? String(text).slice(0, 300);
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      throw new DataprodError('REGISTRY_UNAVAILABLE', `${what}: HTTP ${res.status} ${message}`);
    }
    if (res.status === 409) throw new DataprodError('SCHEMA_INCOMPATIBLE', `${what}: ${message}`);
    if (res.status === 401 || res.status === 403) {
      throw new DataprodError(
        'REGISTRY_REJECTED',
        `${what}: HTTP ${res.status} (check the registry credentials: --registry-user / SCHEMA_REGISTRY_USER)`,
      );
    }
    throw new DataprodError('REGISTRY_REJECTED', `${what}: HTTP ${res.status} ${message}`);
  }
}
