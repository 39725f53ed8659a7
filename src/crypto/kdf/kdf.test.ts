import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { kdfCounterHmac, sp800108FixedInput } from './sp800-108.js';
import { x963Kdf } from './x963.js';

const hex = (value: string): Buffer => Buffer.from(value, 'hex');

describe('ANSI X9.63 KDF (NIST CAVP ansx963_2001.rsp)', () => {
  test('[SHA-256] [shared secret length = 192] [SharedInfo length = 0] [key data length = 128]', () => {
    assert.equal(
      x963Kdf('sha256', hex('96c05619d56c328ab95fe84b18264b08725b85e33fd34f08'), Buffer.alloc(0), 16).toString('hex'),
      '443024c3dae66b95e6f5670601558f71',
    );
    assert.equal(
      x963Kdf('sha256', hex('de4ec3f6b2e9b7b5b6160acd5363c1b1f250e17ee731dbd6'), Buffer.alloc(0), 16).toString('hex'),
      'c8df626d5caaabf8a1b2a3f9061d2420',
    );
  });

  test('[SHA-256] [SharedInfo length = 128] [key data length = 1024]: four blocks', () => {
    const out = x963Kdf(
      'sha256',
      hex('7e335afa4b31d772c0635c7b0e06f26fcd781df947d2990a'),
      hex('d65a4812733f8cdbcdfb4b2f4c191d87'),
      128,
    );
    assert.equal(
      out.toString('hex'),
      'c0bd9e38a8f9de14c2acd35b2f3410c6988cf02400543631e0d6a4c1d030365acbf398115e51aaddebdc9590664210f9' +
        'aa9fed770d4c57edeafa0b8c14f93300865251218c262d63dadc47dfa0e0284826793985137e0a544ec80abf2fdf5ab9' +
        '0bdaea66204012efe34971dc431d625cd9a329b8217cc8fd0d9f02b13f2f6b0b',
    );
  });

  test('[SHA-1] [shared secret length = 192] [SharedInfo length = 0] [key data length = 128]', () => {
    assert.equal(
      x963Kdf('sha1', hex('1c7d7b5f0597b03d06a018466ed1a93e30ed4b04dc64ccdd'), Buffer.alloc(0), 16).toString('hex'),
      'bf71dffd8f4d99223936beb46fee8ccc',
    );
  });
});

describe('SP 800-108 counter KDF, HMAC (NIST CAVP KDFCTR_gen.rsp, BEFORE_FIXED, RLEN=32_BITS)', () => {
  test('[PRF=HMAC_SHA256] COUNT=0 (L=128) and COUNT=30 (L=320, two blocks)', () => {
    const count0 = kdfCounterHmac(
      'sha256',
      createSecretKey(hex('dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0')),
      hex(
        '01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b864a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac',
      ),
      16,
    );
    assert.equal(count0.toString('hex'), '10621342bfb0fd40046c0e29f2cfdbf0');
    const count30 = kdfCounterHmac(
      'sha256',
      createSecretKey(hex('c4bedbddb66493e7c7259a3bbbc25f8c7e0ca7fe284d92d431d9cd99a0d214ac')),
      hex(
        '1c69c54766791e315c2cc5c47ecd3ffab87d0d273dd920e70955814c220eacace6a5946542da3dfe24ff626b4897898cafb7db83bdff3c14fa46fd4b',
      ),
      40,
    );
    assert.equal(
      count30.toString('hex'),
      '1da47638d6c9c4d04d74d4640bbd42ab814d9e8cc22f4326695239f96b0693f12d0dd1152cf44430',
    );
  });

  test('[PRF=HMAC_SHA1] COUNT=30 (L=320, two blocks)', () => {
    const out = kdfCounterHmac(
      'sha1',
      createSecretKey(hex('693adb9037184627ad300f176985bd379f388a95')),
      hex(
        '7f09570c2d9304ec743ab845a8761c126c18f5cf72358eada2b5d1deb43dc6a0f4ff8f933bef7af0bcfacb33fa07f8ca04a06afe231835d5075996be',
      ),
      40,
    );
    assert.equal(
      out.toString('hex'),
      '52f55f51010e9bd78e4f58cab274ecafa561bd4e0f20da84f0303a1e5ff9bebc514361ec6df5c77e',
    );
  });

  test('fixed input is Label ‖ 0x00 ‖ Context ‖ [L]32 with L in bits', () => {
    assert.equal(
      sp800108FixedInput(Buffer.from('ab'), Buffer.from('c'), 40).toString('hex'),
      '6162' + '00' + '63' + '00000140',
    );
  });
});
