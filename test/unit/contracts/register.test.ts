import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepsGuarantees } from '../../../src/contracts/register.js';

describe('compatibility levels', () => {
  it('allows moving to a level that checks at least as much', () => {
    assert.equal(keepsGuarantees('NONE', 'BACKWARD'), true);
    assert.equal(keepsGuarantees('BACKWARD', 'BACKWARD_TRANSITIVE'), true);
    assert.equal(keepsGuarantees('BACKWARD', 'FULL'), true);
    assert.equal(keepsGuarantees('FULL', 'FULL_TRANSITIVE'), true);
    assert.equal(keepsGuarantees('BACKWARD_TRANSITIVE', 'FULL_TRANSITIVE'), true);
  });

  it('refuses anything that drops a guarantee', () => {
    assert.equal(keepsGuarantees('BACKWARD_TRANSITIVE', 'NONE'), false);
    assert.equal(keepsGuarantees('BACKWARD_TRANSITIVE', 'BACKWARD'), false, 'drops transitivity');
    assert.equal(keepsGuarantees('BACKWARD', 'FORWARD'), false, 'drops backward');
    assert.equal(keepsGuarantees('FULL', 'BACKWARD_TRANSITIVE'), false, 'drops forward');
    assert.equal(keepsGuarantees('FULL_TRANSITIVE', 'FULL'), false);
  });
});
