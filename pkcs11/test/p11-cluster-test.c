/*
 * The module against several nodes, through dlopen as an application loads it. It logs in on
 * THREADS read-write sessions and prints READY; then, for each line on stdin, THREADS threads
 * each make CALLS calls at once, it checks that every call succeeded and prints "ROUND <n>";
 * at the end of stdin it finalizes. The test decides between rounds what the nodes do (seal
 * one, unseal it) and counts from the nodes' audit where each round's calls ran. The calls:
 *   token     C_GenerateKey of a token AES key;
 *   session   C_GenerateKey of a session key (held by one node only), then with it a C_Encrypt,
 *             a multi-part C_EncryptUpdate/C_EncryptFinal, and a C_FindObjects that finds it.
 * argv[1] the module, argv[2] token|session; COFFER_P11_TEST_USER_PIN a `user:password` PIN.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer-pkcs11.h"

#define THREADS 6
#define CALLS 6

static int failures;
static CK_FUNCTION_LIST_PTR p11;

#define CHECK(condition, what)                           \
  do {                                                   \
    if (!(condition)) {                                  \
      failures++;                                        \
      printf("not ok - %s (line %d)\n", what, __LINE__); \
    } else {                                             \
      printf("ok - %s\n", what);                         \
    }                                                    \
  } while (0)

struct caller {
  int index;
  CK_SESSION_HANDLE session;
  int made;
  CK_RV last; /* the last call's answer when it failed */
};

static pthread_barrier_t start_together;
static int session_calls; /* the session mode */

/* A session key, then single-part, multi-part and a search with it: CKR_OK or the first error. */
static CK_RV use_a_session_key(CK_SESSION_HANDLE session, int index) {
  CK_MECHANISM generate = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE;
  char label[32];
  snprintf(label, sizeof label, "session-%d", index);
  CK_ATTRIBUTE template[] = {
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_LABEL, label, (CK_ULONG)strlen(label)},
  };
  CK_OBJECT_HANDLE key;
  CK_RV rv = p11->C_GenerateKey(session, &generate, template, 3, &key);
  CK_BYTE iv[16] = {1, 2, 3}, message[40] = "spread over nodes, held by one", out[128];
  CK_MECHANISM cbc = {CKM_AES_CBC_PAD, iv, sizeof iv};
  CK_ULONG out_length = sizeof out;
  if (rv == CKR_OK) rv = p11->C_EncryptInit(session, &cbc, key);
  if (rv == CKR_OK) rv = p11->C_Encrypt(session, message, sizeof message, out, &out_length);
  CK_ULONG piece = sizeof out;
  if (rv == CKR_OK) rv = p11->C_EncryptInit(session, &cbc, key);
  if (rv == CKR_OK) rv = p11->C_EncryptUpdate(session, message, 20, out, &piece);
  if (rv == CKR_OK) rv = (piece = sizeof out, p11->C_EncryptUpdate(session, message + 20, 20, out, &piece));
  if (rv == CKR_OK) rv = (piece = sizeof out, p11->C_EncryptFinal(session, out, &piece));
  CK_ATTRIBUTE by_label = {CKA_LABEL, label, (CK_ULONG)strlen(label)};
  CK_OBJECT_HANDLE found[2];
  CK_ULONG count = 0;
  if (rv == CKR_OK) rv = p11->C_FindObjectsInit(session, &by_label, 1);
  if (rv == CKR_OK) rv = p11->C_FindObjects(session, found, 2, &count);
  if (rv == CKR_OK) rv = p11->C_FindObjectsFinal(session);
  if (rv == CKR_OK && (count != 1 || found[0] != key)) rv = CKR_GENERAL_ERROR;
  if (rv == CKR_OK) rv = p11->C_DestroyObject(session, key);
  return rv;
}

static void *make_keys(void *argument) {
  struct caller *caller = argument;
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE;
  char label[] = "cluster";
  CK_ATTRIBUTE template[] = {
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_LABEL, label, sizeof label - 1},
  };
  pthread_barrier_wait(&start_together);
  for (int i = 0; i < CALLS; i++) {
    CK_OBJECT_HANDLE key;
    CK_RV rv = session_calls ? use_a_session_key(caller->session, caller->index * CALLS + i)
                             : p11->C_GenerateKey(caller->session, &mechanism, template,
                                                  sizeof template / sizeof template[0], &key);
    if (rv == CKR_OK) caller->made++;
    else caller->last = rv;
  }
  return NULL;
}

static void round_of_calls(struct caller callers[THREADS], int round) {
  pthread_t threads[THREADS];
  pthread_barrier_init(&start_together, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    callers[i].made = 0;
    callers[i].last = CKR_OK;
    pthread_create(&threads[i], NULL, make_keys, &callers[i]);
  }
  int made = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    made += callers[i].made;
    if (callers[i].last != CKR_OK) printf("# round %d, thread %d: 0x%lx\n", round, i, callers[i].last);
  }
  pthread_barrier_destroy(&start_together);
  char what[64];
  snprintf(what, sizeof what, "round %d: all %d calls succeeded", round, THREADS * CALLS);
  CHECK(made == THREADS * CALLS, what);
  printf("ROUND %d\n", round);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[2], "token") != 0 && strcmp(argv[2], "session") != 0)) {
    fprintf(stderr, "usage: %s <module.so> token|session\n", argv[0]);
    return 2;
  }
  session_calls = strcmp(argv[2], "session") == 0;
  const char *pin = getenv("COFFER_P11_TEST_USER_PIN");
  if (pin == NULL) {
    fprintf(stderr, "COFFER_P11_TEST_USER_PIN is not set\n");
    return 2;
  }
  void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  CK_RV (*get_function_list)(CK_FUNCTION_LIST_PTR_PTR) =
      module == NULL ? NULL : (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(module, "C_GetFunctionList");
  if (get_function_list == NULL || get_function_list(&p11) != CKR_OK) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  CHECK(p11->C_Initialize(NULL) == CKR_OK, "C_Initialize");
  struct caller callers[THREADS];
  int opened = 1;
  for (int i = 0; i < THREADS; i++) {
    callers[i].index = i;
    opened &= p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &callers[i].session) == CKR_OK;
  }
  CHECK(opened, "read-write sessions");
  CHECK(p11->C_Login(callers[0].session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) == CKR_OK,
        "logged in");
  printf("READY\n");
  fflush(stdout);
  char line[16];
  for (int round = 1; fgets(line, sizeof line, stdin) != NULL; round++) round_of_calls(callers, round);
  CHECK(p11->C_CloseAllSessions(0) == CKR_OK, "C_CloseAllSessions");
  CHECK(p11->C_Finalize(NULL) == CKR_OK, "C_Finalize");
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
