import { createSecretKey } from 'node:crypto';
import { sha1Hmac, sha224Hmac, sha384Hmac, sha512Hmac } from '../mechanisms/hmac.js';
import type { SelfTest, SignatureMechanism } from '../types.js';
import { expectHex, hex, expectTrue } from './expect.js';
import type { HmacVector } from './hmac.js';

/** Test case 2 of both RFCs: key "Jefe", data "what do ya want for nothing?". */
const JEFE_KEY = '4a656665';
const JEFE_DATA = '7768617420646f2079612077616e7420666f72206e6f7468696e673f';

/** RFC 2202 §3, test_case 2 (HMAC-SHA-1). */
export const RFC2202_SHA1_TC2: HmacVector = {
  key: JEFE_KEY,
  data: JEFE_DATA,
  mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
};

/** RFC 4231 §4.3, Test Case 2, HMAC-SHA-224. */
export const RFC4231_TC2_SHA224: HmacVector = {
  key: JEFE_KEY,
  data: JEFE_DATA,
  mac: 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44',
};

/** RFC 4231 §4.3, Test Case 2, HMAC-SHA-384. */
export const RFC4231_TC2_SHA384: HmacVector = {
  key: JEFE_KEY,
  data: JEFE_DATA,
  mac: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
};

/** RFC 4231 §4.3, Test Case 2, HMAC-SHA-512. */
export const RFC4231_TC2_SHA512: HmacVector = {
  key: JEFE_KEY,
  data: JEFE_DATA,
  mac:
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
    '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
};

/** Signs and verifies through the HMAC mechanism clients use (a 4-byte generic secret key). */
function hmacKat(name: string, mechanism: SignatureMechanism, v: HmacVector): SelfTest {
  return {
    name,
    async run() {
      const key = createSecretKey(hex(v.key));
      expectHex(await mechanism.sign(key, hex(v.data), {}), v.mac, 'MAC');
      expectTrue(await mechanism.verify(key, hex(v.data), hex(v.mac), {}), 'verify of the published MAC');
    },
  };
}

export const hmacSha1Kat = (v: HmacVector = RFC2202_SHA1_TC2): SelfTest => hmacKat('HMAC-SHA-1 KAT', sha1Hmac, v);
export const hmacSha224Kat = (v: HmacVector = RFC4231_TC2_SHA224): SelfTest =>
  hmacKat('HMAC-SHA-224 KAT', sha224Hmac, v);
export const hmacSha384Kat = (v: HmacVector = RFC4231_TC2_SHA384): SelfTest =>
  hmacKat('HMAC-SHA-384 KAT', sha384Hmac, v);
export const hmacSha512Kat = (v: HmacVector = RFC4231_TC2_SHA512): SelfTest =>
  hmacKat('HMAC-SHA-512 KAT', sha512Hmac, v);

/** HMAC-SHA-256 keeps its own KAT (hmac.ts), which also backs the blind indexes. */
export const HMAC_FAMILY_SELF_TESTS: readonly SelfTest[] = [
  hmacSha1Kat(),
  hmacSha224Kat(),
  hmacSha384Kat(),
  hmacSha512Kat(),
];
