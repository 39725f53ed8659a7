/*
 * The module's cryptographic functions against a real node, through dlopen as an application
 * loads it: each mechanism single- and multi-part, the output-buffer protocol of spec §5.2,
 * operation states, key errors, AES-GCM IVs. Run by test/pkcs11-module.test.ts: argv[1] is the
 * module; COFFER_PKCS11_CONF names the node; COFFER_P11_TEST_USER_PIN is the key owner's PIN;
 * COFFER_P11_KEY_* are the handles of keys the test made; COFFER_P11_NODE_* are a ciphertext
 * and a signature the node made. What the module produced is written to COFFER_P11_CRYPTO_OUT
 * (one "name hex…" line each) for the TS test to check independently (OpenSSL, the /v1 API).
 * COFFER_P11_SIGNAL is a path for the one handshake with the TS test: the program makes
 * <path>.ready and waits for <path>.done, which the TS test makes once it has changed a key
 * through the node's API (not the module).
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coffer-pkcs11.h"
#include "load-module.h"
#include "check.h"

static CK_FUNCTION_LIST_PTR p11;
static FILE *out_file;

static const char *need(const char *variable) {
  const char *value = getenv(variable);
  if (value == NULL) {
    fprintf(stderr, "%s is not set\n", variable);
    exit(2);
  }
  return value;
}

/* A key handle the TS test passed: the node's 0x… text. */
static CK_OBJECT_HANDLE key_of(const char *variable) { return (CK_OBJECT_HANDLE)strtoull(need(variable), NULL, 16); }

static size_t from_hex(const char *text, CK_BYTE *out, size_t capacity) {
  size_t length = strlen(text) / 2;
  if (length > capacity) exit(2);
  for (size_t i = 0; i < length; i++) {
    unsigned value;
    if (sscanf(text + 2 * i, "%2x", &value) != 1) exit(2);
    out[i] = (CK_BYTE)value;
  }
  return length;
}

/* One line for the TS test: a name, then each buffer in hex ("-" when empty). */
static void report(const char *name, int count, ...) {
  va_list buffers;
  va_start(buffers, count);
  fprintf(out_file, "%s", name);
  for (int i = 0; i < count; i++) {
    const CK_BYTE *bytes = va_arg(buffers, const CK_BYTE *);
    CK_ULONG length = va_arg(buffers, CK_ULONG);
    fputc(' ', out_file);
    for (CK_ULONG j = 0; j < length; j++) fprintf(out_file, "%02x", bytes[j]);
    if (length == 0) fputc('-', out_file);
  }
  fputc('\n', out_file);
  va_end(buffers);
}

static int all_zero(const CK_BYTE *bytes, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (bytes[i] != 0) return 0;
  return 1;
}

static CK_SESSION_HANDLE session;
static CK_OBJECT_HANDLE aes, aes_revoked, aes_once, cmac, hmac, rsa_private, rsa_public, rsa_imported, ec_private, ec_public,
    ed_private, ed_public;

static CK_OBJECT_HANDLE kek, target, rsa_kek_public, rsa_kek_private, ec_a, ec_a_public, ec_b, ec_b_public, kdf_base;

static CK_BYTE message[300];

/* ---- digests: in the module, no login needed ---- */

static void digests(CK_SESSION_HANDLE public_session) {
  static const struct {
    CK_MECHANISM_TYPE type;
    const char *abc; /* FIPS 180-4 example "abc" */
  } VECTORS[] = {
      {CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
      {CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {CKM_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
      {CKM_SHA512,
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
  };
  CK_BYTE expected[64], got[64];
  CK_ULONG length;
  for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
    CK_MECHANISM mechanism = {VECTORS[i].type, NULL, 0};
    size_t want = from_hex(VECTORS[i].abc, expected, sizeof expected);
    CHECK_RV(p11->C_DigestInit(public_session, &mechanism), CKR_OK);
    CHECK_RV(p11->C_Digest(public_session, (CK_BYTE_PTR) "abc", 3, NULL, &length), CKR_OK);
    CHECK(length == want);
    length = 1;
    CHECK_RV(p11->C_Digest(public_session, (CK_BYTE_PTR) "abc", 3, got, &length), CKR_BUFFER_TOO_SMALL);
    CHECK(length == want);
    length = sizeof got;
    CHECK_RV(p11->C_Digest(public_session, (CK_BYTE_PTR) "abc", 3, got, &length), CKR_OK);
    CHECK(length == want && memcmp(got, expected, want) == 0);
    /* the operation ended with the digest */
    CHECK_RV(p11->C_Digest(public_session, (CK_BYTE_PTR) "abc", 3, got, &length), CKR_OPERATION_NOT_INITIALIZED);
    CHECK_RV(p11->C_DigestInit(public_session, &mechanism), CKR_OK);
    CHECK_RV(p11->C_DigestUpdate(public_session, (CK_BYTE_PTR) "a", 1), CKR_OK);
    CHECK_RV(p11->C_DigestUpdate(public_session, NULL, 0), CKR_OK);
    CHECK_RV(p11->C_DigestUpdate(public_session, (CK_BYTE_PTR) "bc", 2), CKR_OK);
    CHECK_RV(p11->C_Digest(public_session, (CK_BYTE_PTR) "abc", 3, got, &length), CKR_OPERATION_ACTIVE);
    CHECK_RV(p11->C_DigestFinal(public_session, NULL, &length), CKR_OK);
    CHECK(length == want);
    length = sizeof got;
    CHECK_RV(p11->C_DigestFinal(public_session, got, &length), CKR_OK);
    CHECK(length == want && memcmp(got, expected, want) == 0);
  }
  CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0}, md5 = {CKM_MD5, NULL, 0}, with_param = {CKM_SHA256, message, 4};
  CHECK_RV(p11->C_DigestFinal(public_session, got, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_DigestInit(public_session, &md5), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_DigestInit(public_session, &with_param), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_DigestInit(public_session, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_DigestInit(public_session, &sha256), CKR_OK);
  CHECK_RV(p11->C_DigestInit(public_session, &sha256), CKR_OPERATION_ACTIVE);
  CHECK_RV(p11->C_DigestInit(public_session, NULL), CKR_OK); /* ends it (v3.0) */
  CHECK_RV(p11->C_DigestUpdate(public_session, message, 3), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_DigestInit(9999, &sha256), CKR_SESSION_HANDLE_INVALID);
  /* Keys need a login (the application's, for all its sessions). */
  CK_BYTE iv[16] = {0}, out[32];
  CK_MECHANISM cbc = {CKM_AES_CBC, iv, sizeof iv}, ecdsa = {CKM_ECDSA, NULL, 0};
  CHECK_RV(p11->C_EncryptInit(public_session, &cbc, aes), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_SignInit(public_session, &ecdsa, ec_private), CKR_USER_NOT_LOGGED_IN);
  length = sizeof out;
  CHECK_RV(p11->C_Encrypt(public_session, message, 16, out, &length), CKR_OPERATION_NOT_INITIALIZED);
}

static void digest_key(void) {
  CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
  CK_ULONG length = 32;
  CK_BYTE got[32];
  CHECK_RV(p11->C_DigestKey(session, aes), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_DigestInit(session, &sha256), CKR_OK);
  CHECK_RV(p11->C_DigestKey(session, aes), CKR_KEY_INDIGESTIBLE);
  CHECK_RV(p11->C_DigestFinal(session, got, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_DigestInit(session, &sha256), CKR_OK);
  CHECK_RV(p11->C_DigestKey(session, 0x1234), CKR_KEY_HANDLE_INVALID);
}

/* ---- ciphers ---- */

/* Encrypts `length` bytes of `message` single-part and decrypts them again with `decrypt`. */
static void round_trip(const char *name, CK_MECHANISM *encrypt, CK_MECHANISM *decrypt, CK_OBJECT_HANDLE encrypt_key,
                       CK_OBJECT_HANDLE decrypt_key, CK_ULONG length, CK_BYTE *ciphertext, CK_ULONG *ciphertext_length) {
  CK_BYTE plain[sizeof message + 32];
  CK_ULONG plain_length = sizeof plain, queried = 0;
  printf("# %s, %lu bytes\n", name, length);
  CHECK_RV(p11->C_EncryptInit(session, encrypt, encrypt_key), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, length, NULL, &queried), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, length, ciphertext, ciphertext_length), CKR_OK);
  CHECK(*ciphertext_length == queried);
  CHECK_RV(p11->C_DecryptInit(session, decrypt, decrypt_key), CKR_OK);
  CHECK_RV(p11->C_Decrypt(session, ciphertext, *ciphertext_length, plain, &plain_length), CKR_OK);
  CHECK(plain_length == length && memcmp(plain, message, length) == 0);
}

/* Multi-part: encrypts in parts of `step` bytes, decrypts in parts again, compares. */
static void parts(const char *name, CK_MECHANISM *encrypt, CK_MECHANISM *decrypt, CK_OBJECT_HANDLE key,
                  CK_ULONG length, CK_ULONG step, CK_BYTE *ciphertext, CK_ULONG *ciphertext_length) {
  CK_BYTE plain[sizeof message + 32];
  CK_ULONG total = 0, piece;
  printf("# %s multi-part, %lu bytes in parts of %lu\n", name, length, step);
  CHECK_RV(p11->C_EncryptInit(session, encrypt, key), CKR_OK);
  for (CK_ULONG at = 0; at < length; at += step) {
    CK_ULONG part = length - at < step ? length - at : step;
    piece = sizeof message + 32 - total;
    CHECK_RV(p11->C_EncryptUpdate(session, message + at, part, ciphertext + total, &piece), CKR_OK);
    total += piece;
  }
  piece = sizeof message + 32 - total;
  CHECK_RV(p11->C_EncryptFinal(session, ciphertext + total, &piece), CKR_OK);
  total += piece;
  *ciphertext_length = total;
  CHECK_RV(p11->C_DecryptInit(session, decrypt, key), CKR_OK);
  CK_ULONG got = 0;
  for (CK_ULONG at = 0; at < total; at += step) {
    CK_ULONG part = total - at < step ? total - at : step;
    piece = sizeof plain - got;
    CHECK_RV(p11->C_DecryptUpdate(session, ciphertext + at, part, plain + got, &piece), CKR_OK);
    got += piece;
  }
  piece = sizeof plain - got;
  CHECK_RV(p11->C_DecryptFinal(session, plain + got, &piece), CKR_OK);
  got += piece;
  CHECK(got == length && memcmp(plain, message, length) == 0);
}

static void aes_gcm(void) {
  CK_BYTE iv[12] = {0}, aad[] = "header", ciphertext[sizeof message + 32];
  CK_ULONG ciphertext_length = sizeof ciphertext;
  CK_GCM_PARAMS gcm = {iv, sizeof iv, 96, aad, 6, 128};
  CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof gcm};
  /* A zero IV leaves it to the node, which writes its IV back into pIv at C_Encrypt. */
  round_trip("AES_GCM", &mechanism, &mechanism, aes, aes, 100, ciphertext, &ciphertext_length);
  CHECK(!all_zero(iv, sizeof iv));
  CHECK(ciphertext_length == 100 + 16);
  report("gcm", 4, iv, (CK_ULONG)sizeof iv, aad, (CK_ULONG)6, ciphertext, ciphertext_length, message, (CK_ULONG)100);

  /* The IV now in pIv is the caller's: the node refuses a caller IV on encrypt. The node
     decides at the call that encrypts (C_EncryptInit asks it nothing), so the refusal comes at
     C_Encrypt, and ends the operation. */
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 10, ciphertext, &ciphertext_length), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_Encrypt(session, message, 10, ciphertext, &ciphertext_length), CKR_OPERATION_NOT_INITIALIZED);
  /* An IV length the node does not take. */
  CK_BYTE long_iv[16] = {0};
  CK_GCM_PARAMS long_gcm = {long_iv, sizeof long_iv, 128, NULL, 0, 128};
  CK_MECHANISM long_mechanism = {CKM_AES_GCM, &long_gcm, sizeof long_gcm};
  CHECK_RV(p11->C_EncryptInit(session, &long_mechanism, aes), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM no_params = {CKM_AES_GCM, NULL, 0};
  CHECK_RV(p11->C_EncryptInit(session, &no_params, aes), CKR_MECHANISM_PARAM_INVALID);

  /* Multi-part, a fresh zero IV; decrypt gets its output at final (the tag is checked first). */
  memset(iv, 0, sizeof iv);
  parts("AES_GCM", &mechanism, &mechanism, aes, 250, 64, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 250 + 16 && !all_zero(iv, sizeof iv));

  /* A tampered tag: CKR_ENCRYPTED_DATA_INVALID, and the operation is over. */
  CK_BYTE plain[sizeof message + 32];
  CK_ULONG plain_length = sizeof plain;
  ciphertext[ciphertext_length - 1] ^= 1;
  CHECK_RV(p11->C_DecryptInit(session, &mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_Decrypt(session, ciphertext, ciphertext_length, plain, &plain_length), CKR_ENCRYPTED_DATA_INVALID);
  CHECK_RV(p11->C_Decrypt(session, ciphertext, ciphertext_length, plain, &plain_length), CKR_OPERATION_NOT_INITIALIZED);

  /* A GCM ciphertext the node made through /v1: the module decrypts it. */
  CK_BYTE node_iv[12], node_ciphertext[128];
  from_hex(need("COFFER_P11_NODE_GCM_IV"), node_iv, sizeof node_iv);
  CK_ULONG node_length = (CK_ULONG)from_hex(need("COFFER_P11_NODE_GCM_CIPHERTEXT"), node_ciphertext, sizeof node_ciphertext);
  CK_GCM_PARAMS node_gcm = {node_iv, 12, 96, NULL, 0, 128};
  CK_MECHANISM node_mechanism = {CKM_AES_GCM, &node_gcm, sizeof node_gcm};
  plain_length = sizeof plain;
  CHECK_RV(p11->C_DecryptInit(session, &node_mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_Decrypt(session, node_ciphertext, node_length, plain, &plain_length), CKR_OK);
  CHECK(plain_length == 18 && memcmp(plain, "made by the node's", 18) == 0);
}

static void aes_cbc_ctr(void) {
  CK_BYTE iv[16], ciphertext[sizeof message + 32];
  CK_ULONG ciphertext_length = sizeof ciphertext;
  CHECK_RV(p11->C_GenerateRandom(session, iv, sizeof iv), CKR_OK);
  CK_MECHANISM pad = {CKM_AES_CBC_PAD, iv, sizeof iv}, plain = {CKM_AES_CBC, iv, sizeof iv};
  round_trip("AES_CBC_PAD", &pad, &pad, aes, aes, 37, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 48);
  report("cbc-pad", 3, iv, (CK_ULONG)sizeof iv, ciphertext, ciphertext_length, message, (CK_ULONG)37);
  parts("AES_CBC_PAD", &pad, &pad, aes, 100, 7, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 112);
  ciphertext_length = sizeof ciphertext;
  round_trip("AES_CBC", &plain, &plain, aes, aes, 64, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 64);
  parts("AES_CBC", &plain, &plain, aes, 96, 20, ciphertext, &ciphertext_length);
  /* AES_CBC takes whole blocks: the node says so at the end. */
  CHECK_RV(p11->C_EncryptInit(session, &plain, aes), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 10, ciphertext, &ciphertext_length), CKR_DATA_LEN_RANGE);
  CK_MECHANISM short_iv = {CKM_AES_CBC, iv, 8};
  CHECK_RV(p11->C_EncryptInit(session, &short_iv, aes), CKR_MECHANISM_PARAM_INVALID);

  /* AES_CTR: a zero counter block is left to the node, which writes its own back. */
  CK_AES_CTR_PARAMS ctr = {128, {0}};
  CK_MECHANISM counter = {CKM_AES_CTR, &ctr, sizeof ctr};
  ciphertext_length = sizeof ciphertext;
  round_trip("AES_CTR", &counter, &counter, aes, aes, 77, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 77 && !all_zero(ctr.cb, sizeof ctr.cb));
  memset(ctr.cb, 0, sizeof ctr.cb);
  parts("AES_CTR", &counter, &counter, aes, 77, 30, ciphertext, &ciphertext_length);
  CHECK(ciphertext_length == 77);
}

/* §5.2 with a key used for nothing else: the node is asked once, the key counted once. */
static void buffer_protocol(void) {
  CK_BYTE iv[12] = {0}, ciphertext[64], plain[64];
  CK_GCM_PARAMS gcm = {iv, sizeof iv, 96, NULL, 0, 128};
  CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof gcm};
  CK_ULONG length = 0;
  /* A call that fails ends the operation. It never reached the node, so pIv is still zero
     (the node's IV is written by the call that encrypts): a new operation may leave it to the
     node again. */
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 20, NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK(all_zero(iv, sizeof iv));
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_EncryptInit(session, NULL, 0), CKR_OK);
  CHECK(all_zero(iv, sizeof iv));
  printf("# buffer protocol: NULL, short, then enough\n");
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes_once), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 20, NULL, &length), CKR_OK);
  CHECK(length == 36);
  CHECK(!all_zero(iv, sizeof iv)); /* the length query ran the encryption: the IV is there */
  length = 10;
  CHECK_RV(p11->C_Encrypt(session, message, 20, ciphertext, &length), CKR_BUFFER_TOO_SMALL);
  CHECK(length == 36);
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes_once), CKR_OPERATION_ACTIVE);
  length = sizeof ciphertext;
  CHECK_RV(p11->C_Encrypt(session, message, 20, ciphertext, &length), CKR_OK);
  CHECK(length == 36);
  CHECK_RV(p11->C_Encrypt(session, message, 20, ciphertext, &length), CKR_OPERATION_NOT_INITIALIZED);
  report("once", 3, iv, (CK_ULONG)sizeof iv, ciphertext, length, message, (CK_ULONG)20);

  /* The repeated call must bring the same input. */
  memset(iv, 0, sizeof iv);
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 20, NULL, &length), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message + 1, 20, ciphertext, &length), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_Encrypt(session, message, 20, ciphertext, &length), CKR_OPERATION_NOT_INITIALIZED);

  /* Update and final: a length query keeps the output for the repeated call. */
  memset(iv, 0, sizeof iv);
  CK_BYTE iv_copy[12];
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, aes), CKR_OK);
  CK_ULONG first = 0, last = 0;
  CHECK_RV(p11->C_EncryptUpdate(session, message, 40, NULL, &first), CKR_OK);
  /* The first update began the node's operation, which made the IV. */
  CHECK(!all_zero(iv, sizeof iv));
  memcpy(iv_copy, iv, sizeof iv);
  CK_ULONG room = first;
  CHECK_RV(p11->C_EncryptUpdate(session, message, 40, ciphertext, &room), CKR_OK);
  CHECK(room == first && first <= 40); /* output as the node releases it */
  CHECK_RV(p11->C_EncryptFinal(session, NULL, &last), CKR_OK);
  room = 0;
  CHECK_RV(p11->C_EncryptFinal(session, ciphertext + first, &room), CKR_BUFFER_TOO_SMALL);
  CHECK(room == last && first + last == 40 + 16);
  room = last;
  CHECK_RV(p11->C_EncryptFinal(session, ciphertext + first, &room), CKR_OK);
  CHECK_RV(p11->C_EncryptFinal(session, ciphertext + first, &room), CKR_OPERATION_NOT_INITIALIZED);
  CK_GCM_PARAMS again = {iv_copy, sizeof iv_copy, 96, NULL, 0, 128};
  CK_MECHANISM decrypt = {CKM_AES_GCM, &again, sizeof again};
  length = sizeof plain;
  CHECK_RV(p11->C_DecryptInit(session, &decrypt, aes), CKR_OK);
  CHECK_RV(p11->C_Decrypt(session, ciphertext, first + last, plain, &length), CKR_OK);
  CHECK(length == 40 && memcmp(plain, message, 40) == 0);
}

static void states_and_keys(void) {
  CK_BYTE iv[16] = {1}, out[600];
  CK_ULONG length = sizeof out;
  CK_MECHANISM cbc = {CKM_AES_CBC_PAD, iv, sizeof iv};
  CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0}, oaep_none = {CKM_RSA_PKCS_OAEP, NULL, 0};
  CHECK_RV(p11->C_Encrypt(session, message, 16, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_EncryptUpdate(session, message, 16, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_EncryptFinal(session, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_DecryptFinal(session, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_SignUpdate(session, message, 16), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_VerifyFinal(session, out, 16), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_EncryptInit(session, NULL, aes), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_EncryptInit(session, &cbc, CK_INVALID_HANDLE), CKR_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_EncryptInit(session, &cbc, 0x0123456789abcdefUL), CKR_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_SignInit(session, &ecdsa, 0x0123456789abcdefUL), CKR_KEY_HANDLE_INVALID);
  /* The wrong key type, from the key's view (key-views.c) at C_*Init; the node's gate decides
     again at the call. */
  CHECK_RV(p11->C_EncryptInit(session, &cbc, rsa_public), CKR_KEY_TYPE_INCONSISTENT);
  CHECK_RV(p11->C_SignInit(session, &ecdsa, aes), CKR_KEY_TYPE_INCONSISTENT);
  CHECK_RV(p11->C_SignInit(session, &ecdsa, ec_public), CKR_KEY_TYPE_INCONSISTENT);
  /* A key that does not allow the use. */
  CHECK_RV(p11->C_EncryptInit(session, &cbc, cmac), CKR_KEY_FUNCTION_NOT_PERMITTED);
  CK_MECHANISM hmac_mechanism = {CKM_SHA256_HMAC, NULL, 0};
  CHECK_RV(p11->C_SignInit(session, &hmac_mechanism, aes), CKR_KEY_TYPE_INCONSISTENT);
  CK_MECHANISM cmac_mechanism = {CKM_AES_CMAC, NULL, 0};
  CHECK_RV(p11->C_SignInit(session, &cmac_mechanism, aes), CKR_KEY_FUNCTION_NOT_PERMITTED);
  CK_MECHANISM eddsa = {CKM_EDDSA, NULL, 0};
  CHECK_RV(p11->C_SignInit(session, &eddsa, ed_public), CKR_KEY_TYPE_INCONSISTENT);
  /* Mechanisms that are not for the use, or not Coffer's, or malformed parameters. */
  CK_MECHANISM md5 = {CKM_MD5_RSA_PKCS, NULL, 0}, wrap = {CKM_AES_KEY_WRAP, NULL, 0};
  CHECK_RV(p11->C_SignInit(session, &md5, rsa_private), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_EncryptInit(session, &wrap, aes), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_EncryptInit(session, &oaep_none, rsa_public), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_SignInit(session, &ecdsa, ec_private), CKR_OK);
  CHECK_RV(p11->C_SignInit(session, &ecdsa, ec_private), CKR_OPERATION_ACTIVE);
  /* CKM_ECDSA is single-part only. */
  CHECK_RV(p11->C_SignUpdate(session, message, 32), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_Sign(session, message, 32, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  /* C_Encrypt after C_EncryptUpdate is refused; the operation goes on. */
  CHECK_RV(p11->C_EncryptInit(session, &cbc, aes), CKR_OK);
  length = sizeof out;
  CHECK_RV(p11->C_EncryptUpdate(session, message, 20, out, &length), CKR_OK);
  CHECK(length == 16);
  CHECK_RV(p11->C_Encrypt(session, message, 20, out, &length), CKR_OPERATION_ACTIVE);
  length = sizeof out;
  CHECK_RV(p11->C_EncryptFinal(session, out, &length), CKR_OK);
  CHECK(length == 16);
  /* C_EncryptInit with a NULL mechanism ends an operation (and its node operation). */
  CHECK_RV(p11->C_EncryptInit(session, &cbc, aes), CKR_OK);
  CHECK_RV(p11->C_EncryptInit(session, NULL, 0), CKR_OK);
  CHECK_RV(p11->C_EncryptFinal(session, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  /* Active operations left for C_CloseSession to end, on the node too. */
  CK_SESSION_HANDLE extra;
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &extra), CKR_OK);
  CHECK_RV(p11->C_EncryptInit(extra, &cbc, aes), CKR_OK);
  CHECK_RV(p11->C_SignInit(extra, &hmac_mechanism, hmac), CKR_OK);
  CHECK_RV(p11->C_CloseSession(extra), CKR_OK);
}

/* Makes <COFFER_P11_SIGNAL>.ready, then waits (60 s at most) for the TS test's <…>.done. */
static int handshake(void) {
  char path[4096];
  const char *signal = need("COFFER_P11_SIGNAL");
  snprintf(path, sizeof path, "%s.ready", signal);
  FILE *ready = fopen(path, "w");
  if (ready == NULL) return 0;
  fclose(ready);
  snprintf(path, sizeof path, "%s.done", signal);
  struct timespec pause = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 6000; i++) {
    if (access(path, F_OK) == 0) return 1;
    nanosleep(&pause, NULL);
  }
  return 0;
}

/* A key whose CKA_ENCRYPT the node's API clears after C_EncryptInit: the node refuses it at
   C_Encrypt whatever the module's key view says (the view only answers early errors). */
static void disabled_after_init(void) {
  CK_BYTE iv[16] = {4}, out[64];
  CK_ULONG length = sizeof out;
  CK_MECHANISM cbc = {CKM_AES_CBC_PAD, iv, sizeof iv};
  CK_SESSION_HANDLE second;
  printf("# a key disabled through the node's API after C_EncryptInit\n");
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &second), CKR_OK);
  CHECK_RV(p11->C_EncryptInit(session, &cbc, aes_revoked), CKR_OK);
  CHECK(handshake());
  /* Within the view's time to live this C_EncryptInit answers from the stale view (CKR_OK);
     later it fetches the view again and refuses. Either way the node decides at C_Encrypt. */
  CK_RV stale = p11->C_EncryptInit(second, &cbc, aes_revoked);
  printf("# C_EncryptInit after the change: 0x%lx\n", stale);
  CHECK(stale == CKR_OK || stale == CKR_KEY_FUNCTION_NOT_PERMITTED);
  CHECK_RV(p11->C_Encrypt(session, message, 16, out, &length), CKR_KEY_FUNCTION_NOT_PERMITTED);
  CHECK_RV(p11->C_Encrypt(session, message, 16, out, &length), CKR_OPERATION_NOT_INITIALIZED);
  length = sizeof out;
  if (stale == CKR_OK) CHECK_RV(p11->C_Encrypt(second, message, 16, out, &length), CKR_KEY_FUNCTION_NOT_PERMITTED);
  /* The node's refusal dropped the view: C_EncryptInit fetches it again and refuses early. */
  CHECK_RV(p11->C_EncryptInit(session, &cbc, aes_revoked), CKR_KEY_FUNCTION_NOT_PERMITTED);
  CHECK_RV(p11->C_DecryptInit(session, &cbc, aes_revoked), CKR_OK); /* decrypt is still allowed */
  CHECK_RV(p11->C_DecryptInit(session, NULL, 0), CKR_OK);
  CHECK_RV(p11->C_CloseSession(second), CKR_OK);
}

/* ---- signatures ---- */

static void sign_verify(const char *name, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE sign_key,
                        CK_OBJECT_HANDLE verify_key, CK_ULONG data_length, CK_ULONG expected_length, int multi) {
  CK_BYTE signature[600], second[600];
  CK_ULONG length = 0, second_length = sizeof second;
  printf("# %s\n", name);
  CHECK_RV(p11->C_SignInit(session, mechanism, sign_key), CKR_OK);
  CHECK_RV(p11->C_Sign(session, message, data_length, NULL, &length), CKR_OK);
  CHECK(expected_length == 0 || length == expected_length);
  CK_ULONG queried = length;
  length = 3;
  CHECK_RV(p11->C_Sign(session, message, data_length, signature, &length), CKR_BUFFER_TOO_SMALL);
  length = sizeof signature;
  CHECK_RV(p11->C_Sign(session, message, data_length, signature, &length), CKR_OK);
  CHECK(length == queried);
  report(name, 2, message, data_length, signature, length);
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_Verify(session, message, data_length, signature, length), CKR_OK);
  CHECK_RV(p11->C_Verify(session, message, data_length, signature, length), CKR_OPERATION_NOT_INITIALIZED);
  signature[length / 2] ^= 0x40;
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_Verify(session, message, data_length, signature, length), CKR_SIGNATURE_INVALID);
  signature[length / 2] ^= 0x40;
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_Verify(session, message, data_length, signature, length - 1), CKR_SIGNATURE_LEN_RANGE);
  if (!multi) return;
  CHECK_RV(p11->C_SignInit(session, mechanism, sign_key), CKR_OK);
  CHECK_RV(p11->C_SignUpdate(session, message, data_length / 3), CKR_OK);
  CHECK_RV(p11->C_SignUpdate(session, message + data_length / 3, data_length - data_length / 3), CKR_OK);
  CHECK_RV(p11->C_Sign(session, message, data_length, second, &second_length), CKR_OPERATION_ACTIVE);
  CHECK_RV(p11->C_SignFinal(session, NULL, &second_length), CKR_OK);
  CHECK(second_length == length);
  CHECK_RV(p11->C_SignFinal(session, second, &second_length), CKR_OK);
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_VerifyUpdate(session, message, 10), CKR_OK);
  CHECK_RV(p11->C_VerifyUpdate(session, message + 10, data_length - 10), CKR_OK);
  CHECK_RV(p11->C_VerifyFinal(session, second, second_length), CKR_OK);
  /* the single-part signature verifies multi-part too; a bad one does not */
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_VerifyUpdate(session, message, data_length), CKR_OK);
  CHECK_RV(p11->C_VerifyFinal(session, signature, length), CKR_OK);
  signature[0] ^= 1;
  CHECK_RV(p11->C_VerifyInit(session, mechanism, verify_key), CKR_OK);
  CHECK_RV(p11->C_VerifyUpdate(session, message, data_length), CKR_OK);
  CHECK_RV(p11->C_VerifyFinal(session, signature, length), CKR_SIGNATURE_INVALID);
  CHECK_RV(p11->C_VerifyFinal(session, signature, length), CKR_OPERATION_NOT_INITIALIZED);
}

static void signatures(void) {
  CK_MECHANISM rsa_pkcs = {CKM_SHA256_RSA_PKCS, NULL, 0};
  sign_verify("sha256-rsa-pkcs", &rsa_pkcs, rsa_private, rsa_public, 200, 256, 1);
  CK_MECHANISM rsa_sha1 = {CKM_SHA1_RSA_PKCS, NULL, 0};
  sign_verify("sha1-rsa-pkcs", &rsa_sha1, rsa_private, rsa_public, 50, 256, 0);
  /* Raw PKCS#1 v1.5 over the caller's bytes (a DigestInfo, as OpenSSL's engine sends). */
  CK_MECHANISM rsa_raw = {CKM_RSA_PKCS, NULL, 0};
  sign_verify("rsa-pkcs", &rsa_raw, rsa_private, rsa_public, 51, 256, 0);
  CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM rsa_pss = {CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss};
  sign_verify("sha256-rsa-pss", &rsa_pss, rsa_private, rsa_public, 150, 256, 1);
  CK_RSA_PKCS_PSS_PARAMS pss384 = {CKM_SHA384, CKG_MGF1_SHA384, 20};
  CK_MECHANISM rsa_pss384 = {CKM_SHA384_RSA_PKCS_PSS, &pss384, sizeof pss384};
  sign_verify("sha384-rsa-pss", &rsa_pss384, rsa_private, rsa_public, 50, 256, 0);
  CK_RSA_PKCS_PSS_PARAMS pss_wrong = {CKM_SHA_1, CKG_MGF1_SHA1, 20};
  CK_MECHANISM rsa_pss_wrong = {CKM_SHA256_RSA_PKCS_PSS, &pss_wrong, sizeof pss_wrong};
  CHECK_RV(p11->C_SignInit(session, &rsa_pss_wrong, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM rsa_pss_none = {CKM_SHA256_RSA_PKCS_PSS, NULL, 0};
  CHECK_RV(p11->C_SignInit(session, &rsa_pss_none, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_PSS_PARAMS pss_salt = {CKM_SHA256, CKG_MGF1_SHA256, 4000};
  CK_MECHANISM rsa_pss_salt = {CKM_SHA256_RSA_PKCS_PSS, &pss_salt, sizeof pss_salt};
  /* The node judges the salt length when it signs (a hash-and-sign mechanism gathers the data first). */
  CK_BYTE signature[256];
  CK_ULONG signature_length = sizeof signature;
  CHECK_RV(p11->C_SignInit(session, &rsa_pss_salt, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, message, 20, signature, &signature_length), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_Sign(session, message, 20, signature, &signature_length), CKR_OPERATION_NOT_INITIALIZED);

  CK_MECHANISM ecdsa_sha256 = {CKM_ECDSA_SHA256, NULL, 0};
  sign_verify("ecdsa-sha256", &ecdsa_sha256, ec_private, ec_public, 120, 64, 1);
  CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
  sign_verify("ecdsa", &ecdsa, ec_private, ec_public, 32, 64, 0);
  CK_MECHANISM eddsa = {CKM_EDDSA, NULL, 0};
  sign_verify("eddsa", &eddsa, ed_private, ed_public, 90, 64, 0);
  CK_MECHANISM hmac256 = {CKM_SHA256_HMAC, NULL, 0}, hmac512 = {CKM_SHA512_HMAC, NULL, 0};
  sign_verify("sha256-hmac", &hmac256, hmac, hmac, 100, 32, 1);
  sign_verify("sha512-hmac", &hmac512, hmac, hmac, 10, 64, 0);
  CK_MECHANISM aes_cmac = {CKM_AES_CMAC, NULL, 0};
  sign_verify("aes-cmac", &aes_cmac, cmac, cmac, 70, 16, 1);

  /* A signature the node made through /v1 (ECDSA_SHA256, r‖s) verifies in the module. */
  CK_BYTE node_signature[64];
  CK_ULONG node_length = (CK_ULONG)from_hex(need("COFFER_P11_NODE_ECDSA_SIGNATURE"), node_signature, sizeof node_signature);
  CHECK_RV(p11->C_VerifyInit(session, &ecdsa_sha256, ec_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, (CK_BYTE_PTR) "signed by the node", 18, node_signature, node_length), CKR_OK);
}

/*
 * CKM_RSA_PKCS_PSS over a digest, as libp11 signs a TLS 1.3 handshake: the application hashes
 * (here C_Digest), then signs the digest with CK_RSA_PKCS_PSS_PARAMS. The TS test verifies the
 * signature over the message with OpenSSL.
 */
static void rsa_pss_over_digest(void) {
  CK_MECHANISM_INFO info;
  printf("# rsa-pkcs-pss\n");
  CHECK_RV(p11->C_GetMechanismInfo(0, CKM_RSA_PKCS_PSS, &info), CKR_OK);
  CHECK((info.flags & (CKF_SIGN | CKF_VERIFY)) == (CKF_SIGN | CKF_VERIFY));
  CHECK((info.flags & (CKF_ENCRYPT | CKF_DECRYPT)) == 0 && info.ulMinKeySize == 2048 && info.ulMaxKeySize == 4096);
  CK_BYTE digest[64], signature[256];
  CK_ULONG digest_length = sizeof digest, length = 0;
  CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
  CHECK_RV(p11->C_DigestInit(session, &sha256), CKR_OK);
  CHECK_RV(p11->C_Digest(session, message, 150, digest, &digest_length), CKR_OK);
  CHECK(digest_length == 32);
  CK_RSA_PKCS_PSS_PARAMS params = {CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM pss = {CKM_RSA_PKCS_PSS, &params, sizeof params};
  CHECK_RV(p11->C_SignInit(session, &pss, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, digest, digest_length, NULL, &length), CKR_OK);
  CHECK(length == 256);
  CHECK_RV(p11->C_Sign(session, digest, digest_length, signature, &length), CKR_OK);
  CHECK(length == 256);
  report("rsa-pkcs-pss", 2, message, (CK_ULONG)150, signature, length);
  CHECK_RV(p11->C_VerifyInit(session, &pss, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest, digest_length, signature, length), CKR_OK);
  /* Verification takes the salt length given: another one refuses the signature. */
  CK_RSA_PKCS_PSS_PARAMS other_salt = {CKM_SHA256, CKG_MGF1_SHA256, 20};
  CK_MECHANISM pss_other_salt = {CKM_RSA_PKCS_PSS, &other_salt, sizeof other_salt};
  CHECK_RV(p11->C_VerifyInit(session, &pss_other_salt, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest, digest_length, signature, length), CKR_SIGNATURE_INVALID);
  signature[100] ^= 0x02;
  CHECK_RV(p11->C_VerifyInit(session, &pss, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest, digest_length, signature, length), CKR_SIGNATURE_INVALID);
  signature[100] ^= 0x02;
  CHECK_RV(p11->C_VerifyInit(session, &pss, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest, digest_length, signature, length - 1), CKR_SIGNATURE_LEN_RANGE);

  /* SHA-384 with MGF1 over SHA-1, salt 0: the two hashes may differ. */
  CK_BYTE digest384[48];
  CK_ULONG digest384_length = sizeof digest384;
  CK_MECHANISM sha384 = {CKM_SHA384, NULL, 0};
  CHECK_RV(p11->C_DigestInit(session, &sha384), CKR_OK);
  CHECK_RV(p11->C_Digest(session, message, 90, digest384, &digest384_length), CKR_OK);
  CK_RSA_PKCS_PSS_PARAMS mixed = {CKM_SHA384, CKG_MGF1_SHA1, 0};
  CK_MECHANISM pss_mixed = {CKM_RSA_PKCS_PSS, &mixed, sizeof mixed};
  length = sizeof signature;
  CHECK_RV(p11->C_SignInit(session, &pss_mixed, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, digest384, digest384_length, signature, &length), CKR_OK);
  report("rsa-pkcs-pss-sha384-mgf1-sha1", 2, message, (CK_ULONG)90, signature, length);
  CHECK_RV(p11->C_VerifyInit(session, &pss_mixed, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest384, digest384_length, signature, length), CKR_OK);
  CK_RSA_PKCS_PSS_PARAMS same_mgf = {CKM_SHA384, CKG_MGF1_SHA384, 0};
  CK_MECHANISM pss_same_mgf = {CKM_RSA_PKCS_PSS, &same_mgf, sizeof same_mgf};
  CHECK_RV(p11->C_VerifyInit(session, &pss_same_mgf, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Verify(session, digest384, digest384_length, signature, length), CKR_SIGNATURE_INVALID);

  /* Malformed parameters at C_SignInit; values only the node can judge at C_Sign. */
  CK_RSA_PKCS_PSS_PARAMS md5 = {CKM_MD5, CKG_MGF1_SHA256, 32}, bad_mgf = {CKM_SHA256, 0x77, 32};
  CK_MECHANISM pss_md5 = {CKM_RSA_PKCS_PSS, &md5, sizeof md5}, pss_bad_mgf = {CKM_RSA_PKCS_PSS, &bad_mgf, sizeof bad_mgf};
  CK_MECHANISM pss_none = {CKM_RSA_PKCS_PSS, NULL, 0}, pss_short = {CKM_RSA_PKCS_PSS, &params, sizeof params - 1};
  CHECK_RV(p11->C_SignInit(session, &pss_md5, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_SignInit(session, &pss_bad_mgf, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_SignInit(session, &pss_none, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_SignInit(session, &pss_short, rsa_private), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_VerifyInit(session, &pss_md5, rsa_public), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_SignInit(session, &pss, ec_private), CKR_KEY_TYPE_INCONSISTENT);
  CHECK_RV(p11->C_SignInit(session, &pss, rsa_public), CKR_KEY_TYPE_INCONSISTENT);
  CK_RSA_PKCS_PSS_PARAMS big_salt = {CKM_SHA256, CKG_MGF1_SHA256, 223};
  CK_MECHANISM pss_big_salt = {CKM_RSA_PKCS_PSS, &big_salt, sizeof big_salt};
  length = sizeof signature;
  CHECK_RV(p11->C_SignInit(session, &pss_big_salt, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, digest, digest_length, signature, &length), CKR_MECHANISM_PARAM_INVALID);
  /* The digest must be hashAlg's length. */
  CHECK_RV(p11->C_SignInit(session, &pss, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, digest, 31, signature, &length), CKR_DATA_LEN_RANGE);
  CHECK_RV(p11->C_SignInit(session, &pss, rsa_private), CKR_OK);
  CHECK_RV(p11->C_Sign(session, digest384, 48, signature, &length), CKR_DATA_LEN_RANGE);
  /* Single-part only: the input is a digest already. */
  CHECK_RV(p11->C_SignInit(session, &pss, rsa_private), CKR_OK);
  CHECK_RV(p11->C_SignUpdate(session, digest, 16), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_Sign(session, digest, digest_length, signature, &length), CKR_OPERATION_NOT_INITIALIZED);
}

static void rsa_encryption(void) {
  CK_BYTE ciphertext[256], plain[256];
  CK_ULONG length = sizeof ciphertext, plain_length = sizeof plain;
  CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, (CK_BYTE_PTR) "label", 5};
  CK_MECHANISM mechanism = {CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep};
  round_trip("RSA_PKCS_OAEP", &mechanism, &mechanism, rsa_public, rsa_private, 100, ciphertext, &length);
  CHECK(length == 256);
  report("oaep", 2, ciphertext, length, message, (CK_ULONG)100);
  /* With a public key from outside: the TS test decrypts with its private half. */
  length = sizeof ciphertext;
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, rsa_imported), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 60, ciphertext, &length), CKR_OK);
  report("oaep-imported", 2, ciphertext, length, message, (CK_ULONG)60);
  /* Too long for OAEP with SHA-256 and a 2048-bit key (at most 190 bytes). */
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 191, ciphertext, &length), CKR_DATA_LEN_RANGE);
  /* Single-part only. */
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, rsa_public), CKR_OK);
  CHECK_RV(p11->C_EncryptUpdate(session, message, 10, ciphertext, &length), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_EncryptFinal(session, ciphertext, &length), CKR_OPERATION_NOT_INITIALIZED);
  /* The decrypting half cannot encrypt (its class), nor the public one decrypt. */
  CHECK_RV(p11->C_EncryptInit(session, &mechanism, rsa_private), CKR_KEY_TYPE_INCONSISTENT);
  CHECK_RV(p11->C_DecryptInit(session, &mechanism, rsa_public), CKR_KEY_TYPE_INCONSISTENT);
  CK_RSA_PKCS_OAEP_PARAMS mixed = {CKM_SHA256, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
  CK_MECHANISM mixed_mechanism = {CKM_RSA_PKCS_OAEP, &mixed, sizeof mixed};
  CHECK_RV(p11->C_EncryptInit(session, &mixed_mechanism, rsa_public), CKR_MECHANISM_PARAM_INVALID);
  /* CKM_RSA_PKCS encryption; the node refuses PKCS#1 v1.5 decryption (Marvin). */
  CK_MECHANISM pkcs = {CKM_RSA_PKCS, NULL, 0};
  length = sizeof ciphertext;
  CHECK_RV(p11->C_EncryptInit(session, &pkcs, rsa_imported), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 245, ciphertext, &length), CKR_OK);
  CHECK(length == 256);
  report("rsa-pkcs-encrypt", 2, ciphertext, length, message, (CK_ULONG)245);
  CHECK_RV(p11->C_EncryptInit(session, &pkcs, rsa_public), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 246, ciphertext, &length), CKR_DATA_LEN_RANGE);
  /* The node lists CKM_RSA_PKCS for encryption only (no CKF_DECRYPT): C_DecryptInit refuses it. */
  CHECK_RV(p11->C_DecryptInit(session, &pkcs, rsa_private), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_Decrypt(session, ciphertext, 256, plain, &plain_length), CKR_OPERATION_NOT_INITIALIZED);
}

/* ---- wrap, unwrap, derive ---- */

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
static CK_KEY_TYPE aes_type = CKK_AES;
static CK_ULONG aes_length = 32;

/* A session AES key's template: encrypt and decrypt, 32 bytes (the length only for derive). */
#define AES_TEMPLATE(with_length)                                                              \
  {                                                                                            \
    {CKA_CLASS, &secret_class, sizeof secret_class}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, \
        {CKA_TOKEN, &no, sizeof no}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &yes, sizeof yes}, \
        {CKA_VALUE_LEN, &aes_length, (with_length) ? sizeof aes_length : 0},                    \
  }

/* Whether two keys are the same AES key: what one encrypts (AES-CBC), the other decrypts. */
static int same_key(CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b) {
  CK_BYTE iv[16] = {9}, ciphertext[64], plain[64];
  CK_ULONG length = sizeof ciphertext, plain_length = sizeof plain;
  CK_MECHANISM cbc = {CKM_AES_CBC, iv, sizeof iv};
  if (p11->C_EncryptInit(session, &cbc, a) != CKR_OK || p11->C_Encrypt(session, message, 64, ciphertext, &length) != CKR_OK ||
      p11->C_DecryptInit(session, &cbc, b) != CKR_OK ||
      p11->C_Decrypt(session, ciphertext, length, plain, &plain_length) != CKR_OK)
    return -1;
  return plain_length == 64 && memcmp(plain, message, 64) == 0;
}

/* One AES-CBC block of `message` under `key` (IV zero), for the TS test to decrypt with the key
   it computes itself. */
static void report_block(const char *name, CK_OBJECT_HANDLE key) {
  CK_BYTE iv[16] = {0}, block[16];
  CK_ULONG length = sizeof block;
  CK_MECHANISM cbc = {CKM_AES_CBC, iv, sizeof iv};
  CHECK_RV(p11->C_EncryptInit(session, &cbc, key), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, message, 16, block, &length), CKR_OK);
  report(name, 2, block, length, message, (CK_ULONG)16);
}

/* Wraps `target` under `wrapping` (NULL, short, then enough), unwraps it under `unwrapping`. */
static void wrap_round_trip(const char *name, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE wrapping,
                            CK_OBJECT_HANDLE unwrapping, CK_ULONG expected_length) {
  CK_BYTE wrapped[600];
  CK_ULONG length = 0, queried;
  CK_ATTRIBUTE templ[] = AES_TEMPLATE(0);
  CK_OBJECT_HANDLE unwrapped = CK_INVALID_HANDLE;
  printf("# wrap %s\n", name);
  CHECK_RV(p11->C_WrapKey(session, mechanism, wrapping, target, NULL, &length), CKR_OK);
  CHECK(expected_length == 0 || length == expected_length);
  queried = length;
  length = 4;
  CHECK_RV(p11->C_WrapKey(session, mechanism, wrapping, target, wrapped, &length), CKR_BUFFER_TOO_SMALL);
  CHECK(length == queried);
  length = sizeof wrapped;
  CHECK_RV(p11->C_WrapKey(session, mechanism, wrapping, target, wrapped, &length), CKR_OK);
  CHECK(length == queried);
  CHECK_RV(p11->C_UnwrapKey(session, mechanism, unwrapping, wrapped, length, templ, 5, &unwrapped), CKR_OK);
  CHECK(unwrapped != CK_INVALID_HANDLE && unwrapped != target);
  CHECK(same_key(target, unwrapped) == 1);
  CHECK_RV(p11->C_DestroyObject(session, unwrapped), CKR_OK);
  wrapped[length - 1] ^= 1;
  CHECK_RV(p11->C_UnwrapKey(session, mechanism, unwrapping, wrapped, length, templ, 5, &unwrapped), CKR_WRAPPED_KEY_INVALID);
}

static void wrapping(void) {
  CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0}, kwp = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
  wrap_round_trip("AES_KEY_WRAP", &kw, kek, kek, 40);
  wrap_round_trip("AES_KEY_WRAP_PAD", &kwp, kek, kek, 40);
  CK_BYTE iv[12] = {0};
  CK_GCM_PARAMS gcm = {iv, sizeof iv, 96, NULL, 0, 128};
  CK_MECHANISM gcm_mechanism = {CKM_AES_GCM, &gcm, sizeof gcm};
  /* The node makes the IV and puts it first in the wrapped key; it is written back to pIv. */
  wrap_round_trip("AES_GCM", &gcm_mechanism, kek, kek, 12 + 32 + 16);
  CHECK(!all_zero(iv, sizeof iv));
  CK_BYTE wrapped[600];
  CK_ULONG length = sizeof wrapped;
  CHECK_RV(p11->C_WrapKey(session, &gcm_mechanism, kek, target, wrapped, &length), CKR_MECHANISM_PARAM_INVALID);
  memset(iv, 0, sizeof iv);
  CHECK_RV(p11->C_WrapKey(session, &gcm_mechanism, kek, target, wrapped, &length), CKR_OK);
  CK_ATTRIBUTE templ[] = AES_TEMPLATE(0);
  CK_OBJECT_HANDLE unwrapped;
  iv[0] ^= 1; /* not the IV in the wrapped key */
  CHECK_RV(p11->C_UnwrapKey(session, &gcm_mechanism, kek, wrapped, length, templ, 5, &unwrapped), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
  CK_MECHANISM oaep_mechanism = {CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep};
  wrap_round_trip("RSA_PKCS_OAEP", &oaep_mechanism, rsa_kek_public, rsa_kek_private, 256);
  CK_RSA_AES_KEY_WRAP_PARAMS rsa_aes = {256, &oaep};
  CK_MECHANISM rsa_aes_mechanism = {CKM_RSA_AES_KEY_WRAP, &rsa_aes, sizeof rsa_aes};
  wrap_round_trip("RSA_AES_KEY_WRAP", &rsa_aes_mechanism, rsa_kek_public, rsa_kek_private, 256 + 40);
  rsa_aes.ulAESKeyBits = 128;
  CHECK_RV(p11->C_WrapKey(session, &rsa_aes_mechanism, rsa_kek_public, target, NULL, &length), CKR_MECHANISM_PARAM_INVALID);

  /* Refusals: which key is missing, a key that may not leave, a data key as the wrapping key. */
  length = sizeof wrapped;
  CHECK_RV(p11->C_WrapKey(session, &kw, CK_INVALID_HANDLE, target, wrapped, &length), CKR_WRAPPING_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_WrapKey(session, &kw, 0x0123456789abcdefUL, target, wrapped, &length), CKR_WRAPPING_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_WrapKey(session, &kw, kek, 0x0123456789abcdefUL, wrapped, &length), CKR_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_WrapKey(session, &kw, kek, aes, wrapped, &length), CKR_KEY_UNEXTRACTABLE);
  CHECK_RV(p11->C_WrapKey(session, &kw, aes, target, wrapped, &length), CKR_KEY_FUNCTION_NOT_PERMITTED);
  CHECK_RV(p11->C_WrapKey(session, &kw, rsa_kek_public, target, wrapped, &length), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
  CHECK_RV(p11->C_WrapKey(session, &gcm_mechanism, kek, target, NULL, NULL), CKR_ARGUMENTS_BAD);
  CK_MECHANISM cbc = {CKM_AES_CBC, iv, 16};
  CHECK_RV(p11->C_WrapKey(session, &cbc, kek, target, wrapped, &length), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_UnwrapKey(session, &kw, 0x0123456789abcdefUL, wrapped, 40, templ, 5, &unwrapped),
           CKR_UNWRAPPING_KEY_HANDLE_INVALID);
  CHECK_RV(p11->C_UnwrapKey(session, &kw, kek, wrapped, 0, templ, 5, &unwrapped), CKR_WRAPPED_KEY_LEN_RANGE);
  CHECK_RV(p11->C_UnwrapKey(session, &kw, kek, wrapped, 40, templ, 5, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_UnwrapKey(session, &kw, kek, wrapped, 40, templ, 1, &unwrapped), CKR_TEMPLATE_INCOMPLETE);
}

/* CKA_EC_POINT of an EC public key (a DER OCTET STRING around the point, as PKCS#11 has it). */
static CK_ULONG ec_point(CK_OBJECT_HANDLE key, CK_BYTE *point, CK_ULONG capacity) {
  CK_ATTRIBUTE attribute = {CKA_EC_POINT, point, capacity};
  CHECK_RV(p11->C_GetAttributeValue(session, key, &attribute, 1), CKR_OK);
  return attribute.ulValueLen;
}

static CK_OBJECT_HANDLE derive(CK_MECHANISM *mechanism, CK_OBJECT_HANDLE base, CK_RV expected) {
  CK_ATTRIBUTE templ[] = AES_TEMPLATE(1);
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  CHECK_RV(p11->C_DeriveKey(session, mechanism, base, templ, 6, &key), expected);
  return key;
}

static void deriving(void) {
  CK_BYTE point_a[160], point_b[160], shared[] = "shared info";
  CK_ULONG a_length = ec_point(ec_a_public, point_a, sizeof point_a), b_length = ec_point(ec_b_public, point_b, sizeof point_b);
  printf("# ECDH1_DERIVE\n");
  CK_ECDH1_DERIVE_PARAMS a_with_b = {CKD_SHA256_KDF, sizeof shared - 1, shared, b_length, point_b};
  CK_ECDH1_DERIVE_PARAMS b_with_a = {CKD_SHA256_KDF, sizeof shared - 1, shared, a_length, point_a};
  CK_MECHANISM ab = {CKM_ECDH1_DERIVE, &a_with_b, sizeof a_with_b}, ba = {CKM_ECDH1_DERIVE, &b_with_a, sizeof b_with_a};
  CK_OBJECT_HANDLE k1 = derive(&ab, ec_a, CKR_OK), k2 = derive(&ba, ec_b, CKR_OK);
  CHECK(k1 != CK_INVALID_HANDLE && same_key(k1, k2) == 1);
  /* The raw point, without the OCTET STRING, and no KDF: Z itself (32 bytes on P-256). */
  CK_ECDH1_DERIVE_PARAMS raw = {CKD_NULL, 0, NULL, b_length - 2, point_b + 2};
  CK_ECDH1_DERIVE_PARAMS raw_back = {CKD_NULL, 0, NULL, a_length, point_a};
  CK_MECHANISM raw_mechanism = {CKM_ECDH1_DERIVE, &raw, sizeof raw}, back = {CKM_ECDH1_DERIVE, &raw_back, sizeof raw_back};
  CK_OBJECT_HANDLE z1 = derive(&raw_mechanism, ec_a, CKR_OK), z2 = derive(&back, ec_b, CKR_OK);
  CHECK(same_key(z1, z2) == 1 && same_key(z1, k1) == 0);
  CK_ECDH1_DERIVE_PARAMS bad_kdf = {0x99, 0, NULL, b_length, point_b};
  CK_MECHANISM bad = {CKM_ECDH1_DERIVE, &bad_kdf, sizeof bad_kdf};
  derive(&bad, ec_a, CKR_MECHANISM_PARAM_INVALID);
  CK_ECDH1_DERIVE_PARAMS not_a_point = {CKD_NULL, 0, NULL, 5, (CK_BYTE_PTR) "point"};
  CK_MECHANISM garbage = {CKM_ECDH1_DERIVE, &not_a_point, sizeof not_a_point};
  derive(&garbage, ec_a, CKR_MECHANISM_PARAM_INVALID);
  derive(&ab, 0x0123456789abcdefUL, CKR_KEY_HANDLE_INVALID);
  derive(&ab, aes, CKR_KEY_TYPE_INCONSISTENT);

  printf("# HKDF_DERIVE\n");
  CK_HKDF_PARAMS hkdf = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, (CK_BYTE_PTR) "salt", 4, 0, (CK_BYTE_PTR) "info", 4};
  CK_MECHANISM hkdf_mechanism = {CKM_HKDF_DERIVE, &hkdf, sizeof hkdf};
  CK_OBJECT_HANDLE h1 = derive(&hkdf_mechanism, kdf_base, CKR_OK), h2 = derive(&hkdf_mechanism, kdf_base, CKR_OK);
  CHECK(h1 != h2 && same_key(h1, h2) == 1);
  report_block("hkdf", h1);
  hkdf.pInfo = (CK_BYTE_PTR) "other";
  hkdf.ulInfoLen = 5;
  CK_OBJECT_HANDLE h3 = derive(&hkdf_mechanism, kdf_base, CKR_OK);
  CHECK(same_key(h1, h3) == 0);
  hkdf.bExpand = CK_FALSE;
  derive(&hkdf_mechanism, kdf_base, CKR_MECHANISM_PARAM_INVALID);

  printf("# SP800_108_COUNTER_KDF\n");
  CK_SP800_108_COUNTER_FORMAT counter = {CK_FALSE, 32};
  CK_SP800_108_DKM_LENGTH_FORMAT dkm = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, CK_FALSE, 32};
  CK_BYTE zero = 0;
  CK_PRF_DATA_PARAM data[] = {
      {CK_SP800_108_ITERATION_VARIABLE, &counter, sizeof counter},
      {CK_SP800_108_BYTE_ARRAY, "label", 5},
      {CK_SP800_108_BYTE_ARRAY, &zero, 1},
      {CK_SP800_108_BYTE_ARRAY, "context", 7},
      {CK_SP800_108_DKM_LENGTH, &dkm, sizeof dkm},
  };
  CK_SP800_108_KDF_PARAMS kdf = {CKM_SHA256_HMAC, 5, data, 0, NULL};
  CK_MECHANISM kdf_mechanism = {CKM_SP800_108_COUNTER_KDF, &kdf, sizeof kdf};
  CK_OBJECT_HANDLE s1 = derive(&kdf_mechanism, kdf_base, CKR_OK), s2 = derive(&kdf_mechanism, kdf_base, CKR_OK);
  CHECK(same_key(s1, s2) == 1 && same_key(s1, h1) == 0);
  report_block("kdf108", s1);
  counter.ulWidthInBits = 16;
  derive(&kdf_mechanism, kdf_base, CKR_MECHANISM_PARAM_INVALID);
  CK_OBJECT_HANDLE handles[] = {k1, k2, z1, z2, h1, h2, h3, s1, s2};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++) CHECK_RV(p11->C_DestroyObject(session, handles[i]), CKR_OK);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <module.so>\n", argv[0]);
    return 2;
  }
  out_file = fopen(need("COFFER_P11_CRYPTO_OUT"), "w");
  if (out_file == NULL) return 2;
  aes = key_of("COFFER_P11_KEY_AES");
  aes_once = key_of("COFFER_P11_KEY_AES_ONCE");
  aes_revoked = key_of("COFFER_P11_KEY_AES_REVOKED");
  cmac = key_of("COFFER_P11_KEY_CMAC");
  hmac = key_of("COFFER_P11_KEY_HMAC");
  rsa_private = key_of("COFFER_P11_KEY_RSA_PRIVATE");
  rsa_public = key_of("COFFER_P11_KEY_RSA_PUBLIC");
  rsa_imported = key_of("COFFER_P11_KEY_RSA_IMPORTED");
  kek = key_of("COFFER_P11_KEY_KEK");
  target = key_of("COFFER_P11_KEY_TARGET");
  rsa_kek_public = key_of("COFFER_P11_KEY_RSA_KEK_PUBLIC");
  rsa_kek_private = key_of("COFFER_P11_KEY_RSA_KEK_PRIVATE");
  ec_a = key_of("COFFER_P11_KEY_EC_A_PRIVATE");
  ec_a_public = key_of("COFFER_P11_KEY_EC_A_PUBLIC");
  ec_b = key_of("COFFER_P11_KEY_EC_B_PRIVATE");
  ec_b_public = key_of("COFFER_P11_KEY_EC_B_PUBLIC");
  kdf_base = key_of("COFFER_P11_KEY_KDF_BASE");
  ec_private = key_of("COFFER_P11_KEY_EC_PRIVATE");
  ec_public = key_of("COFFER_P11_KEY_EC_PUBLIC");
  ed_private = key_of("COFFER_P11_KEY_ED_PRIVATE");
  ed_public = key_of("COFFER_P11_KEY_ED_PUBLIC");
  for (size_t i = 0; i < sizeof message; i++) message[i] = (CK_BYTE)(i * 7 + 3);

  void *module = load_module(argv[1], &p11);
  if (module == NULL) return 2;
  CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
  CHECK_RV(p11->C_DigestInit(1, &sha256), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_EncryptInit(1, &sha256, 1), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_Initialize(NULL), CKR_OK);
  CK_SESSION_HANDLE public_session;
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &public_session), CKR_OK);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session), CKR_OK);
  digests(public_session);
  const char *pin = need("COFFER_P11_TEST_USER_PIN");
  CHECK_RV(p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)), CKR_OK);
  digest_key();
  aes_gcm();
  aes_cbc_ctr();
  buffer_protocol();
  states_and_keys();
  disabled_after_init();
  signatures();
  rsa_pss_over_digest();
  rsa_encryption();
  wrapping();
  deriving();
  /* Operations left active at C_Finalize are ended with their sessions. */
  CK_BYTE iv[16] = {0};
  CK_MECHANISM cbc = {CKM_AES_CBC, iv, sizeof iv};
  CHECK_RV(p11->C_DecryptInit(session, &cbc, aes), CKR_OK);
  CHECK_RV(p11->C_DigestInit(session, &sha256), CKR_OK);
  CHECK_RV(p11->C_Finalize(NULL), CKR_OK);
  fclose(out_file);
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
