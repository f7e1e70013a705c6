import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingWorkerFlags } from '../../../src/cli/worker-node-flags.js';

describe('the worker process flags', () => {
  it('asks for Node 20’s young generation when nothing sets it', () => {
    assert.deepEqual(missingWorkerFlags([], ''), ['--max-semi-space-size=16']);
    assert.deepEqual(missingWorkerFlags(['--import', 'tsx', '--cpu-prof'], '--enable-source-maps'), ['--max-semi-space-size=16']);
  });

  it('leaves a size the user chose alone, on the command line or in NODE_OPTIONS, in either spelling', () => {
    assert.deepEqual(missingWorkerFlags(['--max-semi-space-size=64'], ''), []);
    assert.deepEqual(missingWorkerFlags([], '--import tsx  --max-semi-space-size=8'), []);
    assert.deepEqual(missingWorkerFlags(['--max_semi_space_size=32'], ''), []);
  });

  it('does not mistake a flag that only starts the same way', () => {
    assert.deepEqual(missingWorkerFlags(['--max-semi-space-size-x=1'], '--max-old-space-size=512'), ['--max-semi-space-size=16']);
  });
});
