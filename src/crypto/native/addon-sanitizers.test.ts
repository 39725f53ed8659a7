import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

/**
 * The addon's C under AddressSanitizer and UndefinedBehaviorSanitizer: `make -C native sanitize`
 * builds it instrumented and runs every export and refusal (native/test/exercise.mjs) through
 * it, 50 rounds, two at a time on the libuv pool. Any finding aborts the run. (valgrind's leak
 * check is `make -C native valgrind`: minutes, so not part of every test run.)
 */
const NATIVE = fileURLToPath(new URL('../../../../native', import.meta.url));

describe('the native addon under ASan and UBSan', () => {
  test('every export and refusal, 50 rounds, without a finding', { timeout: 180_000 }, () => {
    const run = spawnSync('make', ['-s', '-C', NATIVE, 'sanitize'], { encoding: 'utf8', timeout: 170_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^50 rounds$/m);
    assert.doesNotMatch(run.stderr, /AddressSanitizer|runtime error/);
  });
});
