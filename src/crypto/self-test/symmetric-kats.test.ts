import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError } from '../../errors/coffer-error.js';
import type { SelfTest } from '../types.js';
import { aesCmacKat, RFC4493_EXAMPLE3 } from './aes-cmac.js';
import {
  aesCbcKat,
  aesCtrKat,
  aesEcbModeKat,
  SP800_38A_F15_ECB_AES256,
  SP800_38A_F25_CBC_AES256,
  SP800_38A_F55_CTR_AES256,
} from './aes-modes.js';
import {
  hmacSha1Kat,
  hmacSha224Kat,
  hmacSha384Kat,
  hmacSha512Kat,
  RFC2202_SHA1_TC2,
  RFC4231_TC2_SHA224,
  RFC4231_TC2_SHA384,
  RFC4231_TC2_SHA512,
} from './hmac-family.js';
import { aesKeyWrapKat, aesKeyWrapPadKat, RFC3394_4_6, RFC5649_6_20_OCTETS, RFC5649_6_7_OCTETS } from './key-wrap.js';
import { ALL_SELF_TESTS, runSelfTests } from './run.js';
import { SHA224_ABC, sha224Kat, SHA384_ABC, sha384Kat, SHA512_ABC, sha512Kat } from './sha2.js';

/** Flips the low bit of the hex digit at `at`. */
function corrupt(hexValue: string, at = 0): string {
  const digit = (parseInt(hexValue[at]!, 16) ^ 1).toString(16);
  return hexValue.slice(0, at) + digit + hexValue.slice(at + 1);
}

/** One corrupted vector per new known-answer test, in each field it checks. */
const CORRUPTED: readonly SelfTest[] = [
  aesEcbModeKat({ ...SP800_38A_F15_ECB_AES256, ciphertext: corrupt(SP800_38A_F15_ECB_AES256.ciphertext, 100) }),
  aesCbcKat({ ...SP800_38A_F25_CBC_AES256, iv: corrupt(SP800_38A_F25_CBC_AES256.iv) }),
  aesCtrKat({ ...SP800_38A_F55_CTR_AES256, plaintext: corrupt(SP800_38A_F55_CTR_AES256.plaintext, 127) }),
  aesCmacKat({ ...RFC4493_EXAMPLE3, mac: corrupt(RFC4493_EXAMPLE3.mac, 31) }),
  aesKeyWrapKat({ ...RFC3394_4_6, wrapped: corrupt(RFC3394_4_6.wrapped, 79) }),
  aesKeyWrapPadKat([RFC5649_6_20_OCTETS, { ...RFC5649_6_7_OCTETS, keyData: corrupt(RFC5649_6_7_OCTETS.keyData) }]),
  sha224Kat({ ...SHA224_ABC, message: 'abd' }),
  sha384Kat({ ...SHA384_ABC, digest: corrupt(SHA384_ABC.digest, 5) }),
  sha512Kat({ ...SHA512_ABC, digest: corrupt(SHA512_ABC.digest, 127) }),
  hmacSha1Kat({ ...RFC2202_SHA1_TC2, key: corrupt(RFC2202_SHA1_TC2.key) }),
  hmacSha224Kat({ ...RFC4231_TC2_SHA224, data: corrupt(RFC4231_TC2_SHA224.data, 3) }),
  hmacSha384Kat({ ...RFC4231_TC2_SHA384, mac: corrupt(RFC4231_TC2_SHA384.mac, 95) }),
  hmacSha512Kat({ ...RFC4231_TC2_SHA512, mac: corrupt(RFC4231_TC2_SHA512.mac) }),
];

describe('symmetric known-answer self-tests', () => {
  test('each corrupted vector fails with SELF_TEST_FAILED naming its test', async () => {
    for (const broken of CORRUPTED) {
      await assert.rejects(runSelfTests([broken]), (error: unknown) => {
        assert.ok(error instanceof CofferError);
        assert.equal(error.code, 'SELF_TEST_FAILED');
        assert.equal(error.detail, broken.name);
        return true;
      });
    }
  });

  test('the uncorrupted tests are in the power-on suite and pass', async () => {
    const names = ALL_SELF_TESTS.map((t) => t.name);
    for (const broken of CORRUPTED) assert.ok(names.includes(broken.name), broken.name);
    const { passed } = await runSelfTests(ALL_SELF_TESTS.filter((t) => CORRUPTED.some((c) => c.name === t.name)));
    assert.equal(passed.length, CORRUPTED.length);
  });
});
