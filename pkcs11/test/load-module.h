/* The module loaded as an application loads it: dlopen, then C_GetFunctionList. */
#ifndef COFFER_TEST_LOAD_MODULE_H
#define COFFER_TEST_LOAD_MODULE_H

#include <dlfcn.h>
#include <stdio.h>

#include "coffer-pkcs11.h"

/* The module's handle (for dlsym and dlclose) with *list set, or NULL after saying why. */
static void *load_module(const char *path, CK_FUNCTION_LIST_PTR *list) {
  void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (module == NULL) {
    fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
    return NULL;
  }
  CK_RV (*get_function_list)(CK_FUNCTION_LIST_PTR_PTR) =
      (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(module, "C_GetFunctionList");
  if (get_function_list == NULL || get_function_list(list) != CKR_OK) {
    fprintf(stderr, "%s: no C_GetFunctionList, or it failed\n", path);
    dlclose(module);
    return NULL;
  }
  return module;
}

#endif
