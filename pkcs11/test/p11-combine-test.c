/*
 * Calls on many threads at once, which the module combines into batches (run with
 * COFFER_PKCS11_COMBINE_IN_FLIGHT=1, so that while one request is on its way the other threads'
 * calls queue and travel together). Eight threads, each on its own session of one login, call
 * at the same moment, round after round; each must get its own answer or its own error:
 *   threads 0-3  encrypt their own plaintext with a usable key, decrypt it back and compare,
 *                take random bytes (no two threads' alike), make a session key with a label of
 *                their own and find exactly that key by the label, then destroy it;
 *   thread 4     decrypts a ciphertext with a changed byte: CKR_ENCRYPTED_DATA_INVALID;
 *   thread 5     brings its own GCM IV, which the node's policy refuses: CKR_MECHANISM_PARAM_INVALID,
 *                and asks for a 7-byte AES key: CKR_KEY_SIZE_RANGE;
 *   thread 6     a key whose CKA_ENCRYPT its owner turned off after C_EncryptInit:
 *                CKR_KEY_FUNCTION_NOT_PERMITTED from C_Encrypt, then from C_EncryptInit;
 *   thread 7     a key its owner stopped sharing after C_EncryptInit: CKR_KEY_HANDLE_INVALID,
 *                from C_Encrypt, then from C_EncryptInit.
 * The handshakes with the TS test: the program prints "READY <n>" and waits for a line on stdin.
 *   READY 1  every thread's operation is initialized: the test changes the keys of threads 6, 7;
 *   READY 2  every thread's C_EncryptInit is done again: the test ends the login on the node;
 *            then every thread's C_Encrypt answers CKR_SESSION_HANDLE_INVALID.
 * argv[1] the module; COFFER_P11_TEST_USER_PIN the login's PIN; COFFER_P11_KEY_USABLE,
 * COFFER_P11_KEY_TURNED_OFF, COFFER_P11_KEY_UNSHARED the keys' handles (0x…).
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer-pkcs11.h"
#include "load-module.h"
#include "check.h"

#define THREADS 8
#define ROUNDS 12
#define DATA_BYTES 100
#define RANDOM_BYTES 32

static CK_FUNCTION_LIST_PTR p11;
static pthread_barrier_t start_line;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

enum role { ROUND_TRIP, TAMPERED, CALLER_IV, TURNED_OFF, UNSHARED };

struct worker {
  int index;
  enum role role;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE key;
  CK_BYTE iv[12];
  CK_GCM_PARAMS gcm;
  CK_MECHANISM mechanism;
  int failures;
  CK_BYTE random[RANDOM_BYTES];
};

static struct worker workers[THREADS];
static CK_BYTE tampered[DATA_BYTES + 16];
static CK_BYTE tampered_iv[12];

static const char *need(const char *variable) {
  const char *value = getenv(variable);
  if (value == NULL) {
    fprintf(stderr, "%s is not set\n", variable);
    exit(2);
  }
  return value;
}

static CK_OBJECT_HANDLE key_of(const char *variable) { return (CK_OBJECT_HANDLE)strtoull(need(variable), NULL, 16); }

/* A thread's check: counted in the thread, printed under a lock (one line at a time). */
static void expect(struct worker *w, int round, const char *what, CK_RV got, CK_RV want) {
  if (got == want) return;
  w->failures++;
  pthread_mutex_lock(&print_lock);
  printf("not ok - thread %d round %d: %s: got 0x%lx, want 0x%lx\n", w->index, round, what, got, want);
  pthread_mutex_unlock(&print_lock);
}

static void gcm(struct worker *w, const CK_BYTE *iv) {
  memcpy(w->iv, iv, sizeof w->iv);
  w->gcm = (CK_GCM_PARAMS){.pIv = w->iv, .ulIvLen = 12, .ulIvBits = 96, .pAAD = NULL, .ulAADLen = 0, .ulTagBits = 128};
  w->mechanism = (CK_MECHANISM){CKM_AES_GCM, &w->gcm, sizeof w->gcm};
}

/* The thread's operation before the start line: what `init` answers is checked by the caller. */
static CK_RV init(struct worker *w) {
  static const CK_BYTE zero[12] = {0};
  static const CK_BYTE caller[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  if (w->role == TAMPERED) {
    gcm(w, tampered_iv);
    return p11->C_DecryptInit(w->session, &w->mechanism, w->key);
  }
  gcm(w, w->role == CALLER_IV ? caller : zero);
  return p11->C_EncryptInit(w->session, &w->mechanism, w->key);
}

/* A session AES key of `length` bytes labelled `label`. */
static CK_RV generate(struct worker *w, const char *label, CK_ULONG length, CK_OBJECT_HANDLE *key) {
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE template[] = {
      {CKA_CLASS, &class, sizeof class},       {CKA_KEY_TYPE, &key_type, sizeof key_type},
      {CKA_VALUE_LEN, &length, sizeof length}, {CKA_TOKEN, &no, sizeof no},
      {CKA_ENCRYPT, &yes, sizeof yes},         {CKA_LABEL, (CK_VOID_PTR)label, (CK_ULONG)strlen(label)},
  };
  return p11->C_GenerateKey(w->session, &mechanism, template, sizeof template / sizeof template[0], key);
}

/* A key of the thread's own label, then a search by that label: exactly that key. */
static void generate_and_find(struct worker *w, int round) {
  char label[32];
  snprintf(label, sizeof label, "combine-%d-%d", w->index, round);
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE, found[2];
  CK_ULONG count = 0;
  expect(w, round, "C_GenerateKey", generate(w, label, 32, &key), CKR_OK);
  CK_ATTRIBUTE by_label = {CKA_LABEL, label, (CK_ULONG)strlen(label)};
  expect(w, round, "C_FindObjectsInit", p11->C_FindObjectsInit(w->session, &by_label, 1), CKR_OK);
  expect(w, round, "C_FindObjects", p11->C_FindObjects(w->session, found, 2, &count), CKR_OK);
  expect(w, round, "C_FindObjectsFinal", p11->C_FindObjectsFinal(w->session), CKR_OK);
  if (count != 1 || found[0] != key) expect(w, round, "its own key found, alone", CKR_GENERAL_ERROR, CKR_OK);
  expect(w, round, "C_DestroyObject", p11->C_DestroyObject(w->session, key), CKR_OK);
}

static void plaintext_of(const struct worker *w, int round, CK_BYTE out[DATA_BYTES]) {
  for (int i = 0; i < DATA_BYTES; i++) out[i] = (CK_BYTE)(w->index * 31 + round * 7 + i);
}

/* The call made at the start line, and what must follow from its answer. */
static void call(struct worker *w, int round) {
  CK_BYTE data[DATA_BYTES], out[DATA_BYTES + 16], back[DATA_BYTES];
  CK_ULONG length = sizeof out;
  plaintext_of(w, round, data);
  switch (w->role) {
    case ROUND_TRIP: {
      expect(w, round, "C_Encrypt", p11->C_Encrypt(w->session, data, DATA_BYTES, out, &length), CKR_OK);
      static const CK_BYTE zero[12] = {0};
      if (memcmp(w->iv, zero, sizeof zero) == 0) expect(w, round, "the node's IV written back", CKR_GENERAL_ERROR, CKR_OK);
      CK_BYTE iv[12];
      memcpy(iv, w->iv, sizeof iv);
      gcm(w, iv);
      expect(w, round, "C_DecryptInit", p11->C_DecryptInit(w->session, &w->mechanism, w->key), CKR_OK);
      CK_ULONG back_length = sizeof back;
      expect(w, round, "C_Decrypt", p11->C_Decrypt(w->session, out, length, back, &back_length), CKR_OK);
      if (back_length != DATA_BYTES || memcmp(back, data, DATA_BYTES) != 0)
        expect(w, round, "its own plaintext back", CKR_GENERAL_ERROR, CKR_OK);
      expect(w, round, "C_GenerateRandom", p11->C_GenerateRandom(w->session, w->random, RANDOM_BYTES), CKR_OK);
      generate_and_find(w, round);
      break;
    }
    case TAMPERED: {
      CK_ULONG back_length = sizeof back;
      expect(w, round, "C_Decrypt of a changed ciphertext",
             p11->C_Decrypt(w->session, tampered, sizeof tampered, back, &back_length), CKR_ENCRYPTED_DATA_INVALID);
      break;
    }
    case CALLER_IV: {
      expect(w, round, "C_Encrypt with the caller's IV", p11->C_Encrypt(w->session, data, DATA_BYTES, out, &length),
             CKR_MECHANISM_PARAM_INVALID);
      CK_OBJECT_HANDLE key;
      expect(w, round, "C_GenerateKey of 7 bytes", generate(w, "combine-short", 7, &key), CKR_KEY_SIZE_RANGE);
      break;
    }
    case TURNED_OFF:
    case UNSHARED: {
      CK_RV want = w->role == TURNED_OFF ? CKR_KEY_FUNCTION_NOT_PERMITTED : CKR_KEY_HANDLE_INVALID;
      expect(w, round, "C_Encrypt with the changed key", p11->C_Encrypt(w->session, data, DATA_BYTES, out, &length),
             want);
      /* The node's refusal is news about the key: the next C_EncryptInit answers it at once. */
      expect(w, round, "C_EncryptInit again", init(w), want);
      break;
    }
  }
}

static void *run(void *argument) {
  struct worker *w = argument;
  for (int round = 0; round < ROUNDS; round++) {
    /* Round 0's operations were initialized before READY 1; a changed key's stay refused. */
    if (round > 0 && w->role != TURNED_OFF && w->role != UNSHARED) expect(w, round, "init", init(w), CKR_OK);
    pthread_barrier_wait(&start_line);
    if (round == 0 || (w->role != TURNED_OFF && w->role != UNSHARED)) call(w, round);
    pthread_barrier_wait(&start_line); /* the round's random bytes are compared here */
    pthread_barrier_wait(&start_line);
  }
  return NULL;
}

static void *run_lost(void *argument) {
  struct worker *w = argument;
  CK_BYTE data[DATA_BYTES] = {0}, out[DATA_BYTES + 16];
  CK_ULONG length = sizeof out;
  pthread_barrier_wait(&start_line);
  expect(w, 0, "C_Encrypt after the login ended", p11->C_Encrypt(w->session, data, DATA_BYTES, out, &length),
         CKR_SESSION_HANDLE_INVALID);
  return NULL;
}

static void wait_for_go(int phase) {
  printf("READY %d\n", phase);
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("not ok - no go-ahead on stdin\n");
    exit(1);
  }
}

static int total_failures(void) {
  int sum = 0;
  for (int i = 0; i < THREADS; i++) sum += workers[i].failures;
  return sum;
}

/* A ciphertext of the usable key, one byte changed: the node's tag check must refuse it. */
static void make_tampered(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key) {
  struct worker maker = {.session = session, .key = key};
  CK_BYTE data[DATA_BYTES] = {0};
  CK_ULONG length = sizeof tampered;
  CHECK_RV(init(&maker), CKR_OK);
  CHECK_RV(p11->C_Encrypt(session, data, DATA_BYTES, tampered, &length), CKR_OK);
  memcpy(tampered_iv, maker.iv, sizeof tampered_iv);
  tampered[3] ^= 0x01;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <module.so>\n", argv[0]);
    return 2;
  }
  void *module = load_module(argv[1], &p11);
  if (module == NULL) return 2;
  CK_OBJECT_HANDLE usable = key_of("COFFER_P11_KEY_USABLE");
  static const enum role roles[THREADS] = {ROUND_TRIP, ROUND_TRIP, ROUND_TRIP, ROUND_TRIP,
                                           TAMPERED,   CALLER_IV,  TURNED_OFF, UNSHARED};
  CHECK_RV(p11->C_Initialize(NULL), CKR_OK);
  const char *pin = need("COFFER_P11_TEST_USER_PIN");
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (struct worker){.index = i, .role = roles[i], .key = usable};
    CHECK_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &workers[i].session), CKR_OK);
  }
  workers[6].key = key_of("COFFER_P11_KEY_TURNED_OFF");
  workers[7].key = key_of("COFFER_P11_KEY_UNSHARED");
  CHECK_RV(p11->C_Login(workers[0].session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)), CKR_OK);
  make_tampered(workers[0].session, usable);
  int initialized = 1;
  for (int i = 0; i < THREADS; i++) initialized &= init(&workers[i]) == CKR_OK;
  CHECK(initialized);

  wait_for_go(1);
  pthread_barrier_init(&start_line, NULL, THREADS + 1);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, run, &workers[i]);
  int distinct = 1;
  for (int round = 0; round < ROUNDS; round++) {
    pthread_barrier_wait(&start_line);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < THREADS; i++)
      for (int j = i + 1; j < THREADS; j++)
        if (roles[i] == ROUND_TRIP && roles[j] == ROUND_TRIP &&
            memcmp(workers[i].random, workers[j].random, RANDOM_BYTES) == 0)
          distinct = 0;
    pthread_barrier_wait(&start_line);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  CHECK(total_failures() == 0); /* every thread got its own answers and its own errors, every round */
  CHECK(distinct);              /* no two threads were handed the same random bytes */

  /* The login ends on the node while every thread's operation is ready. */
  int ready = 1;
  for (int i = 0; i < THREADS; i++) {
    workers[i].key = usable;
    workers[i].role = ROUND_TRIP;
    ready &= init(&workers[i]) == CKR_OK;
  }
  CHECK(ready);
  wait_for_go(2);
  pthread_barrier_destroy(&start_line);
  pthread_barrier_init(&start_line, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, run_lost, &workers[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  CHECK(total_failures() == 0); /* every call of the lost login: CKR_SESSION_HANDLE_INVALID */
  CK_SESSION_INFO info;
  CHECK_RV(p11->C_GetSessionInfo(workers[0].session, &info), CKR_SESSION_HANDLE_INVALID);
  pthread_barrier_destroy(&start_line);

  CHECK_RV(p11->C_Finalize(NULL), CKR_OK);
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
