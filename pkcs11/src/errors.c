/* The node's error codes → CKR_ values: one table, generated from the error registry. */
#include <string.h>

#include "internal.h"

struct coffer_error_row {
  const char *code;
  CK_RV ckr;
};

#include "errors-table.h"

CK_RV coffer_ckr_of(const char *code) {
  if (code == NULL) return CKR_DEVICE_ERROR;
  for (size_t i = 0; i < sizeof COFFER_ERRORS / sizeof COFFER_ERRORS[0]; i++)
    if (strcmp(COFFER_ERRORS[i].code, code) == 0) return COFFER_ERRORS[i].ckr;
  return CKR_FUNCTION_FAILED;
}
