#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* OpenSSL's cleanse: memset's speed (a byte loop through a volatile pointer costs more than a
   request's parsing), and a store the compiler may not drop. */
void coffer_wipe(void *buffer, size_t length) {
  if (length > 0) OPENSSL_cleanse(buffer, length);
}

void coffer_free_secret(char *secret) {
  if (secret == NULL) return;
  coffer_wipe(secret, strlen(secret));
  free(secret);
}

void coffer_pad(CK_UTF8CHAR *field, size_t width, const char *text) {
  size_t length = strlen(text);
  if (length > width) length = width;
  memset(field, ' ', width);
  memcpy(field, text, length);
}

static int sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int coffer_base64_decode(const char *text, unsigned char *out, size_t capacity, size_t *length) {
  size_t n = strlen(text), written = 0;
  if (n % 4 != 0) return -1;
  for (size_t i = 0; i < n; i += 4) {
    int a = sextet((unsigned char)text[i]), b = sextet((unsigned char)text[i + 1]);
    int last = i + 4 == n;
    int pad3 = last && text[i + 2] == '=', pad4 = last && text[i + 3] == '=';
    int c = pad3 ? 0 : sextet((unsigned char)text[i + 2]), d = pad4 ? 0 : sextet((unsigned char)text[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0 || (pad3 && !pad4)) return -1;
    unsigned long group = ((unsigned long)a << 18) | ((unsigned long)b << 12) | ((unsigned long)c << 6) | (unsigned long)d;
    size_t bytes = pad3 ? 1 : pad4 ? 2 : 3;
    if (written + bytes > capacity) return -1;
    out[written++] = (unsigned char)(group >> 16);
    if (bytes > 1) out[written++] = (unsigned char)(group >> 8);
    if (bytes > 2) out[written++] = (unsigned char)group;
  }
  *length = written;
  return 0;
}

size_t coffer_base64_encode_into(const unsigned char *data, size_t length, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *start = out;
  for (size_t i = 0; i < length; i += 3) {
    size_t left = length - i;
    unsigned long group = (unsigned long)data[i] << 16;
    if (left > 1) group |= (unsigned long)data[i + 1] << 8;
    if (left > 2) group |= data[i + 2];
    *out++ = alphabet[(group >> 18) & 63];
    *out++ = alphabet[(group >> 12) & 63];
    *out++ = left > 1 ? alphabet[(group >> 6) & 63] : '=';
    *out++ = left > 2 ? alphabet[group & 63] : '=';
  }
  *out = '\0';
  return (size_t)(out - start);
}

char *coffer_base64_encode(const unsigned char *data, size_t length) {
  char *text = malloc(COFFER_BASE64_LENGTH(length) + 1);
  if (text != NULL) coffer_base64_encode_into(data, length, text);
  return text;
}

void coffer_handle_format(CK_OBJECT_HANDLE handle, char text[COFFER_HANDLE_TEXT]) {
  snprintf(text, COFFER_HANDLE_TEXT, "0x%016llx", (unsigned long long)handle);
}

int coffer_handle_parse(const char *text, CK_OBJECT_HANDLE *handle) {
  if (text == NULL || strncmp(text, "0x", 2) != 0 || strlen(text) != COFFER_HANDLE_TEXT - 1) return -1;
  unsigned long long value = 0;
  for (const char *c = text + 2; *c != '\0'; c++) {
    int digit = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
    if (digit < 0) return -1;
    value = value << 4 | (unsigned long long)digit;
  }
  if (value == 0 || value > (unsigned long long)(CK_OBJECT_HANDLE)~0UL) return -1;
  *handle = (CK_OBJECT_HANDLE)value;
  return 0;
}
