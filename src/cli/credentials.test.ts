import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCredentials, parsePin, resolveNewSecret } from './credentials.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

function fakeIo(
  env: Record<string, string>,
  interactive: boolean,
  answers: string[] = [],
): CliIo & { prompts: string[] } {
  const prompts: string[] = [];
  const next = async (question: string) => {
    prompts.push(question);
    return answers.shift() ?? '';
  };
  return {
    env,
    cwd: '/',
    interactive,
    writeOut: () => undefined,
    writeErr: () => undefined,
    promptLine: next,
    promptSecret: next,
    prompts,
  };
}

describe('resolveCredentials', () => {
  it('prefers flags over the environment', async () => {
    const io = fakeIo({ COFFER_PIN: 'bob:envpass1' }, false);
    assert.deepEqual(await resolveCredentials({ username: 'alice', password: 'flagpass' }, io), {
      username: 'alice',
      password: 'flagpass',
    });
  });

  it('uses COFFER_PIN, then CLOUDHSM_PIN; a password may hold colons', async () => {
    assert.deepEqual(
      await resolveCredentials({}, fakeIo({ COFFER_PIN: 'alice:pa:ss', CLOUDHSM_PIN: 'bob:x' }, false)),
      {
        username: 'alice',
        password: 'pa:ss',
      },
    );
    assert.deepEqual(await resolveCredentials({}, fakeIo({ CLOUDHSM_PIN: 'bob:secret12' }, false)), {
      username: 'bob',
      password: 'secret12',
    });
  });

  it("never pairs a --username with another user's PIN password", async () => {
    const io = fakeIo({ COFFER_PIN: 'bob:bobpass1' }, true, ['alicepass']);
    assert.deepEqual(await resolveCredentials({ username: 'alice' }, io), { username: 'alice', password: 'alicepass' });
    assert.deepEqual(io.prompts, ['Password for alice: ']);
    await assert.rejects(resolveCredentials({ username: 'alice' }, fakeIo({ COFFER_PIN: 'bob:bobpass1' }, false)), {
      code: 'MISSING_CREDENTIALS',
    });
  });

  it('prompts on a TTY and fails clearly without one', async () => {
    const io = fakeIo({}, true, ['carol', 'carolpass']);
    assert.deepEqual(await resolveCredentials({}, io), { username: 'carol', password: 'carolpass' });
    await assert.rejects(
      resolveCredentials({}, fakeIo({}, false)),
      (error: unknown) => error instanceof CliError && error.code === 'MISSING_CREDENTIALS',
    );
  });

  it('refuses a malformed PIN', () => {
    for (const bad of ['alice', ':pass', 'alice:'])
      assert.throws(() => parsePin(bad, 'COFFER_PIN'), { code: 'INVALID_ARGUMENT' });
  });
});

describe('resolveNewSecret', () => {
  const sources = { flagName: '--new-password', envName: 'COFFER_NEW_PASSWORD', prompt: 'New password' };
  it('takes the flag, then the environment, then a confirmed prompt', async () => {
    assert.equal(
      await resolveNewSecret(fakeIo({ COFFER_NEW_PASSWORD: 'env' }, false), { ...sources, flag: 'flag' }),
      'flag',
    );
    assert.equal(await resolveNewSecret(fakeIo({ COFFER_NEW_PASSWORD: 'env' }, false), sources), 'env');
    assert.equal(await resolveNewSecret(fakeIo({}, true, ['same', 'same']), sources), 'same');
    await assert.rejects(resolveNewSecret(fakeIo({}, true, ['one', 'two']), sources), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(resolveNewSecret(fakeIo({}, false), sources), { code: 'MISSING_ARGUMENT' });
  });
});
