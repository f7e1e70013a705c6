/**
 * Schema files and the field paths that point into them: every contract and output schema file
 * exists and is Avro, an output schema is a record, and its `key`, `eventTime` and
 * `classification` name fields it has.
 */
import type avsc from 'avsc';
import { eventTimeKind, findField, isRecord, loadSchemaFile, missingFieldMessage, topLevelFields, type SchemaFile } from './avro-fields.js';
import { isObj, list, type Segment } from './issues.js';
import type { PortInfo, SemanticContext } from './semantic-context.js';
import { closest } from './suggest.js';

/** Reads each input port's contract schema into its PortInfo. */
export async function checkInputSchemas(ctx: SemanticContext, ports: PortInfo[]): Promise<void> {
  const inputs = list(ctx.root.inputPorts);
  for (let i = 0; i < inputs.length; i++) {
    const port = inputs[i];
    if (!isObj(port) || !isObj(port.contract)) continue;
    const segments: Segment[] = ['inputPorts', i, 'contract', 'schema'];
    const rel = ctx.validString(segments, port.contract.schema);
    if (rel === undefined) continue;
    const schema = await loadSchemaFile(ctx.dir, rel, ctx.schemas);
    ports[i]!.schema = schema;
    if (schema.error) ctx.issues.add(segments, schema.error);
  }
}

export async function checkOutputSchemas(ctx: SemanticContext): Promise<void> {
  const { issues, validString } = ctx;
  const outputs = list(ctx.root.outputPorts);
  for (let i = 0; i < outputs.length; i++) {
    const port = outputs[i];
    if (!isObj(port)) continue;
    const base: Segment[] = ['outputPorts', i];
    const rel = validString([...base, 'schema'], port.schema);
    let schema: SchemaFile | undefined;
    if (rel !== undefined) {
      schema = await loadSchemaFile(ctx.dir, rel, ctx.schemas);
      if (schema.error) issues.add([...base, 'schema'], schema.error);
      else if (schema.type && !isRecord(schema.type)) {
        issues.add(
          [...base, 'schema'],
          `${rel} is a ${schema.type.typeName} schema; an output schema must be an Avro record ({ "type": "record", ... })`,
        );
      }
    }
    const outType = schema?.type && isRecord(schema.type) ? schema.type : undefined;
    const key = validString([...base, 'key'], port.key);
    if (key !== undefined && outType) {
      const fields = topLevelFields(outType);
      if (!fields.includes(key)) {
        const guess = closest(key, fields);
        issues.add(
          [...base, 'key'],
          `${key} is not a top-level field of the output schema (${schema?.rel}); ${guess ? `did you mean ${guess}? ` : ''}fields: ${fields.join(', ')}`,
        );
      }
    }
    const eventTime = validString([...base, 'eventTime'], port.eventTime);
    if (eventTime !== undefined && outType) {
      const field = (outType as avsc.types.RecordType).fields.find((f) => f.name === eventTime);
      const kind = field ? eventTimeKind(field.type) : undefined;
      if (!field) {
        issues.add(
          [...base, 'eventTime'],
          `${eventTime} is not a top-level field of the output schema (${schema?.rel}); fields: ${topLevelFields(outType).join(', ')}`,
        );
      } else if (!kind) {
        issues.add(
          [...base, 'eventTime'],
          `${eventTime} must be a long with logicalType timestamp-millis or timestamp-micros (optionally nullable) to measure event-to-publish latency`,
        );
      }
    }
    if (isObj(port.classification) && outType) {
      for (const path of Object.keys(port.classification)) {
        const missing = findField(outType, path);
        if (missing)
          issues.add([...base, 'classification', path], missingFieldMessage(path, `the output schema (${schema?.rel})`, missing, outType));
      }
    }
  }
}
