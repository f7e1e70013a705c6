import { join } from 'node:path';
import { formatIssues } from '../../errors.js';
import { checkMajorsApart, findProductDirs, validateProduct, type ProductDescriptor } from '../../product/index.js';
import { display, type Command } from '../command.js';

export const validate: Command = {
  name: 'validate',
  summary: 'check descriptors, schemas and transforms; every problem at once, with its path',
  async run(positionals) {
    let failed = 0;
    const valid: ProductDescriptor[] = [];
    for (const dir of findProductDirs(positionals)) {
      const { descriptor, issues } = await validateProduct(dir);
      if (descriptor && issues.length === 0) {
        valid.push(descriptor);
        console.log(`✔ ${display(dir)}: ${descriptor.id} ${descriptor.version} (${descriptor.status})`);
      } else {
        failed += 1;
        console.log(
          `✖ ${display(join(dir, 'product.yaml'))}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`,
        );
      }
    }
    // Valid alone, but not together with the others: the same major twice, a topic written twice.
    for (const { file, issues } of checkMajorsApart(valid)) {
      failed += 1;
      console.log(
        `✖ ${display(file)}: with the other products, ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`,
      );
    }
    return failed > 0 ? 1 : 0;
  },
};
