/**
 * Naming the field that makes a writer schema unreadable. avsc only says "cannot read X as Y";
 * a dead letter and a log line need the field (`dataprod.error.field`). Run once per refused
 * schema id, never per record.
 */
import type avsc from 'avsc';

interface RecordLike {
  readonly fields: readonly {
    readonly name: string;
    readonly type: avsc.Type;
    readonly aliases?: readonly string[];
    readonly defaultValue?: () => unknown;
  }[];
}

function asRecord(type: avsc.Type): RecordLike | undefined {
  return type.typeName === 'record' || type.typeName === 'error' ? (type as unknown as RecordLike) : undefined;
}

function resolves(reader: avsc.Type, writer: avsc.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/**
 * The dotted path of the first reader field that cannot read its writer field (through nested
 * records, arrays and maps), '(root)' when the two differ at the top, or undefined when they resolve.
 */
export function incompatibleField(reader: avsc.Type, writer: avsc.Type): string | undefined {
  if (resolves(reader, writer)) return undefined;
  return pathIn(reader, writer) ?? '(root)';
}

function pathIn(reader: avsc.Type, writer: avsc.Type): string | undefined {
  const readerRecord = asRecord(reader);
  const writerRecord = asRecord(writer);
  if (readerRecord && writerRecord) {
    for (const field of readerRecord.fields) {
      const names = [field.name, ...(field.aliases ?? [])];
      const source = writerRecord.fields.find((f) => names.includes(f.name));
      // A reader field the writer lacks is read from its default; without one, it is the culprit.
      if (!source) {
        if (field.defaultValue?.() === undefined) return field.name;
        continue;
      }
      if (resolves(field.type, source.type)) continue;
      const inner = pathIn(field.type, source.type);
      return inner === undefined ? field.name : `${field.name}.${inner}`;
    }
    return undefined;
  }
  const children = (t: avsc.Type) =>
    (t as unknown as { itemsType?: avsc.Type; valuesType?: avsc.Type }).itemsType ??
    (t as unknown as { valuesType?: avsc.Type }).valuesType;
  if (reader.typeName === writer.typeName && (reader.typeName === 'array' || reader.typeName === 'map')) {
    // Items and values have no name of their own: `lines.amount` is amount in the items of lines.
    return pathIn(children(reader)!, children(writer)!);
  }
  return undefined;
}
