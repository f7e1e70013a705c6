import { loadProducts } from '../../product/index.js';
import { display, type Command } from '../command.js';

export const test: Command = {
  name: 'test',
  summary: "run each product's cases/*.yaml offline (no Kafka): inputs in, outputs / filters / dead-letters out",
  async run(positionals) {
    let passed = 0;
    let failed = 0;
    for (const { descriptor, transform } of await loadProducts(positionals)) {
      const { runCases } = await import('../../tools/cases.js');
      const results = await runCases(descriptor, transform);
      console.log(`${descriptor.id} (${display(descriptor.dir)})`);
      if (results.length === 0) console.log('  (no cases: add cases/*.yaml)');
      for (const r of results) {
        if (r.ok) passed += 1;
        else failed += 1;
        console.log(`  ${r.ok ? '✔' : '✖'} ${r.file}: ${r.name}`);
        for (const p of r.problems) console.log(`      ${p}`);
      }
    }
    console.log(`\n${passed} passed, ${failed} failed`);
    return failed > 0 || passed === 0 ? 1 : 0;
  },
};
