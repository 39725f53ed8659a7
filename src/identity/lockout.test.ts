import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { admit, fail, release, RESERVATION_TTL_MS, succeed, unlock } from './lockout.js';
import { MAX_FAILED_LOGINS, type UserRecord } from './user-record.js';

const fresh: UserRecord = {
  username: 'u',
  role: 'crypto-user',
  failedLogins: 0,
  locked: false,
  createdAt: '',
  updatedAt: '',
};

type Step = { readonly kind: 'admit' } | { readonly kind: 'fail' | 'release' | 'succeed'; readonly pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'admit' as const }),
  fc.record({ kind: fc.constantFrom('fail' as const, 'release' as const, 'succeed' as const), pick: fc.nat() }),
);

describe('lockout rules', () => {
  test('whatever the interleaving, at most 5 wrong guesses are evaluated before a success or unlock, and no failure unlocks', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        let user = fresh;
        let next = 0;
        const inFlight: string[] = [];
        let failuresSinceReset = 0;
        for (const s of steps) {
          if (s.kind === 'admit') {
            const id = String(next++);
            const admission = admit(user, id, 0);
            if (admission.admitted) {
              user = admission.user;
              inFlight.push(id);
            } else assert.equal(admission.reason === 'locked', user.locked);
            continue;
          }
          if (inFlight.length === 0) continue;
          const [id] = inFlight.splice(s.pick % inFlight.length, 1) as [string];
          const wasLocked = user.locked;
          if (s.kind === 'fail') {
            user = fail(user, id, 0);
            failuresSinceReset++;
          } else if (s.kind === 'release') user = release(user, id, 0);
          else {
            const done = succeed(user, id, 0);
            if (done) failuresSinceReset = 0;
            user = done ?? release(user, id, 0);
          }
          assert.ok(!wasLocked || user.locked, 'only an unlock clears the lock');
          assert.ok(failuresSinceReset <= MAX_FAILED_LOGINS, `${failuresSinceReset} failures evaluated`);
          assert.equal(user.locked, user.failedLogins >= MAX_FAILED_LOGINS);
        }
      }),
    );
  });

  test('a success never clears a lock set meanwhile; an unlock does, and keeps live reservations', () => {
    let user = fresh;
    for (let i = 0; i < 4; i++) {
      const admission = admit(user, `f${i}`, 0);
      assert.ok(admission.admitted);
      user = fail(admission.user, `f${i}`, 0);
    }
    const right = admit(user, 'right', 0);
    assert.ok(right.admitted);
    assert.deepEqual(admit(right.user, 'more', 0), { admitted: false, reason: 'busy' });
    // The right answer's reservation goes stale (its node died): it counts as the 5th failure.
    const later = RESERVATION_TTL_MS + 1;
    assert.equal(succeed(right.user, 'right', later), undefined);
    assert.deepEqual(admit(right.user, 'more', later), { admitted: false, reason: 'locked' });
    const unlocked = unlock(fail(right.user, 'right', later), later);
    assert.deepEqual([unlocked.locked, unlocked.failedLogins], [false, 0]);
    assert.ok(admit(unlocked, 'again', later).admitted);
  });
});
