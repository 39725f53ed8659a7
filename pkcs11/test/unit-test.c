/*
 * Checks of the module's parts that need no node, linked with the module's objects: the
 * template codec (encoding by kind, C_GetAttributeValue's size protocol on answers), the
 * endpoints' zones, and which requests carry an Idempotency-Key.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

/* The compact JSON of a template, or the CKR_ value as text when encoding fails. */
static char encoded[4096];
static const char *encode(const CK_ATTRIBUTE *templ, CK_ULONG count) {
  json_object *array = NULL;
  CK_RV rv = coffer_template_json(templ, count, &array);
  if (rv != CKR_OK) {
    snprintf(encoded, sizeof encoded, "rv 0x%lx", rv);
    return encoded;
  }
  snprintf(encoded, sizeof encoded, "%s", json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN));
  coffer_json_put_wiped(array);
  return encoded;
}

static void encoding(void) {
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG length = 32, mechanisms[2] = {CKM_AES_GCM, CKM_AES_CBC};
  CK_ATTRIBUTE templ[] = {
      {CKA_CLASS, &class, sizeof class},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &no, sizeof no},
      {CKA_LABEL, "key-1", 5},
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_ALLOWED_MECHANISMS, mechanisms, sizeof mechanisms},
      {CKA_ID, NULL, 0},
  };
  CHECK(strcmp(encode(templ, 7), "[{\"type\":0,\"value\":4},{\"type\":1,\"value\":true},{\"type\":2,\"value\":false},"
                                  "{\"type\":3,\"value\":\"a2V5LTE=\"},{\"type\":353,\"value\":32},"
                                  "{\"type\":1073743360,\"value\":[4231,4226]},{\"type\":258,\"value\":\"\"}]") == 0);
  CHECK(strcmp(encode(NULL, 0), "[]") == 0);
  CHECK(strcmp(encode(NULL, 1), "rv 0x7") == 0); /* CKR_ARGUMENTS_BAD */
  CK_ATTRIBUTE wrong_bool = {CKA_TOKEN, &length, sizeof length};
  CHECK(strcmp(encode(&wrong_bool, 1), "rv 0x13") == 0); /* CKR_ATTRIBUTE_VALUE_INVALID */
  CK_ATTRIBUTE wrong_ulong = {CKA_CLASS, &yes, sizeof yes};
  CHECK(strcmp(encode(&wrong_ulong, 1), "rv 0x13") == 0);
  CK_ATTRIBUTE wrong_list = {CKA_ALLOWED_MECHANISMS, mechanisms, sizeof mechanisms - 1};
  CHECK(strcmp(encode(&wrong_list, 1), "rv 0x13") == 0);
  CK_ATTRIBUTE null_value = {CKA_LABEL, NULL, 3};
  CHECK(strcmp(encode(&null_value, 1), "rv 0x7") == 0);
  CK_ATTRIBUTE unknown[] = {{CKA_LABEL, "x", 1}, {CKA_VENDOR_DEFINED | 7, "x", 1}};
  CHECK(strcmp(encode(unknown, 2), "rv 0x12") == 0); /* CKR_ATTRIBUTE_TYPE_INVALID */
  CK_ATTRIBUTE not_spoken = {CKA_OTP_FORMAT, &length, sizeof length};
  CHECK(strcmp(encode(&not_spoken, 1), "rv 0x12") == 0);

  json_object *body = json_object_new_object();
  CHECK(coffer_template_add(body, "template", templ, 1) == CKR_OK);
  CHECK(coffer_template_add(body, "other", unknown, 2) == CKR_ATTRIBUTE_TYPE_INVALID);
  CHECK(strcmp(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
               "{\"template\":[{\"type\":0,\"value\":4}]}") == 0);
  json_object_put(body);

  CHECK(coffer_attribute_kind(CKA_CLASS, NULL) == 0);
  enum coffer_attribute_kind kind = COFFER_ATTR_BYTES;
  CHECK(coffer_attribute_kind(CKA_ALLOWED_MECHANISMS, &kind) == 0 && kind == COFFER_ATTR_ULONG_LIST);
  CHECK(coffer_attribute_kind(CKA_WRAP_WITH_TRUSTED, &kind) == 0 && kind == COFFER_ATTR_BOOL);
  CHECK(coffer_attribute_kind(CKA_VENDOR_DEFINED, &kind) == -1);
}

static json_object *answers(void) {
  return json_tokener_parse(
      "[{\"type\":0,\"value\":3},{\"type\":1,\"value\":true},{\"type\":3,\"value\":\"bGFiZWw=\"},"
      "{\"type\":17,\"error\":\"sensitive\"},{\"type\":384,\"error\":\"invalid\"},"
      "{\"type\":1073743360,\"value\":[4231,4226,64]},{\"type\":258,\"value\":\"\"},"
      "{\"type\":288,\"value\":\"AQID\"}]");
}

static void decoding(void) {
  json_object *answer = answers();
  CK_OBJECT_CLASS class = 99;
  CK_BBOOL token = 7;
  char label[16] = {0};
  CK_BYTE id[4];
  CK_ULONG mechanisms[3];
  CK_ATTRIBUTE all[] = {
      {CKA_CLASS, &class, sizeof class}, {CKA_TOKEN, &token, sizeof token},       {CKA_LABEL, label, sizeof label},
      {CKA_ID, id, sizeof id},           {CKA_ALLOWED_MECHANISMS, mechanisms, sizeof mechanisms},
  };
  CHECK(coffer_template_answer(answer, all, 5) == CKR_OK);
  CHECK(class == CKO_PRIVATE_KEY && all[0].ulValueLen == sizeof(CK_ULONG));
  CHECK(token == CK_TRUE && all[1].ulValueLen == 1);
  CHECK(all[2].ulValueLen == 5 && memcmp(label, "label", 5) == 0);
  CHECK(all[3].ulValueLen == 0);
  CHECK(all[4].ulValueLen == 3 * sizeof(CK_ULONG) && mechanisms[0] == CKM_AES_GCM && mechanisms[2] == CKM_SHA256_RSA_PKCS);

  /* No buffer: the sizes. */
  CK_ATTRIBUTE sizes[] = {{CKA_CLASS, NULL, 0}, {CKA_TOKEN, NULL, 0}, {CKA_LABEL, NULL, 0},
                          {CKA_ALLOWED_MECHANISMS, NULL, 0}, {CKA_MODULUS, NULL, 99}};
  CHECK(coffer_template_answer(answer, sizes, 5) == CKR_OK);
  CHECK(sizes[0].ulValueLen == sizeof(CK_ULONG) && sizes[1].ulValueLen == 1 && sizes[2].ulValueLen == 5);
  CHECK(sizes[3].ulValueLen == 3 * sizeof(CK_ULONG) && sizes[4].ulValueLen == 3);

  /* Too small a buffer, sensitive, invalid, absent: each marked, the others still answered. */
  char short_label[4] = {0};
  CK_BYTE value[32], params[32], modulus[3];
  CK_ATTRIBUTE mixed[] = {
      {CKA_LABEL, short_label, sizeof short_label}, {CKA_VALUE, value, sizeof value},
      {CKA_EC_PARAMS, params, sizeof params},       {CKA_SUBJECT, params, sizeof params},
      {CKA_VENDOR_DEFINED, params, sizeof params},  {CKA_MODULUS, modulus, sizeof modulus},
  };
  CHECK(coffer_template_answer(answer, mixed, 6) == CKR_BUFFER_TOO_SMALL);
  CHECK(mixed[0].ulValueLen == CK_UNAVAILABLE_INFORMATION && short_label[0] == 0);
  CHECK(mixed[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CHECK(mixed[2].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CHECK(mixed[3].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CHECK(mixed[4].ulValueLen == CK_UNAVAILABLE_INFORMATION);
  CHECK(mixed[5].ulValueLen == 3 && modulus[0] == 1 && modulus[2] == 3);
  CK_ATTRIBUTE sensitive_first[] = {{CKA_VALUE, value, sizeof value}, {CKA_LABEL, short_label, 1}};
  CHECK(coffer_template_answer(answer, sensitive_first, 2) == CKR_ATTRIBUTE_SENSITIVE);
  CK_ATTRIBUTE invalid_only = {CKA_EC_PARAMS, NULL, 0};
  CHECK(coffer_template_answer(answer, &invalid_only, 1) == CKR_ATTRIBUTE_TYPE_INVALID);
  CHECK(invalid_only.ulValueLen == CK_UNAVAILABLE_INFORMATION);
  json_object_put(answer);

  /* A malformed answer is the node's fault: CKR_DEVICE_ERROR, whatever else applies. */
  const char *broken[] = {
      "[{\"type\":0,\"value\":\"3\"}]", "[{\"type\":0,\"value\":-1}]", "[{\"type\":1,\"value\":1}]",
      "[{\"type\":3,\"value\":\"bad\"}]", "[{\"type\":3,\"value\":\"b*==\"}]", "[{\"type\":3}]",
      "[{\"type\":3,\"error\":\"other\"}]", "[{\"type\":1073743360,\"value\":[1,\"x\"]}]",
  };
  CK_ULONG ulong_value;
  CK_BBOOL bool_value;
  CK_ULONG list_value[2];
  CK_BYTE bytes_value[8];
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    json_object *bad = json_tokener_parse(broken[i]);
    CK_ATTRIBUTE templ[] = {{CKA_VALUE, bytes_value, sizeof bytes_value},
                            {CKA_CLASS, &ulong_value, sizeof ulong_value},
                            {CKA_TOKEN, &bool_value, sizeof bool_value},
                            {CKA_LABEL, bytes_value, sizeof bytes_value},
                            {CKA_ALLOWED_MECHANISMS, list_value, sizeof list_value}};
    CK_RV rv = coffer_template_answer(bad, templ, 5);
    if (rv != CKR_DEVICE_ERROR) printf("# broken answer %zu: 0x%lx\n", i, rv);
    CHECK(rv == CKR_DEVICE_ERROR);
    json_object_put(bad);
  }
  json_object *not_array = json_tokener_parse("{}");
  CHECK(coffer_template_answer(not_array, NULL, 0) == CKR_DEVICE_ERROR);
  json_object_put(not_array);
}

/* The configuration from the environment alone (no file). */
static CK_RV load(struct coffer_config *config, const char *endpoints, const char *zone) {
  unsetenv("COFFER_PKCS11_CONF");
  setenv("COFFER_PKCS11_ENDPOINTS", endpoints, 1);
  if (zone != NULL) setenv("COFFER_PKCS11_ZONE", zone, 1);
  else unsetenv("COFFER_PKCS11_ZONE");
  return coffer_config_load(config);
}

/* Endpoint i's URL and zone ("" for none) are these. */
static int endpoint_is(const struct coffer_config *config, size_t i, const char *url, const char *zone) {
  const char *got = config->endpoint_zones[i] != NULL ? config->endpoint_zones[i] : "";
  return i < config->endpoint_count && strcmp(config->endpoints[i], url) == 0 && strcmp(got, zone) == 0;
}

static void zones(void) {
  struct coffer_config config;
  CHECK_RV(load(&config, "https://a:1#z1,https://b:2/#z2,https://c:3,https://d:4#z2", "z2"), CKR_OK);
  CHECK(config.endpoint_count == 4 && strcmp(config.zone, "z2") == 0);
  CHECK(endpoint_is(&config, 0, "https://a:1", "z1") && endpoint_is(&config, 1, "https://b:2", "z2"));
  CHECK(endpoint_is(&config, 2, "https://c:3", "") && endpoint_is(&config, 3, "https://d:4", "z2"));
  coffer_config_free(&config);
  CHECK_RV(load(&config, "https://a:1#z1,https://b:2", NULL), CKR_OK);
  CHECK(config.zone == NULL && endpoint_is(&config, 0, "https://a:1", "z1") && endpoint_is(&config, 1, "https://b:2", ""));
  coffer_config_free(&config);
  unsetenv("COFFER_PKCS11_ENDPOINTS");
  unsetenv("COFFER_PKCS11_ZONE");
  /* In the file: an endpoint as {"url", "zone"}, and the client's zone. */
  char file[] = "/tmp/coffer-unit-conf-XXXXXX";
  int fd = mkstemp(file);
  FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
  CHECK(out != NULL);
  if (out == NULL) return;
  fputs("{\"endpoints\": [\"https://a:1#z1\", {\"url\": \"https://b:2\", \"zone\": \"z2\"}, {\"url\": \"https://c:3\"}],"
        " \"zone\": \"z2\"}",
        out);
  fclose(out);
  setenv("COFFER_PKCS11_CONF", file, 1);
  CHECK_RV(coffer_config_load(&config), CKR_OK);
  CHECK(endpoint_is(&config, 0, "https://a:1", "z1") && endpoint_is(&config, 1, "https://b:2", "z2"));
  CHECK(endpoint_is(&config, 2, "https://c:3", "") && strcmp(config.zone, "z2") == 0);
  coffer_config_free(&config);
  out = fopen(file, "w");
  if (out != NULL) {
    fputs("{\"endpoints\": [{\"url\": 7}]}", out);
    fclose(out);
  }
  CHECK_RV(coffer_config_load(&config), CKR_GENERAL_ERROR);
  unsetenv("COFFER_PKCS11_CONF");
  remove(file);
}

static void idempotent_writes(void) {
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/keys/generate"));
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/keys/generate-pair"));
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/keys/unwrap"));
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/keys/derive"));
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/objects"));
  CHECK(coffer_is_idempotent_write("POST", "/v1/pkcs11/objects/0x0000000000000001/copy"));
  CHECK(coffer_is_idempotent_write("PATCH", "/v1/pkcs11/objects/0x0000000000000001"));
  CHECK(coffer_is_idempotent_write("DELETE", "/v1/pkcs11/objects/0x0000000000000001"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/pkcs11/objects/find"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/pkcs11/objects/attributes"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/pkcs11/public/objects/find"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/sessions"));
  CHECK(!coffer_is_idempotent_write("DELETE", "/v1/sessions/current"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/keys/wrap"));
  CHECK(!coffer_is_idempotent_write("POST", "/v1/crypto/sign"));
  CHECK(!coffer_is_idempotent_write("DELETE", "/v1/pkcs11/objects/"));
  CHECK(!coffer_is_idempotent_write("GET", "/v1/pkcs11/objects/0x0000000000000001"));
  char first[COFFER_IDEMPOTENCY_HEADER_MAX], second[COFFER_IDEMPOTENCY_HEADER_MAX];
  CHECK_RV(coffer_idempotency_header(first), CKR_OK);
  CHECK_RV(coffer_idempotency_header(second), CKR_OK);
  CHECK(strncmp(first, "Idempotency-Key: ", 17) == 0 && strlen(first) == 17 + 32);
  CHECK(strspn(first + 17, "0123456789abcdef") == 32);
  CHECK(strcmp(first, second) != 0);
}

int main(void) {
  encoding();
  decoding();
  zones();
  idempotent_writes();
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
