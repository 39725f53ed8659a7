import { createPrivateKey } from 'node:crypto';
import { rsaOaep } from '../mechanisms/rsa-oaep.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface RsaOaepVector {
  /**
   * PKCS#8 DER (hex) of a published test key. Its private half is public knowledge: it exists
   * only to check the implementation and protects nothing.
   */
  readonly privateKeyPkcs8: string;
  readonly label: string;
  readonly ciphertext: string;
  readonly message: string;
}

/**
 * Project Wycheproof, testvectors_v1/rsa_oaep_2048_sha1_mgf1sha1_test.json: the group's key
 * ("privateKeyPkcs8") and tcId 3 (valid): RSA-2048, SHA-1 and MGF1-SHA-1 (PKCS#11's default),
 * empty label, message "Test".
 */
export const WYCHEPROOF_OAEP_2048_SHA1_TC3: RsaOaepVector = {
  privateKeyPkcs8:
    '308204bc020100300d06092a864886f70d0101010500048204a6308204a20201000282010100bd31c7a02691d2d9587e' +
    'f6a946ff788544ccadd4b2988ad62086792a6bf96c8616b4ad13317d2270b901d0fcd1d880cb8f52fb87304a5258c11b' +
    '38dfeae8df670aeee7ea1d0d9df8e00e80847e41e5989ed402d44e78b30fef17b5671d3adbf8685e4dc204499ecd1863' +
    'e1d5aff28a7cf66eadf31fec9236c120add13451522c647c9832a672cd64d328c1c322183f4661d09bda60b8dd5f0328' +
    'da5420821424afdabb1a80c5d12763a1b0238cd89d0742bfc50b6a2fcb701d824218f9826f4f78a23a2b5aa42ace7f17' +
    '5376fb6cbdb2bad293ba583d4d31c6b8f9029e46b13689249855f505756e00e225a6a45a18769bd8d2b3a4acb9f1c23d' +
    '3e51882561e50203010001028201000747d520ca9b2dfc0335cf94301140b8102fb838c92ea99917e354e25709602dc0' +
    'cdef231ff26ad2dfabbc391e723072a4ef52929f3f1cf0216e44c0093030f8ac29096faef28933bc9b924287014e2e93' +
    '5e2145be4752ccb82cb7646271936979cab73f521eeb27855ac2a410834ae5082eb62ef6f9899ee5cbb624a8d8c04ab7' +
    'edcf78fe135d0f808f63b5de6e071779bf1d9eaaf8d3ef965486f2c52625e6e57a651c7bbd0197c99c057b3860a3260c' +
    '864a11b3cf22ba44de3a3b3f3117e64ebf9a91f626ebb3f3c26d1b0bb80753468d4bf6a997b28335f20ed8c384d75583' +
    '60a9ae9755661fa3749846b174e6bf330e52d09941f6ccd7de5004779f9bb902818100fe3d238d376a3856d9592fd496' +
    '1c17a7fb0fa39d442e9df22e7eda115c648c5cb738df89ea92d8378558d0d9c1cf3d8bff740d3743a0140a6a7523e917' +
    '6c2953b2c11d7f44691cf8bec2b34fb59c649535983319488118c03118ae7445e70df466ce98671260f05d5068ce777d' +
    'a97e2ba84779490500ceb4ff7f62ceca9a147f02818100be814af26bf3c27115bc7595d0d12a1af7713feca877ae6e6d' +
    '858825eda3d192704774f42e1ae1b67f1739e8c45a0476388070fa545b7cc96b8a44003bc8d07fde73f5bcdd18268395' +
    'dcc2842b5023ff14b352382607b7179a5ea330840fc45045d86e0acc4feb135f0ab9b7ce6b8eb5f5a575f2a2a8de299c' +
    '0d3f506df4879b02818061bb4cf4572e0cf44ddefc0503a34ef0b31142fb0c9fc2f5bb2be656302732d1dd590e8d6cd0' +
    '002fefa1c1bf43c28fcd4668ed3fa64e5e05d700aaca4ac7b867455af924d83e73f5a7171f68efce6bd7f3df4b1d5802' +
    'd069e935acb263c0bb5b8d3db3d64379624cecc12d453fd82cf9495a18649a78c1fd500e3f04715ba3af0281806649db' +
    'e920a7a8ceb982108cd9ab857527498aae52a2b86918ab6b381a4a2cbbf94794f78b4de9c5e8a59af56d807c06d23dbc' +
    'ebdca1a6f62ba4f8f03b298f32294a9036d16c2739de1cc3e0ddb4d12f2479487b57882afa246c0e297daf4d94607c5e' +
    '51b3f4715f5c57d0f26d867901209db02010d0a541284640a9b9f0636302818039ec606f5c9f1f33d964606e128e9e90' +
    'cff932772c5715aa759816d504efe2c46206f3379aa61d31f88e726b50dd80b8ce8558a0d7408525f58c3399ce32e239' +
    'd70941f12d21e7761c043e0b02220d25ffd03571c7ae5bbd59c31f48120676f9d7c370a749d8491bdfcea01662a136c8' +
    '5d349b6c710fc6f6ebf8a7a79b62adc3',
  label: '',
  ciphertext:
    '504b4e0d94d800a9da92be8fa84fc345f7ab4921ec53c073c79592b347a692cce2450135e998e07bb75ed7ee44f047f7' +
    '5a07e37b9c912d3d529b62bef144952d5b202246ad32c5d34ec8559c4163e2145fa5fd4d56de28cbfe7e537d57323059' +
    '45c9370bbc6dcd72b3296fd54a2660365715f7d911099c96dfe6d114eec7b4425cb65701aa9e08d99c7ac20179656bb6' +
    '78554d74baca4501b5d0b366c97224bf0c8734e00ff2af8b916aef8b83142d5ec142493e0cc4c57326515a50a31ec2c6' +
    '703512034642e5789649773d2f8312561bf2f2f6000cebdbf7c7a95fbfd0f721c31ba392acea37568a24f176767f71b3' +
    '1f407573deef95c305e0e063db0e9168',
  message: '54657374',
};

/** Decrypts the published ciphertext through RSA_PKCS_OAEP (sha1 default). */
export function rsaOaepDecryptKat(v: RsaOaepVector = WYCHEPROOF_OAEP_2048_SHA1_TC3): SelfTest {
  return {
    name: 'RSA-OAEP 2048 SHA-1 decrypt KAT',
    async run() {
      const key = createPrivateKey({ key: hex(v.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
      const params = v.label === '' ? {} : { oaepLabel: hex(v.label) };
      expectHex(await rsaOaep.decrypt(key, hex(v.ciphertext), params), v.message, 'plaintext');
    },
  };
}
