/* Loads any PKCS#11 module by path (dlopen + C_GetFunctionList), starts it, logs in. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* A blank-padded PKCS#11 text field as a C string. */
static void unpad(char *out, size_t size, const CK_UTF8CHAR *field, size_t width) {
  while (width > 0 && field[width - 1] == ' ') width--;
  if (width >= size) width = size - 1;
  memcpy(out, field, width);
  out[width] = '\0';
}

int module_load(struct module *module, const char *path, struct first_error *error) {
  memset(module, 0, sizeof *module);
  module->library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (module->library == NULL) {
    char text[PKPSPEED_ERROR_TEXT];
    snprintf(text, sizeof text, "dlopen: %s", dlerror());
    return record_failure(error, text);
  }
  CK_C_GetFunctionList get_function_list = NULL;
  /* POSIX: a function pointer may be read through a void * from dlsym. */
  *(void **)&get_function_list = dlsym(module->library, "C_GetFunctionList");
  if (get_function_list == NULL) {
    module_unload(module);
    return record_failure(error, "the module has no C_GetFunctionList");
  }
  CK_RV rv = get_function_list(&module->p11);
  if (rv != CKR_OK || module->p11 == NULL) {
    module_unload(module);
    return record_error(error, "C_GetFunctionList", rv == CKR_OK ? CKR_GENERAL_ERROR : rv);
  }
  return 0;
}

void module_unload(struct module *module) {
  if (module->library != NULL) dlclose(module->library);
  module->library = NULL;
  module->p11 = NULL;
}

static int choose_slot(struct module *module, const struct config *config, struct first_error *error) {
  CK_SLOT_ID slots[64];
  CK_ULONG count = sizeof slots / sizeof slots[0];
  CK_RV rv = module->p11->C_GetSlotList(CK_TRUE, slots, &count);
  if (rv != CKR_OK) return record_error(error, "C_GetSlotList", rv);
  for (CK_ULONG i = 0; i < count; i++)
    if (!config->has_slot || slots[i] == config->slot) {
      module->slot = slots[i];
      return 0;
    }
  return record_failure(error, config->has_slot ? "no token in the slot asked for" : "no slot with a token");
}

int module_start(struct module *module, const struct config *config, struct first_error *error) {
  CK_C_INITIALIZE_ARGS args;
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = module->p11->C_Initialize(&args);
  if (rv != CKR_OK) return record_error(error, "C_Initialize", rv);
  if (module->label[0] == '\0') {
    CK_INFO info;
    rv = module->p11->C_GetInfo(&info);
    if (rv != CKR_OK) {
      module->p11->C_Finalize(NULL);
      return record_error(error, "C_GetInfo", rv);
    }
    char description[sizeof info.libraryDescription + 1], manufacturer[sizeof info.manufacturerID + 1];
    unpad(description, sizeof description, info.libraryDescription, sizeof info.libraryDescription);
    unpad(manufacturer, sizeof manufacturer, info.manufacturerID, sizeof info.manufacturerID);
    snprintf(module->label, sizeof module->label, "%s %u.%u (%s)", description, info.libraryVersion.major,
             info.libraryVersion.minor, manufacturer);
    if (choose_slot(module, config, error) != 0) {
      module->p11->C_Finalize(NULL);
      return -1;
    }
  }
  return 0;
}

int module_login(struct module *module, const struct config *config, CK_SESSION_HANDLE *session,
                 struct first_error *error) {
  *session = CK_INVALID_HANDLE;
  CK_RV rv = module->p11->C_OpenSession(module->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, session);
  if (rv != CKR_OK) {
    *session = CK_INVALID_HANDLE;
    return record_error(error, "C_OpenSession (login)", rv);
  }
  rv = module->p11->C_Login(*session, CKU_USER, (CK_UTF8CHAR_PTR)config->pin, (CK_ULONG)strlen(config->pin));
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return record_error(error, "C_Login", rv);
  return 0;
}

void module_stop(struct module *module, CK_SESSION_HANDLE session) {
  if (session != CK_INVALID_HANDLE) {
    module->p11->C_Logout(session);
    module->p11->C_CloseSession(session);
  }
  module->p11->C_Finalize(NULL);
}
