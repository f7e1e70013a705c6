import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWindow, parseOffsetWindow } from '../../../src/redrive/offset-window.js';
import { judge, type Selection } from '../../../src/redrive/selection.js';
import { deadLetter, IN, source } from './fixtures.js';

describe('parseOffsetWindow', () => {
  it('is undefined, without problems, when neither flag is given', () => {
    assert.deepEqual(parseOffsetWindow(undefined, []), { issues: [] });
  });

  it('applies one offset to every partition', () => {
    const { window, issues } = parseOffsetWindow(['100'], ['250']);
    assert.deepEqual(issues, []);
    assert.equal(window!.partitions, undefined);
    assert.deepEqual(
      [0, 7].flatMap((p) => [99n, 100n, 249n, 250n].map((o) => inWindow(window!, p, o))),
      [false, true, true, false, false, true, true, false],
    );
  });

  it('takes only the partitions named in either flag, with an every-partition bound for them too', () => {
    const { window, issues } = parseOffsetWindow(['0:100', '2:40'], ['2:90']);
    assert.deepEqual(issues, []);
    assert.deepEqual([...window!.partitions!].sort(), [0, 2]);
    assert.deepEqual(
      [inWindow(window!, 0, 100n), inWindow(window!, 0, 10_000n), inWindow(window!, 0, 99n)],
      [true, true, false],
      'partition 0: from 100, to the end',
    );
    assert.deepEqual(
      [inWindow(window!, 2, 39n), inWindow(window!, 2, 40n), inWindow(window!, 2, 89n), inWindow(window!, 2, 90n)],
      [false, true, true, false],
    );
    assert.equal(inWindow(window!, 1, 50n), false, 'partition 1 is not named');
    const mixed = parseOffsetWindow(['100'], ['1:300']).window!;
    assert.deepEqual(
      [inWindow(mixed, 1, 99n), inWindow(mixed, 1, 100n), inWindow(mixed, 1, 300n), inWindow(mixed, 0, 150n)],
      [false, true, false, false],
    );
  });

  it('names the flag and the bad value of every problem at once', () => {
    const { window, issues } = parseOffsetWindow(['abc', '1:5', '1:6'], ['-3']);
    assert.equal(window, undefined);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message.split(':')[0]]),
      [
        ['--from-offset', '"abc"'],
        ['--from-offset', '"1'],
        ['--to-offset', '"-3"'],
      ],
    );
    assert.match(issues[1]!.message, /partition 1 is given twice; give an offset \(100\) or partition:offset pairs/);
    assert.match(parseOffsetWindow(['5', '1:7'], undefined).issues[0]!.message, /an offset for every partition must be the only value/);
  });

  it('refuses an end at or before its start, per partition', () => {
    assert.match(parseOffsetWindow(['100'], ['100']).issues[0]!.message, /^100 must be greater than --from-offset 100 \(it is exclusive\)/);
    const { issues } = parseOffsetWindow(['0:10', '1:50'], ['0:20', '1:40']);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [['--to-offset', '40 of partition 1 must be greater than --from-offset 50 (it is exclusive)']],
    );
  });
});

describe('an offset window in a replay selection', () => {
  it('takes the dead letters inside it and leaves the others out (to carry forward)', () => {
    const selection: Selection = { includeParked: false, offsets: parseOffsetWindow(['0:11'], ['0:12']).window! };
    const at = (partition: number, offset: number) => ({
      ...deadLetter(source(offset), { reason: 'transform', stage: 'transform' }, offset),
      partition,
    });
    assert.deepEqual(
      [at(0, 10), at(0, 11), at(0, 12), at(1, 11)].map((l) => judge(l, selection, new Set([IN]))),
      ['unselected', 'replay', 'unselected', 'unselected'],
    );
  });
});
