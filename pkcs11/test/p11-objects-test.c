/*
 * The object and key-generation functions against a real node, through dlopen: generation,
 * search, the attribute size protocol, create/copy/set/destroy, the read-only session rule,
 * session objects' lifetime, and one user's objects unseen by another. Run by
 * test/pkcs11-module.test.ts: argv[1] is the module; COFFER_PKCS11_CONF names the node;
 * COFFER_P11_TEST_USER_PIN and COFFER_P11_TEST_USER2_PIN are two crypto users' PINs;
 * COFFER_P11_TEST_CERT is an X.509 certificate (DER). Labels carry the pid, so a second run on
 * the same node finds only its own objects; every token object made is destroyed at the end.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "coffer-pkcs11.h"
#include "load-module.h"

static CK_FUNCTION_LIST_PTR p11;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static char tag[32]; /* "-<pid>", appended to every label */

static const char *pin_of(const char *variable) {
  const char *pin = getenv(variable);
  if (pin == NULL) {
    fprintf(stderr, "%s is not set\n", variable);
    exit(2);
  }
  return pin;
}

static CK_RV login(CK_SESSION_HANDLE session, const char *variable) {
  const char *pin = pin_of(variable);
  return p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static unsigned char *read_file(const char *path, CK_ULONG *length) {
  FILE *file = fopen(path, "rb");
  unsigned char *data = malloc(65536);
  size_t got = file != NULL && data != NULL ? fread(data, 1, 65536, file) : 0;
  if (file != NULL) fclose(file);
  if (got == 0) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  *length = (CK_ULONG)got;
  return data;
}

/* A label with the run's tag, in a static buffer of its own per slot. */
static char *label(int slot, const char *name) {
  static char labels[8][64];
  snprintf(labels[slot], sizeof labels[slot], "%s%s", name, tag);
  return labels[slot];
}

/* How many objects a template finds (at most 64), their handles into `found` when not NULL. */
static CK_ULONG find(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, CK_ULONG count, CK_OBJECT_HANDLE *found) {
  CK_OBJECT_HANDLE handles[64];
  CK_ULONG total = 0, got = 0;
  if (p11->C_FindObjectsInit(session, templ, count) != CKR_OK) return (CK_ULONG)-1;
  do {
    if (p11->C_FindObjects(session, handles + total, 64 - total < 7 ? 64 - total : 7, &got) != CKR_OK) break;
    total += got;
  } while (got > 0 && total < 64);
  p11->C_FindObjectsFinal(session);
  if (found != NULL) memcpy(found, handles, total * sizeof *handles);
  return total;
}

static CK_ULONG find_label(CK_SESSION_HANDLE session, const char *text, CK_OBJECT_HANDLE *found) {
  CK_ATTRIBUTE templ[] = {{CKA_LABEL, (void *)text, (CK_ULONG)strlen(text)}};
  return find(session, templ, 1, found);
}

static int contains(const CK_OBJECT_HANDLE *handles, CK_ULONG count, CK_OBJECT_HANDLE handle) {
  for (CK_ULONG i = 0; i < count; i++)
    if (handles[i] == handle) return 1;
  return 0;
}

static int has_bytes(const unsigned char *haystack, CK_ULONG length, const unsigned char *needle, CK_ULONG size) {
  for (CK_ULONG i = 0; size > 0 && size <= length && i + size <= length; i++)
    if (memcmp(haystack + i, needle, size) == 0) return 1;
  return 0;
}

static CK_ULONG ulong_attribute(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ULONG value = (CK_ULONG)-1;
  CK_ATTRIBUTE attribute = {type, &value, sizeof value};
  return p11->C_GetAttributeValue(session, object, &attribute, 1) == CKR_OK ? value : (CK_ULONG)-1;
}

static int bool_attribute(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL value = 7;
  CK_ATTRIBUTE attribute = {type, &value, sizeof value};
  return p11->C_GetAttributeValue(session, object, &attribute, 1) == CKR_OK ? value : -1;
}

static int label_is(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, const char *text) {
  char value[64] = {0};
  CK_ATTRIBUTE attribute = {CKA_LABEL, value, sizeof value - 1};
  return p11->C_GetAttributeValue(session, object, &attribute, 1) == CKR_OK && attribute.ulValueLen == strlen(text) &&
         memcmp(value, text, attribute.ulValueLen) == 0;
}

/* The objects of the run, destroyed at the end. */
struct made {
  CK_OBJECT_HANDLE aes, aes_session, secret, rsa_public, rsa_private, ec_public, ec_private, ed_public, ed_private;
  CK_OBJECT_HANDLE certificate, data, copy;
};

static void without_login(CK_SESSION_HANDLE session) {
  CK_OBJECT_HANDLE handles[4], handle;
  CK_ULONG count = 9;
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG length = 32;
  CK_ATTRIBUTE templ[] = {{CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_FindObjects(session, handles, 4, &count), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_FindObjectsFinal(session), CKR_OPERATION_NOT_INITIALIZED);
  /* No public objects in Coffer: without a login a search succeeds and finds nothing. */
  CHECK_RV(p11->C_FindObjectsInit(session, NULL, 0), CKR_OK);
  CHECK_RV(p11->C_FindObjectsInit(session, NULL, 0), CKR_OPERATION_ACTIVE);
  CHECK_RV(p11->C_FindObjects(session, handles, 4, &count), CKR_OK);
  CHECK(count == 0);
  CHECK_RV(p11->C_FindObjectsFinal(session), CKR_OK);
  CHECK_RV(p11->C_FindObjectsFinal(session), CKR_OPERATION_NOT_INITIALIZED);
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, templ, 1, &handle), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_GetAttributeValue(session, 0x1234, templ, 1), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_CreateObject(session, templ, 0, &handle), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_DestroyObject(session, 0x1234), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_SetAttributeValue(session, 0x1234, templ, 1), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_GetObjectSize(session, 0x1234, &length), CKR_USER_NOT_LOGGED_IN);
}

static const CK_BYTE P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

static void generate(CK_SESSION_HANDLE session, struct made *made) {
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0}, secret_gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
  CK_MECHANISM rsa_gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0}, ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_MECHANISM ed_gen = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
  CK_ULONG length = 32, bits = 2048;
  CK_BYTE id[] = {0xc0, 0xff, 0xee, 0x01};
  char *aes_label = label(0, "aes");
  CK_ATTRIBUTE aes[] = {
      {CKA_TOKEN, &yes, 1},          {CKA_LABEL, aes_label, (CK_ULONG)strlen(aes_label)},
      {CKA_ID, id, sizeof id},       {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_ENCRYPT, &yes, 1},        {CKA_DECRYPT, &yes, 1},
  };
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, aes, 6, &made->aes), CKR_OK);
  CK_ATTRIBUTE aes_session[] = {{CKA_TOKEN, &no, 1}, {CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, aes_session, 2, &made->aes_session), CKR_OK);
  CHECK(made->aes != CK_INVALID_HANDLE && made->aes_session != CK_INVALID_HANDLE && made->aes != made->aes_session);
  CK_ATTRIBUTE secret[] = {{CKA_TOKEN, &no, 1}, {CKA_VALUE_LEN, &length, sizeof length}, {CKA_SIGN, &yes, 1}};
  CHECK_RV(p11->C_GenerateKey(session, &secret_gen, secret, 3, &made->secret), CKR_OK);

  char *rsa_label = label(1, "rsa");
  CK_ATTRIBUTE rsa_public[] = {{CKA_TOKEN, &yes, 1},
                               {CKA_LABEL, rsa_label, (CK_ULONG)strlen(rsa_label)},
                               {CKA_MODULUS_BITS, &bits, sizeof bits},
                               {CKA_VERIFY, &yes, 1}};
  CK_ATTRIBUTE rsa_private[] = {
      {CKA_TOKEN, &yes, 1}, {CKA_LABEL, rsa_label, (CK_ULONG)strlen(rsa_label)}, {CKA_SIGN, &yes, 1}};
  CHECK_RV(p11->C_GenerateKeyPair(session, &rsa_gen, rsa_public, 4, rsa_private, 3, &made->rsa_public,
                                  &made->rsa_private),
           CKR_OK);
  CK_ATTRIBUTE ec_public[] = {{CKA_TOKEN, &yes, 1}, {CKA_EC_PARAMS, (void *)P256, sizeof P256}};
  CK_ATTRIBUTE ec_private[] = {{CKA_TOKEN, &yes, 1}, {CKA_SIGN, &yes, 1}};
  CHECK_RV(p11->C_GenerateKeyPair(session, &ec_gen, ec_public, 2, ec_private, 2, &made->ec_public, &made->ec_private),
           CKR_OK);
  CK_ATTRIBUTE ed_public[] = {{CKA_TOKEN, &no, 1}, {CKA_EC_PARAMS, (void *)ED25519, sizeof ED25519}};
  CK_ATTRIBUTE ed_private[] = {{CKA_TOKEN, &no, 1}, {CKA_SIGN, &yes, 1}};
  CHECK_RV(p11->C_GenerateKeyPair(session, &ed_gen, ed_public, 2, ed_private, 2, &made->ed_public, &made->ed_private),
           CKR_OK);

  /* Refusals: the mechanism, its parameters, the arguments, the template. */
  CK_OBJECT_HANDLE handle, other;
  CK_MECHANISM md5 = {CKM_MD5, NULL, 0}, with_parameter = {CKM_AES_KEY_GEN, &length, sizeof length};
  CHECK_RV(p11->C_GenerateKey(session, &md5, aes_session, 2, &handle), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_GenerateKey(session, &rsa_gen, aes_session, 2, &handle), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_GenerateKeyPair(session, &aes_gen, ec_public, 2, ec_private, 2, &handle, &other),
           CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_GenerateKey(session, &with_parameter, aes_session, 2, &handle), CKR_MECHANISM_PARAM_INVALID);
  CHECK_RV(p11->C_GenerateKey(session, NULL, aes_session, 2, &handle), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, aes_session, 2, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GenerateKeyPair(session, &ec_gen, ec_public, 2, ec_private, 2, &handle, NULL), CKR_ARGUMENTS_BAD);
  CK_ATTRIBUTE vendor[] = {{CKA_TOKEN, &no, 1}, {CKA_VALUE_LEN, &length, sizeof length}, {CKA_VENDOR_DEFINED, &yes, 1}};
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, vendor, 3, &handle), CKR_ATTRIBUTE_TYPE_INVALID);
  CK_ATTRIBUTE wide_bool[] = {{CKA_TOKEN, &length, sizeof length}, {CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, wide_bool, 2, &handle), CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ATTRIBUTE no_length[] = {{CKA_TOKEN, &no, 1}};
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, no_length, 1, &handle), CKR_TEMPLATE_INCOMPLETE);
  CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
  CK_ATTRIBUTE wrong_class[] = {{CKA_CLASS, &public_class, sizeof public_class}, {CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_GenerateKey(session, &aes_gen, wrong_class, 2, &handle), CKR_TEMPLATE_INCONSISTENT);
}

static void search(CK_SESSION_HANDLE session, const struct made *made) {
  CK_OBJECT_HANDLE found[64];
  CHECK(find_label(session, label(0, "aes"), found) == 1 && found[0] == made->aes);
  CK_BYTE id[] = {0xc0, 0xff, 0xee, 0x01};
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY, private_key = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE by_id[] = {{CKA_ID, id, sizeof id}, {CKA_CLASS, &secret, sizeof secret}};
  CK_ULONG count = find(session, by_id, 2, found);
  CHECK(count >= 1 && contains(found, count, made->aes));
  CK_ATTRIBUTE by_class[] = {{CKA_CLASS, &secret, sizeof secret}};
  count = find(session, by_class, 1, found);
  CHECK(count != (CK_ULONG)-1 && contains(found, count, made->aes) && contains(found, count, made->aes_session) &&
        contains(found, count, made->secret) && !contains(found, count, made->rsa_private));
  char *rsa_label = label(1, "rsa");
  CK_ATTRIBUTE rsa_private[] = {{CKA_CLASS, &private_key, sizeof private_key},
                                {CKA_LABEL, rsa_label, (CK_ULONG)strlen(rsa_label)}};
  CHECK(find(session, rsa_private, 2, found) == 1 && found[0] == made->rsa_private);
  CHECK(find_label(session, rsa_label, found) == 2);
  count = find(session, NULL, 0, found);
  CHECK(count != (CK_ULONG)-1 && contains(found, count, made->ed_private) && contains(found, count, made->ec_public));
  /* A type the module does not speak matches nothing; a sensitive value is never matched. */
  CK_ATTRIBUTE vendor[] = {{CKA_CLASS, &secret, sizeof secret}, {CKA_VENDOR_DEFINED, id, sizeof id}};
  CHECK(find(session, vendor, 2, NULL) == 0);
  CK_ATTRIBUTE wide[] = {{CKA_TOKEN, id, sizeof id}};
  CHECK_RV(p11->C_FindObjectsInit(session, wide, 1), CKR_ATTRIBUTE_VALUE_INVALID);
  CHECK_RV(p11->C_FindObjectsInit(session, NULL, 1), CKR_ARGUMENTS_BAD);
  CK_ULONG got = 0;
  CHECK_RV(p11->C_FindObjectsInit(session, by_class, 1), CKR_OK);
  CHECK_RV(p11->C_FindObjects(session, NULL, 1, &got), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_FindObjects(session, found, 1, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_FindObjects(session, found, 1, &got), CKR_OK);
  CHECK(got == 1);
  CHECK_RV(p11->C_FindObjectsFinal(session), CKR_OK);
}

static void attributes(CK_SESSION_HANDLE session, const struct made *made) {
  CK_OBJECT_CLASS class = 99;
  CK_KEY_TYPE key_type = 99;
  CK_ULONG value_len = 0;
  char *aes_label = label(0, "aes");
  CK_ATTRIBUTE sizes[] = {{CKA_CLASS, NULL, 0}, {CKA_TOKEN, NULL, 0}, {CKA_LABEL, NULL, 0}, {CKA_ID, NULL, 0}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, sizes, 4), CKR_OK);
  CHECK(sizes[0].ulValueLen == sizeof(CK_ULONG) && sizes[1].ulValueLen == 1);
  CHECK(sizes[2].ulValueLen == strlen(aes_label) && sizes[3].ulValueLen == 4);
  char short_label[3];
  CK_BYTE value[64], modulus[8];
  CK_ATTRIBUTE mixed[] = {
      {CKA_CLASS, &class, sizeof class},          {CKA_LABEL, short_label, sizeof short_label},
      {CKA_KEY_TYPE, &key_type, sizeof key_type}, {CKA_VALUE_LEN, &value_len, sizeof value_len},
  };
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, mixed, 4), CKR_BUFFER_TOO_SMALL);
  CHECK(mixed[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CHECK(class == CKO_SECRET_KEY && key_type == CKK_AES && value_len == 32); /* the others still answered */
  CK_ATTRIBUTE secret[] = {{CKA_VALUE, value, sizeof value}, {CKA_CLASS, &class, sizeof class}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, secret, 2), CKR_ATTRIBUTE_SENSITIVE);
  CHECK(secret[0].ulValueLen == CK_UNAVAILABLE_INFORMATION && secret[1].ulValueLen == sizeof class);
  CK_ATTRIBUTE invalid[] = {{CKA_MODULUS, modulus, sizeof modulus}, {CKA_VENDOR_DEFINED | 5, value, sizeof value}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, invalid, 2), CKR_ATTRIBUTE_TYPE_INVALID);
  CHECK(invalid[0].ulValueLen == CK_UNAVAILABLE_INFORMATION && invalid[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CK_RV rv = p11->C_GetAttributeValue(session, made->aes, (CK_ATTRIBUTE[]){{CKA_VALUE, NULL, 0}, {CKA_MODULUS, NULL, 0}}, 2);
  CHECK(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID);
  CHECK(bool_attribute(session, made->aes, CKA_TOKEN) == CK_TRUE);
  CHECK(bool_attribute(session, made->aes_session, CKA_TOKEN) == CK_FALSE);
  CHECK(bool_attribute(session, made->aes, CKA_ENCRYPT) == CK_TRUE);
  CHECK(ulong_attribute(session, made->aes, CKA_KEY_GEN_MECHANISM) == CKM_AES_KEY_GEN);
  CHECK(ulong_attribute(session, made->secret, CKA_KEY_TYPE) == CKK_GENERIC_SECRET);

  /* RSA: the public parts readable, the private ones sensitive. */
  CK_BYTE rsa_modulus[512], exponent[8];
  CK_ATTRIBUTE rsa[] = {{CKA_MODULUS, rsa_modulus, sizeof rsa_modulus}, {CKA_PUBLIC_EXPONENT, exponent, sizeof exponent}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->rsa_public, rsa, 2), CKR_OK);
  CHECK(rsa[0].ulValueLen == 256 && rsa[1].ulValueLen >= 1);
  CHECK(ulong_attribute(session, made->rsa_public, CKA_MODULUS_BITS) == 2048);
  CHECK(ulong_attribute(session, made->rsa_private, CKA_CLASS) == CKO_PRIVATE_KEY);
  CK_ATTRIBUTE private_parts[] = {{CKA_PRIVATE_EXPONENT, NULL, 0}, {CKA_PRIME_1, NULL, 0}, {CKA_MODULUS, NULL, 0}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->rsa_private, private_parts, 3), CKR_ATTRIBUTE_SENSITIVE);
  CHECK(private_parts[0].ulValueLen == CK_UNAVAILABLE_INFORMATION && private_parts[2].ulValueLen == 256);

  /* EC and Edwards: the curve as asked, a point on the public key, the private value sensitive. */
  CK_BYTE params[32], point[160];
  CK_ATTRIBUTE ec[] = {{CKA_EC_PARAMS, params, sizeof params}, {CKA_EC_POINT, point, sizeof point}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->ec_public, ec, 2), CKR_OK);
  CHECK(ec[0].ulValueLen == sizeof P256 && memcmp(params, P256, sizeof P256) == 0 && ec[1].ulValueLen >= 65);
  CHECK(ulong_attribute(session, made->ed_public, CKA_KEY_TYPE) == CKK_EC_EDWARDS);
  CK_ATTRIBUTE ec_value[] = {{CKA_VALUE, value, sizeof value}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->ec_private, ec_value, 1), CKR_ATTRIBUTE_SENSITIVE);

  /* Handles and arguments. */
  CHECK_RV(p11->C_GetAttributeValue(session, 0x5eed5eed5eedULL, sizes, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, CK_INVALID_HANDLE, sizes, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, 0x5eed5eed5eedULL, invalid + 1, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, NULL, 1), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, NULL, 0), CKR_OK);
  CK_ULONG size = 0;
  CHECK_RV(p11->C_GetObjectSize(session, made->aes, &size), CKR_OK);
  CHECK(size == CK_UNAVAILABLE_INFORMATION);
  CHECK_RV(p11->C_GetObjectSize(session, made->aes, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetObjectSize(session, 0x5eed5eed5eedULL, &size), CKR_OBJECT_HANDLE_INVALID);

  /* C_SetAttributeValue: the label changes; a type the module does not speak reaches no node. */
  char *renamed = label(2, "aes-renamed");
  CK_ATTRIBUTE rename[] = {{CKA_LABEL, renamed, (CK_ULONG)strlen(renamed)}};
  CHECK_RV(p11->C_SetAttributeValue(session, made->aes, rename, 1), CKR_OK);
  CHECK(label_is(session, made->aes, renamed));
  CHECK(find_label(session, renamed, NULL) == 1 && find_label(session, aes_label, NULL) == 0);
  CHECK_RV(p11->C_SetAttributeValue(session, made->aes, invalid + 1, 1), CKR_ATTRIBUTE_TYPE_INVALID);
  CHECK_RV(p11->C_SetAttributeValue(session, 0x5eed5eed5eedULL, rename, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_SetAttributeValue(session, made->aes, NULL, 1), CKR_ARGUMENTS_BAD);
  CK_ATTRIBUTE back[] = {{CKA_LABEL, aes_label, (CK_ULONG)strlen(aes_label)}};
  CHECK_RV(p11->C_SetAttributeValue(session, made->aes, back, 1), CKR_OK);
}

static void objects(CK_SESSION_HANDLE session, struct made *made, const unsigned char *der, CK_ULONG der_length) {
  CK_OBJECT_CLASS certificate = CKO_CERTIFICATE, data = CKO_DATA;
  CK_CERTIFICATE_TYPE x509 = CKC_X_509;
  char *cert_label = label(3, "cert");
  CK_BYTE id[] = {0x42};
  CK_ATTRIBUTE cert[] = {
      {CKA_CLASS, &certificate, sizeof certificate},   {CKA_CERTIFICATE_TYPE, &x509, sizeof x509},
      {CKA_TOKEN, &yes, 1},                            {CKA_LABEL, cert_label, (CK_ULONG)strlen(cert_label)},
      {CKA_ID, id, sizeof id},                         {CKA_VALUE, (void *)der, der_length},
  };
  CHECK_RV(p11->C_CreateObject(session, cert, 6, &made->certificate), CKR_OK);
  unsigned char value[4096], subject[1024], issuer[1024], serial[64];
  CK_ATTRIBUTE parts[] = {{CKA_VALUE, value, sizeof value},
                          {CKA_SUBJECT, subject, sizeof subject},
                          {CKA_ISSUER, issuer, sizeof issuer},
                          {CKA_SERIAL_NUMBER, serial, sizeof serial}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->certificate, parts, 4), CKR_OK);
  CHECK(parts[0].ulValueLen == der_length && memcmp(value, der, der_length) == 0);
  /* The subject, issuer and serial number default from the certificate: each is part of it. */
  CHECK(has_bytes(der, der_length, subject, parts[1].ulValueLen));
  CHECK(has_bytes(der, der_length, issuer, parts[2].ulValueLen));
  CHECK(has_bytes(der, der_length, serial, parts[3].ulValueLen));
  CK_OBJECT_HANDLE found[64];
  CK_ATTRIBUTE by_class[] = {{CKA_CLASS, &certificate, sizeof certificate}, {CKA_ID, id, sizeof id}};
  CK_ULONG count = find(session, by_class, 2, found);
  CHECK(count != (CK_ULONG)-1 && contains(found, count, made->certificate));

  char *data_label = label(4, "data");
  CK_ATTRIBUTE data_object[] = {
      {CKA_CLASS, &data, sizeof data},    {CKA_TOKEN, &yes, 1},
      {CKA_LABEL, data_label, (CK_ULONG)strlen(data_label)}, {CKA_APPLICATION, "coffer-test", 11},
      {CKA_VALUE, "hello", 5},
  };
  CHECK_RV(p11->C_CreateObject(session, data_object, 5, &made->data), CKR_OK);
  char text[16] = {0};
  CK_ATTRIBUTE data_value[] = {{CKA_VALUE, text, sizeof text}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->data, data_value, 1), CKR_OK);
  CHECK(data_value[0].ulValueLen == 5 && memcmp(text, "hello", 5) == 0);
  CK_ATTRIBUTE by_value[] = {{CKA_CLASS, &data, sizeof data}, {CKA_VALUE, "hello", 5}};
  count = find(session, by_value, 2, found);
  CHECK(count != (CK_ULONG)-1 && contains(found, count, made->data));

  /* Copies: a certificate with a new label; never a key. */
  char *copy_label = label(5, "cert-copy");
  CK_ATTRIBUTE relabel[] = {{CKA_LABEL, copy_label, (CK_ULONG)strlen(copy_label)}};
  CHECK_RV(p11->C_CopyObject(session, made->certificate, relabel, 1, &made->copy), CKR_OK);
  CHECK(made->copy != made->certificate && label_is(session, made->copy, copy_label));
  CHECK(label_is(session, made->certificate, cert_label));
  CHECK(bool_attribute(session, made->copy, CKA_TOKEN) == CK_TRUE); /* the original's */
  CK_OBJECT_HANDLE handle;
  CHECK_RV(p11->C_CopyObject(session, made->aes, NULL, 0, &handle), CKR_ACTION_PROHIBITED);
  CHECK_RV(p11->C_CopyObject(session, 0x5eed5eed5eedULL, NULL, 0, &handle), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_CopyObject(session, made->certificate, NULL, 0, NULL), CKR_ARGUMENTS_BAD);

  /* Creation refusals the node decides. */
  CK_ATTRIBUTE no_value[] = {{CKA_CLASS, &certificate, sizeof certificate}, {CKA_CERTIFICATE_TYPE, &x509, sizeof x509}};
  CHECK_RV(p11->C_CreateObject(session, no_value, 2, &handle), CKR_TEMPLATE_INCOMPLETE);
  CHECK_RV(p11->C_CreateObject(session, data_object, 5, NULL), CKR_ARGUMENTS_BAD);

  /* Destroy: the copy goes, and is gone for every function. */
  CHECK_RV(p11->C_DestroyObject(session, made->copy), CKR_OK);
  CHECK(find_label(session, copy_label, NULL) == 0);
  CHECK_RV(p11->C_GetAttributeValue(session, made->copy, relabel, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_DestroyObject(session, made->copy), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_DestroyObject(session, CK_INVALID_HANDLE), CKR_OBJECT_HANDLE_INVALID);
  made->copy = CK_INVALID_HANDLE;
}

/* A read-only session makes, changes and destroys session objects only. */
static void read_only(CK_SESSION_HANDLE ro, const struct made *made) {
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0}, ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_ULONG length = 16;
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE, other;
  CK_ATTRIBUTE token_key[] = {{CKA_TOKEN, &yes, 1}, {CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_GenerateKey(ro, &aes_gen, token_key, 2, &handle), CKR_SESSION_READ_ONLY);
  CK_ATTRIBUTE session_key[] = {{CKA_TOKEN, &no, 1}, {CKA_VALUE_LEN, &length, sizeof length}};
  CHECK_RV(p11->C_GenerateKey(ro, &aes_gen, session_key, 2, &handle), CKR_OK);
  CK_ATTRIBUTE ec_public[] = {{CKA_EC_PARAMS, (void *)P256, sizeof P256}};
  CK_ATTRIBUTE ec_private[] = {{CKA_TOKEN, &yes, 1}};
  CHECK_RV(p11->C_GenerateKeyPair(ro, &ec_gen, ec_public, 1, ec_private, 1, &other, &other), CKR_SESSION_READ_ONLY);

  CK_OBJECT_CLASS data = CKO_DATA;
  char *data_label = label(6, "ro-data");
  CK_ATTRIBUTE token_data[] = {{CKA_CLASS, &data, sizeof data}, {CKA_TOKEN, &yes, 1}, {CKA_VALUE, "x", 1}};
  CHECK_RV(p11->C_CreateObject(ro, token_data, 3, &other), CKR_SESSION_READ_ONLY);
  /* Without CKA_TOKEN: the spec's default, a session object. */
  CK_ATTRIBUTE default_data[] = {
      {CKA_CLASS, &data, sizeof data}, {CKA_LABEL, data_label, (CK_ULONG)strlen(data_label)}, {CKA_VALUE, "x", 1}};
  CK_OBJECT_HANDLE session_data = CK_INVALID_HANDLE;
  CHECK_RV(p11->C_CreateObject(ro, default_data, 3, &session_data), CKR_OK);
  CHECK(bool_attribute(ro, session_data, CKA_TOKEN) == CK_FALSE);

  CK_ATTRIBUTE rename[] = {{CKA_LABEL, "ro", 2}};
  CHECK_RV(p11->C_SetAttributeValue(ro, made->aes, rename, 1), CKR_SESSION_READ_ONLY);
  CHECK_RV(p11->C_SetAttributeValue(ro, session_data, rename, 1), CKR_OK);
  CHECK_RV(p11->C_DestroyObject(ro, made->data), CKR_SESSION_READ_ONLY);
  CHECK_RV(p11->C_DestroyObject(ro, made->aes), CKR_SESSION_READ_ONLY);
  CHECK_RV(p11->C_CopyObject(ro, made->certificate, NULL, 0, &other), CKR_SESSION_READ_ONLY);
  CK_ATTRIBUTE to_session[] = {{CKA_TOKEN, &no, 1}};
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  CHECK_RV(p11->C_CopyObject(ro, made->certificate, to_session, 1, &copy), CKR_OK);
  CHECK(bool_attribute(ro, copy, CKA_TOKEN) == CK_FALSE);
  CHECK_RV(p11->C_DestroyObject(ro, copy), CKR_OK);
  CHECK_RV(p11->C_DestroyObject(ro, handle), CKR_OK);
  CHECK(label_is(ro, made->aes, label(0, "aes"))); /* unchanged by the refusals */
  CHECK(ulong_attribute(ro, made->data, CKA_CLASS) == CKO_DATA);
}

/* A session object lives as long as the session that made it; others of the login see it. */
static void session_lifetime(CK_SESSION_HANDLE session) {
  CK_SESSION_HANDLE other;
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &other), CKR_OK);
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG length = 16;
  char *key_label = label(7, "short-lived");
  CK_ATTRIBUTE templ[] = {
      {CKA_TOKEN, &no, 1}, {CKA_LABEL, key_label, (CK_ULONG)strlen(key_label)}, {CKA_VALUE_LEN, &length, sizeof length}};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE, data = CK_INVALID_HANDLE, found[64];
  CHECK_RV(p11->C_GenerateKey(other, &aes_gen, templ, 3, &key), CKR_OK);
  CK_OBJECT_CLASS data_class = CKO_DATA;
  CK_ATTRIBUTE data_templ[] = {{CKA_CLASS, &data_class, sizeof data_class},
                               {CKA_LABEL, key_label, (CK_ULONG)strlen(key_label)},
                               {CKA_VALUE, "y", 1}};
  CHECK_RV(p11->C_CreateObject(other, data_templ, 3, &data), CKR_OK); /* no CKA_TOKEN: a session object */
  CK_ULONG count = find_label(session, key_label, found);
  CHECK(count == 2 && contains(found, count, key) && contains(found, count, data));
  CHECK_RV(p11->C_CloseSession(other), CKR_OK);
  CHECK(find_label(session, key_label, NULL) == 0);
  CK_ULONG value_len;
  CK_ATTRIBUTE probe[] = {{CKA_VALUE_LEN, &value_len, sizeof value_len}};
  CHECK_RV(p11->C_GetAttributeValue(session, key, probe, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, data, probe, 1), CKR_OBJECT_HANDLE_INVALID);
}

/* Another crypto user finds, reads, changes, copies and destroys none of the first one's objects. */
static void other_user(CK_SESSION_HANDLE session, const struct made *made) {
  CHECK_RV(login(session, "COFFER_P11_TEST_USER2_PIN"), CKR_OK);
  CK_OBJECT_HANDLE found[64], handle;
  CHECK(find_label(session, label(0, "aes"), NULL) == 0);
  CHECK(find_label(session, label(3, "cert"), NULL) == 0);
  CK_ULONG count = find(session, NULL, 0, found);
  CHECK(count != (CK_ULONG)-1 && !contains(found, count, made->aes) && !contains(found, count, made->certificate) &&
        !contains(found, count, made->data) && !contains(found, count, made->rsa_private));
  CK_OBJECT_CLASS class;
  CK_ATTRIBUTE probe[] = {{CKA_CLASS, &class, sizeof class}};
  CHECK_RV(p11->C_GetAttributeValue(session, made->aes, probe, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, made->data, probe, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_GetAttributeValue(session, made->rsa_public, probe, 1), CKR_OBJECT_HANDLE_INVALID);
  CK_ATTRIBUTE rename[] = {{CKA_LABEL, "mine", 4}};
  CHECK_RV(p11->C_SetAttributeValue(session, made->certificate, rename, 1), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_CopyObject(session, made->certificate, NULL, 0, &handle), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_DestroyObject(session, made->aes), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_DestroyObject(session, made->data), CKR_OBJECT_HANDLE_INVALID);
  CK_ULONG size;
  CHECK_RV(p11->C_GetObjectSize(session, made->certificate, &size), CKR_OBJECT_HANDLE_INVALID);
  CHECK_RV(p11->C_Logout(session), CKR_OK);
}

static void destroy_all(CK_SESSION_HANDLE session, const struct made *made) {
  const CK_OBJECT_HANDLE token_objects[] = {made->aes,       made->rsa_public, made->rsa_private, made->ec_public,
                                            made->ec_private, made->certificate, made->data};
  for (size_t i = 0; i < sizeof token_objects / sizeof token_objects[0]; i++)
    CHECK_RV(p11->C_DestroyObject(session, token_objects[i]), CKR_OK);
  CHECK(find_label(session, label(0, "aes"), NULL) == 0 && find_label(session, label(1, "rsa"), NULL) == 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <module.so>\n", argv[0]);
    return 2;
  }
  void *module = load_module(argv[1], &p11);
  if (module == NULL) return 2;
  snprintf(tag, sizeof tag, "-%ld", (long)getpid());
  CK_ULONG der_length = 0;
  unsigned char *der = read_file(pin_of("COFFER_P11_TEST_CERT"), &der_length);
  struct made made = {0};
  CK_SESSION_HANDLE rw, ro;
  CHECK_RV(p11->C_Initialize(NULL), CKR_OK);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
  without_login(rw);
  CHECK_RV(login(rw, "COFFER_P11_TEST_USER_PIN"), CKR_OK);
  generate(rw, &made);
  search(rw, &made);
  attributes(rw, &made);
  objects(rw, &made, der, der_length);
  read_only(ro, &made);
  session_lifetime(rw);
  CHECK_RV(p11->C_Logout(rw), CKR_OK);
  other_user(rw, &made);
  CHECK_RV(login(rw, "COFFER_P11_TEST_USER_PIN"), CKR_OK);
  destroy_all(rw, &made);
  CHECK_RV(p11->C_Finalize(NULL), CKR_OK);
  free(der);
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
