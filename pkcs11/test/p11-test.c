/*
 * The module's own checks, through dlopen as an application loads it: argument handling,
 * length queries, session and login states, the fork rule, threads. Run against a real node by
 * test/pkcs11-module.test.ts: argv[1] is the module; COFFER_PKCS11_CONF names the node;
 * COFFER_P11_TEST_USER_PIN and COFFER_P11_TEST_SO_PIN are `user:password` PINs.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coffer-pkcs11.h"
#include "load-module.h"
#include "check.h"

static CK_FUNCTION_LIST_PTR p11;

static CK_RV fake_create(CK_VOID_PTR_PTR mutex) { (void)mutex; return CKR_OK; }
static CK_RV fake_mutex(CK_VOID_PTR mutex) { (void)mutex; return CKR_OK; }

static CK_UTF8CHAR_PTR pin_of(const char *variable, CK_ULONG *length) {
  const char *pin = getenv(variable);
  if (pin == NULL) {
    fprintf(stderr, "%s is not set\n", variable);
    exit(2);
  }
  *length = (CK_ULONG)strlen(pin);
  return (CK_UTF8CHAR_PTR)pin;
}

static void before_initialize(void) {
  CK_INFO info;
  CK_ULONG count = 0;
  CHECK_RV(p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_GetSlotList(CK_TRUE, NULL, &count), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_FindObjectsFinal(1), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);

  CK_C_INITIALIZE_ARGS args = {0};
  args.pReserved = &args;
  CHECK_RV(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
  memset(&args, 0, sizeof args);
  args.CreateMutex = fake_create;
  CHECK_RV(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
  args.DestroyMutex = fake_mutex;
  args.LockMutex = fake_mutex;
  args.UnlockMutex = fake_mutex;
  CHECK_RV(p11->C_Initialize(&args), CKR_CANT_LOCK);
}

static void interfaces(void *module) {
  CK_RV (*get_list)(CK_INTERFACE_PTR, CK_ULONG_PTR) = (CK_RV(*)(CK_INTERFACE_PTR, CK_ULONG_PTR))dlsym(module, "C_GetInterfaceList");
  CK_RV (*get)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS) =
      (CK_RV(*)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS))dlsym(module, "C_GetInterface");
  CHECK(get_list != NULL && get != NULL);
  if (get_list == NULL || get == NULL) return;
  CK_ULONG count = 0;
  CHECK_RV(get_list(NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(get_list(NULL, &count), CKR_OK);
  CHECK(count == 1);
  CK_INTERFACE list[2];
  count = 0;
  CHECK_RV(get_list(list, &count), CKR_BUFFER_TOO_SMALL);
  CHECK(count == 1);
  count = 2;
  CHECK_RV(get_list(list, &count), CKR_OK);
  CHECK(count == 1 && strcmp((char *)list[0].pInterfaceName, "PKCS 11") == 0 && list[0].pFunctionList == p11);
  CK_INTERFACE_PTR found = NULL;
  CHECK_RV(get(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV(get(NULL, NULL, &found, 0), CKR_OK);
  CHECK(found != NULL && found->pFunctionList == p11);
  CHECK_RV(get((CK_UTF8CHAR_PTR) "PKCS 11", &(CK_VERSION){2, 40}, &found, 0), CKR_OK);
  CHECK_RV(get((CK_UTF8CHAR_PTR) "Vendor", NULL, &found, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV(get(NULL, &(CK_VERSION){3, 0}, &found, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV(get(NULL, NULL, &found, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD);
}

static void slots_and_mechanisms(void) {
  CK_INFO info;
  CHECK_RV(p11->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetInfo(&info), CKR_OK);
  CHECK(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40);
  CHECK(memcmp(info.manufacturerID, "Coffer ", 7) == 0);

  CK_ULONG count = 0;
  CK_SLOT_ID slots[2];
  CHECK_RV(p11->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetSlotList(CK_TRUE, NULL, &count), CKR_OK);
  CHECK(count == 1);
  count = 0;
  CHECK_RV(p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_BUFFER_TOO_SMALL);
  CHECK(count == 1);
  count = 2;
  CHECK_RV(p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_OK);
  CHECK(count == 1 && slots[0] == 0);

  CK_SLOT_INFO slot;
  CHECK_RV(p11->C_GetSlotInfo(7, &slot), CKR_SLOT_ID_INVALID);
  CHECK_RV(p11->C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetSlotInfo(0, &slot), CKR_OK);
  CHECK(slot.flags & CKF_TOKEN_PRESENT);

  CK_TOKEN_INFO token;
  CHECK_RV(p11->C_GetTokenInfo(7, &token), CKR_SLOT_ID_INVALID);
  CHECK_RV(p11->C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetTokenInfo(0, &token), CKR_OK);
  CHECK(memcmp(token.label, "Coffer ", 7) == 0);
  CHECK((token.flags & (CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED)) ==
        (CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED));

  CK_ULONG mechanisms = 0;
  CHECK_RV(p11->C_GetMechanismList(7, NULL, &mechanisms), CKR_SLOT_ID_INVALID);
  CHECK_RV(p11->C_GetMechanismList(0, NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetMechanismList(0, NULL, &mechanisms), CKR_OK);
  CHECK(mechanisms > 10);
  CK_MECHANISM_TYPE types[128];
  count = 1;
  CHECK_RV(p11->C_GetMechanismList(0, types, &count), CKR_BUFFER_TOO_SMALL);
  CHECK(count == mechanisms);
  count = 128;
  CHECK_RV(p11->C_GetMechanismList(0, types, &count), CKR_OK);
  int has_gcm = 0;
  for (CK_ULONG i = 0; i < count; i++) has_gcm |= types[i] == CKM_AES_GCM;
  CHECK(has_gcm);
  CK_MECHANISM_INFO mechanism;
  CHECK_RV(p11->C_GetMechanismInfo(0, CKM_AES_GCM, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetMechanismInfo(0, CKM_MD5, &mechanism), CKR_MECHANISM_INVALID);
  CHECK_RV(p11->C_GetMechanismInfo(0, CKM_AES_GCM, &mechanism), CKR_OK);
  CHECK(mechanism.ulMinKeySize == 16 && mechanism.ulMaxKeySize == 32);
  CHECK(mechanism.flags == (CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP));
  CHECK_RV(p11->C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS, &mechanism), CKR_OK);
  CHECK(mechanism.ulMinKeySize == 2048 && mechanism.flags == (CKF_SIGN | CKF_VERIFY));
}

static CK_STATE state_of(CK_SESSION_HANDLE session) {
  CK_SESSION_INFO info = {0};
  CK_RV rv = p11->C_GetSessionInfo(session, &info);
  return rv == CKR_OK ? info.state : (CK_STATE)~0UL;
}

static int nonzero(const CK_BYTE *bytes, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (bytes[i] != 0) return 1;
  return 0;
}

static void sessions_and_login(void) {
  CK_ULONG user_length, so_length;
  CK_UTF8CHAR_PTR user_pin = pin_of("COFFER_P11_TEST_USER_PIN", &user_length);
  CK_UTF8CHAR_PTR so_pin = pin_of("COFFER_P11_TEST_SO_PIN", &so_length);
  CK_SESSION_HANDLE ro, rw;
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_OpenSession(0, 0, NULL, NULL, &ro), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  CHECK_RV(p11->C_OpenSession(3, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_SLOT_ID_INVALID);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
  CHECK(ro != CK_INVALID_HANDLE && rw != ro);
  CHECK_RV(p11->C_GetSessionInfo(ro, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GetSessionInfo(9999, &(CK_SESSION_INFO){0}), CKR_SESSION_HANDLE_INVALID);
  CHECK(state_of(ro) == CKS_RO_PUBLIC_SESSION);
  CHECK(state_of(rw) == CKS_RW_PUBLIC_SESSION);

  CK_BYTE random[70000];
  CHECK_RV(p11->C_GenerateRandom(ro, random, 32), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_Login(9999, CKU_USER, user_pin, user_length), CKR_SESSION_HANDLE_INVALID);
  CHECK_RV(p11->C_Login(ro, 7, user_pin, user_length), CKR_USER_TYPE_INVALID);
  CHECK_RV(p11->C_Login(ro, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR) "no-colon", 8), CKR_PIN_INCORRECT);
  CHECK_RV(p11->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR) "nobody:wrong-password", 21), CKR_PIN_INCORRECT);
  CHECK_RV(p11->C_Login(ro, CKU_SO, so_pin, so_length), CKR_SESSION_READ_ONLY_EXISTS);
  CHECK_RV(p11->C_Login(ro, CKU_USER, so_pin, so_length), CKR_USER_TYPE_INVALID);
  CHECK_RV(p11->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);

  CHECK_RV(p11->C_Login(ro, CKU_USER, user_pin, user_length), CKR_OK);
  CHECK(state_of(ro) == CKS_RO_USER_FUNCTIONS);
  CHECK(state_of(rw) == CKS_RW_USER_FUNCTIONS);
  CHECK_RV(p11->C_Login(rw, CKU_USER, user_pin, user_length), CKR_USER_ALREADY_LOGGED_IN);
  CHECK_RV(p11->C_Login(rw, CKU_SO, so_pin, so_length), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
  CHECK_RV(p11->C_GenerateRandom(ro, NULL, 32), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_GenerateRandom(ro, NULL, 0), CKR_OK);
  memset(random, 0, sizeof random);
  CHECK_RV(p11->C_GenerateRandom(ro, random, 32), CKR_OK);
  CHECK(nonzero(random, 32));
  CHECK_RV(p11->C_GenerateRandom(rw, random, sizeof random), CKR_OK);
  CHECK(nonzero(random + 65536, sizeof random - 65536));
  CHECK_RV(p11->C_SeedRandom(ro, random, 8), CKR_RANDOM_SEED_NOT_SUPPORTED);
  CHECK_RV(p11->C_GetFunctionStatus(ro), CKR_FUNCTION_NOT_PARALLEL);

  /* The fork rule: the child must initialize again, and cannot touch the parent's login. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int bad = 0;
    CK_INFO info;
    CK_SESSION_INFO session;
    bad |= p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED;
    bad |= p11->C_GetSessionInfo(ro, &session) != CKR_CRYPTOKI_NOT_INITIALIZED;
    bad |= p11->C_GenerateRandom(ro, random, 16) != CKR_CRYPTOKI_NOT_INITIALIZED;
    bad |= p11->C_Initialize(NULL) != CKR_OK;
    bad |= p11->C_GetSessionInfo(ro, &session) != CKR_SESSION_HANDLE_INVALID;
    bad |= p11->C_GetInfo(&info) != CKR_OK;
    bad |= p11->C_Finalize(NULL) != CKR_OK;
    _exit(bad);
  }
  int status = -1;
  CHECK(child > 0 && waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_RV(p11->C_GenerateRandom(ro, random, 16), CKR_OK); /* the parent's login survived the child */

  CHECK_RV(p11->C_Logout(rw), CKR_OK);
  CHECK(state_of(ro) == CKS_RO_PUBLIC_SESSION);
  CHECK_RV(p11->C_GenerateRandom(ro, random, 16), CKR_USER_NOT_LOGGED_IN);
  CHECK_RV(p11->C_CloseSession(ro), CKR_OK);
  CHECK_RV(p11->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);

  CHECK_RV(p11->C_Login(rw, CKU_SO, so_pin, so_length), CKR_OK);
  CHECK(state_of(rw) == CKS_RW_SO_FUNCTIONS);
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_SESSION_READ_WRITE_SO_EXISTS);
  CHECK_RV(p11->C_CloseAllSessions(3), CKR_SLOT_ID_INVALID);
  CHECK_RV(p11->C_CloseAllSessions(0), CKR_OK);
  CHECK_RV(p11->C_GetSessionInfo(rw, &(CK_SESSION_INFO){0}), CKR_SESSION_HANDLE_INVALID);
  /* Closing the last session logged the SO out: a new session is public. */
  CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
  CHECK(state_of(ro) == CKS_RO_PUBLIC_SESSION);
}

#define THREADS 4
static const char *thread_pin;

static void *thread_main(void *unused) {
  (void)unused;
  CK_SESSION_HANDLE session;
  CK_BYTE bytes[64];
  if (p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &session) != CKR_OK) return (void *)1;
  CK_RV login = p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)thread_pin, (CK_ULONG)strlen(thread_pin));
  if (login != CKR_OK && login != CKR_USER_ALREADY_LOGGED_IN) return (void *)2;
  for (int i = 0; i < 5; i++)
    if (p11->C_GenerateRandom(session, bytes, sizeof bytes) != CKR_OK) return (void *)3;
  return NULL;
}

static void threads(void) {
  thread_pin = getenv("COFFER_P11_TEST_USER_PIN");
  pthread_t ids[THREADS];
  for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&ids[i], NULL, thread_main, NULL) == 0);
  for (int i = 0; i < THREADS; i++) {
    void *result = (void *)9;
    pthread_join(ids[i], &result);
    CHECK(result == NULL);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <module.so>\n", argv[0]);
    return 2;
  }
  void *module = load_module(argv[1], &p11);
  if (module == NULL) return 2;
  CHECK(p11->version.major == 2 && p11->version.minor == 40);
  before_initialize();
  interfaces(module);
  CK_C_INITIALIZE_ARGS args = {0};
  args.flags = CKF_OS_LOCKING_OK;
  CHECK_RV(p11->C_Initialize(&args), CKR_OK);
  CHECK_RV(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  slots_and_mechanisms();
  sessions_and_login();
  threads();
  CHECK_RV(p11->C_Finalize(&args), CKR_ARGUMENTS_BAD);
  CHECK_RV(p11->C_Finalize(NULL), CKR_OK);
  CHECK_RV(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV(p11->C_Initialize(NULL), CKR_OK);
  CHECK_RV(p11->C_Finalize(NULL), CKR_OK);
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
