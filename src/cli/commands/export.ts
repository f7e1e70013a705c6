import { readOptions } from '../../config/runtime.js';
import { ConfigError } from '../../errors.js';
import { loadProducts } from '../../product/index.js';
import { display, type Command } from '../command.js';

export const exportCatalog: Command = {
  name: 'export',
  summary:
    'write each product as Open Data Contract Standard contracts (--format odcs) or an Open Data Product Standard descriptor (--format odps)',
  async run(positionals, flags) {
    const { format, 'out-dir': outDir = 'catalog' } = readOptions('export', flags, process.env);
    if (format === undefined) {
      throw new ConfigError([{ path: '--format', message: 'required: odcs (a contract per port) or odps (a descriptor per product)' }]);
    }
    const products = await loadProducts(positionals, { loadTransform: false });
    const { writeExports } = await import('../../tools/export/index.js');
    for (const file of writeExports(
      products.map((p) => p.descriptor),
      format,
      outDir,
    ))
      console.log(`wrote ${display(file)}`);
    return 0;
  },
};
