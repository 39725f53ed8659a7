import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import { RecordFreshness } from './record-freshness.js';

const refused = (error: unknown): boolean => isCofferError(error, 'INTEGRITY_ERROR');

function loaded(writes: Record<string, number>, floor: number): RecordFreshness {
  const freshness = new RecordFreshness();
  freshness.load(new Map(Object.entries(writes)), floor);
  return freshness;
}

describe('the freshness map', () => {
  test('before the chain is verified nothing is read (NODE_SEALED); after clear() neither', () => {
    const freshness = new RecordFreshness();
    assert.equal(freshness.loaded, false);
    assert.throws(
      () => freshness.check('key/0x01', 5),
      (error) => isCofferError(error, 'NODE_SEALED'),
    );
    freshness.load(new Map(), 0);
    freshness.check('key/0x01', 5);
    freshness.clear();
    assert.throws(
      () => freshness.check('key/0x01', 5),
      (error) => isCofferError(error, 'NODE_SEALED'),
    );
  });

  // The rows of the table in record-freshness.ts, one case each.
  const rows: [string, Record<string, number>, string, number, boolean][] = [
    ['current', { 'key/a': 7 }, 'key/a', 7, true],
    ['an older sealed value of itself', { 'key/a': 7 }, 'key/a', 6, false],
    ['written after this node last looked', { 'key/a': 7 }, 'key/a', 9, true],
    ['unknown, at or below the verified head', {}, 'key/a', 10, false],
    ['unknown, written since unseal', {}, 'key/a', 11, true],
    ['the chain records themselves', {}, 'audit/event/0000000000000001', 1, true],
  ];
  for (const [what, writes, path, seq, taken] of rows) {
    test(`${what}: ${taken ? 'taken' : 'refused'}`, () => {
      const check = () => loaded(writes, 10).check(path, seq);
      if (taken) check();
      else assert.throws(check, refused);
    });
  }

  test('a commit moves the current value; a deletion refuses every value sealed up to it', () => {
    const freshness = loaded({ 'user/alice': 3 }, 10);
    freshness.committed(12, ['user/alice', 'key/b'], []);
    assert.throws(() => freshness.check('user/alice', 3), refused);
    freshness.check('user/alice', 12);
    freshness.check('key/b', 12);
    freshness.committed(13, [], ['key/b']);
    assert.throws(() => freshness.check('key/b', 12), refused);
    assert.throws(() => freshness.check('key/b', 13), refused);
    // Made again later (a peer's commit this node has not seen yet): taken.
    freshness.check('key/b', 14);
  });

  test('overtaken: only an older value of a path this node committed since the mark', () => {
    const freshness = loaded({ 'user/alice': 3, 'user/bob': 4 }, 10);
    const mark = freshness.mark();
    freshness.committed(12, ['user/alice'], ['user/bob']);
    assert.equal(
      freshness.overtaken('user/alice', mark, () => 3),
      true,
      'read before the commit',
    );
    assert.equal(
      freshness.overtaken('user/alice', mark, () => 12),
      false,
      'the committed value',
    );
    assert.equal(
      freshness.overtaken('user/bob', mark, () => 4),
      true,
      'deleted meanwhile',
    );
    assert.equal(
      freshness.overtaken('user/alice', freshness.mark(), () => 3),
      false,
      'a read begun after: judged',
    );
    assert.equal(
      freshness.overtaken('key/other', mark, () => 1),
      false,
      'a path not committed',
    );
  });

  test('commits while not loaded are ignored (the walk at the next unseal sees them)', () => {
    const freshness = new RecordFreshness();
    freshness.committed(5, ['key/a'], []);
    freshness.load(new Map(), 4);
    freshness.check('key/a', 5);
  });
});
