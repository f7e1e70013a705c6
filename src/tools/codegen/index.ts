// Avro -> TypeScript code generation (`dataprod codegen`).
export { pascalCase } from './avro-nodes.js';
export { avroToTypeScript, AvroTypeScriptGenerator, type SchemaHandle } from './avro-to-ts.js';
export { generateProductTypes, portTypeName, PRODUCT_TYPES_FILE, PRODUCT_TYPES_HEADER } from './product-types.js';
