import { join } from 'node:path';
import { readOptions } from '../../config/runtime.js';
import { DescriptorError } from '../../errors.js';
import { PRODUCT_TYPES_FILE, validateProduct } from '../../product/index.js';
import { display, type Command } from '../command.js';

export const init: Command = {
  name: 'init',
  summary: 'create a product repository in a new folder: package.json, tsconfig, CI workflow and one product that passes its tests',
  async run(positionals, flags) {
    const [dir, ...extra] = positionals;
    if (dir === undefined || extra.length > 0) {
      console.error('dataprod init: give the one folder to create, e.g. `dataprod init shipments --domain logistics`');
      return 2;
    }
    const { name, domain, owner } = readOptions('init', flags, process.env);
    const { scaffoldOptions, writeScaffold, productDirOf } = await import('../../tools/init.js');
    const options = scaffoldOptions(dir, { name, domain, owner }, process.env);
    const written = writeScaffold(dir, options);

    // Types from the schemas just written, as `dataprod codegen` writes them.
    const productDir = join(dir, productDirOf(options));
    const { descriptor, issues } = await validateProduct(productDir, { loadTransform: false });
    if (!descriptor) throw new DescriptorError(join(productDir, 'product.yaml'), issues);
    const { generateProductTypes } = await import('../../tools/codegen/index.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(productDir, PRODUCT_TYPES_FILE), generateProductTypes(descriptor));
    written.push(join(productDirOf(options), PRODUCT_TYPES_FILE));

    for (const file of written.sort()) console.log(`wrote ${display(join(dir, file))}`);
    console.log(`\n${descriptor.id}: next\n  cd ${display(dir)}\n  npm install\n  npx dataprod validate && npx dataprod test`);
    return 0;
  },
};
