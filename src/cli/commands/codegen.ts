import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOptions } from '../../config/runtime.js';
import { DescriptorError } from '../../errors.js';
import { findProductDirs, PRODUCT_TYPES_FILE, validateProduct } from '../../product/index.js';
import { display, type Command } from '../command.js';

export const codegen: Command = {
  name: 'codegen',
  summary: `write ${PRODUCT_TYPES_FILE} with TypeScript types of each product's Avro schemas`,
  async run(positionals, flags) {
    const { check = false } = readOptions('codegen', flags, process.env);
    let stale = 0;
    for (const dir of findProductDirs(positionals)) {
      const { descriptor, issues } = await validateProduct(dir, { loadTransform: false });
      if (!descriptor) throw new DescriptorError(join(dir, 'product.yaml'), issues);
      const file = join(dir, PRODUCT_TYPES_FILE);
      const { generateProductTypes } = await import('../../tools/codegen/index.js');
      const content = generateProductTypes(descriptor);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (check) {
        if (current !== content) {
          stale += 1;
          console.log(`✖ ${display(file)} is ${current === undefined ? 'missing' : 'stale'}: run \`dataprod codegen ${display(dir)}\``);
        } else console.log(`✔ ${display(file)} is up to date`);
      } else if (current !== content) {
        writeFileSync(file, content);
        console.log(`wrote ${display(file)}`);
      } else console.log(`${display(file)} is up to date`);
    }
    return stale > 0 ? 1 : 0;
  },
};
