/**
 * `FromSchema<S>`: the TypeScript type of the data a JSON Schema written `as const` accepts, so the
 * descriptor's shape is written once (./descriptor-schema.ts) and its types follow. It reads only
 * the keywords of `JsonSchema`; writing the schema `satisfies JsonSchema` makes any other keyword
 * (anyOf, $ref, ...) a compile error instead of a type that silently says less than ajv checks.
 */

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** The JSON Schema keywords the descriptor uses: the ones FromSchema reads, and checks on values it need not type. */
export interface JsonSchema {
  readonly $id?: string;
  readonly title?: string;
  readonly type?: JsonType;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: { readonly [key: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Refines values FromSchema types anyway (strings, numbers): no effect on the type. */
  readonly minLength?: number;
  readonly pattern?: string;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly not?: JsonSchema;
  /** Our annotation keyword: per failing keyword, the message to show (see ./shape.ts). */
  readonly 'x-messages'?: { readonly [keyword: string]: string };
}

/** The element type of a list that may be absent: `Entry<RawDescriptor['quality']>` is one rule. */
export type Entry<T> = NonNullable<T> extends readonly (infer E)[] ? E : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Tuple<T, N extends number, A extends T[] = []> = A['length'] extends N ? A : Tuple<T, N, [...A, T]>;

type FromArray<S> = S extends { items: infer I } ? FromSchema<I> : unknown;

type FromObject<S> = S extends { properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: FromSchema<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: FromSchema<P[K]>;
      } & (S extends { additionalProperties: false } ? unknown : Record<string, FromAdditional<S>>)
    >
  : Record<string, FromAdditional<S>>;

type RequiredKeys<S> = S extends { required: readonly (infer R)[] } ? R : never;

type FromAdditional<S> = S extends { additionalProperties: infer A } ? (A extends JsonSchema ? FromSchema<A> : unknown) : unknown;

type FromType<S, T> = T extends 'string'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? S extends { minItems: infer N extends number; maxItems: infer M extends number }
            ? [N, M] extends [M, N]
              ? Tuple<FromArray<S>, N>
              : FromArray<S>[]
            : FromArray<S>[]
          : T extends 'object'
            ? FromObject<S>
            : never;

/** The type of a value that `S` accepts (`{}`: unknown). */
export type FromSchema<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: infer T }
      ? FromType<S, T>
      : S extends { properties: object } | { additionalProperties: object }
        ? FromObject<S>
        : unknown;
