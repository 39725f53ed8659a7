/* The hashes the addon signs with, by Node's (and OpenSSL's) names: one table. */
#include <string.h>

#include "native.h"

static const struct digest_row {
  const char *name;
  const EVP_MD *(*md)(void);
} DIGESTS[] = {
    {"sha1", EVP_sha1}, {"sha224", EVP_sha224}, {"sha256", EVP_sha256}, {"sha384", EVP_sha384}, {"sha512", EVP_sha512},
};

const EVP_MD *digest_of_name(const char *name) {
  for (size_t i = 0; i < sizeof DIGESTS / sizeof DIGESTS[0]; i++)
    if (strcmp(DIGESTS[i].name, name) == 0) return DIGESTS[i].md();
  return NULL;
}
