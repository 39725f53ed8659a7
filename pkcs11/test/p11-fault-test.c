/*
 * The module under faults, through dlopen as an application loads it. One mode per run:
 *   close-race    sessions closed while other threads are calling on them: every call ends
 *                 (CKR_OK before, CKR_SESSION_HANDLE_INVALID after), nothing is freed twice;
 *   restart       logs in, prints READY, waits for a line on stdin (the node restarts
 *                 meanwhile), then: the old sessions answer CKR_SESSION_HANDLE_INVALID and a
 *                 new session logs in again;
 *   unreachable   no endpoint answers: calls that need the node fail with CKR_DEVICE_ERROR
 *                 within the configured timeouts, and the module stays usable;
 *   lost-answer   logs in, prints READY, waits for a line on stdin (the answer of the next
 *                 request is then cut on its way back), then: C_GenerateKeyPair succeeds, and
 *                 the token holds exactly one pair of its label, the one it answered;
 *   lost-batch    logs in on WRITERS sessions, prints READY, waits for a line on stdin (the
 *                 answer of the next batch is then cut on its way back), then WRITERS threads
 *                 call C_GenerateKey at once (combined into batches): each succeeds, and the
 *                 token holds exactly one key of each thread's label, the one it answered.
 * argv[1] the module, argv[2] the mode; COFFER_P11_TEST_USER_PIN a `user:password` PIN.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coffer-pkcs11.h"
#include "check.h"
#include "load-module.h"

static CK_FUNCTION_LIST_PTR p11;

static const char *user_pin(void) {
  const char *pin = getenv("COFFER_P11_TEST_USER_PIN");
  if (pin == NULL) {
    fprintf(stderr, "COFFER_P11_TEST_USER_PIN is not set\n");
    exit(2);
  }
  return pin;
}

static CK_RV open_and_login(CK_SESSION_HANDLE *session) {
  CK_RV rv = p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, session);
  if (rv != CKR_OK) return rv;
  const char *pin = user_pin();
  rv = p11->C_Login(*session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
  return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

/* ---- close-race ---- */
#define RACERS 6

struct racer {
  CK_SESSION_HANDLE session;
  CK_RV last; /* the first answer that was not CKR_OK */
  atomic_uint succeeded;
};

static void *race(void *argument) {
  struct racer *racer = argument;
  CK_BYTE bytes[16];
  for (;;) {
    CK_RV rv = p11->C_GenerateRandom(racer->session, bytes, sizeof bytes);
    if (rv == CKR_OK) atomic_fetch_add(&racer->succeeded, 1);
    else {
      racer->last = rv;
      return NULL;
    }
  }
}

static void sleep_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

static void close_race(int close_all) {
  CK_SESSION_HANDLE sessions[RACERS / 2];
  int opened = 1;
  for (int i = 0; i < RACERS / 2; i++) opened &= open_and_login(&sessions[i]) == CKR_OK;
  CHECK_THAT(opened, "sessions open and log in");
  struct racer racers[RACERS];
  pthread_t threads[RACERS];
  for (int i = 0; i < RACERS; i++) {
    racers[i].session = sessions[i / 2];
    racers[i].last = CKR_OK;
    atomic_init(&racers[i].succeeded, 0);
    pthread_create(&threads[i], NULL, race, &racers[i]);
  }
  /* Close once every thread is calling (slow under valgrind: wait for it, up to 60 s). */
  for (int waited = 0, all = 0; !all && waited < 6000; waited++) {
    all = 1;
    for (int i = 0; i < RACERS; i++) all &= atomic_load(&racers[i].succeeded) >= 2;
    if (!all) sleep_ms(10);
  }
  if (close_all) {
    CHECK_THAT(p11->C_CloseAllSessions(0) == CKR_OK, "C_CloseAllSessions while calls run on every session");
  } else {
    int closed = 1;
    for (int i = 0; i < RACERS / 2; i++) closed &= p11->C_CloseSession(sessions[i]) == CKR_OK;
    CHECK_THAT(closed, "C_CloseSession while two threads call on each session");
  }
  int ended = 1, worked = 1;
  for (int i = 0; i < RACERS; i++) {
    pthread_join(threads[i], NULL);
    ended &= racers[i].last == CKR_SESSION_HANDLE_INVALID;
    worked &= atomic_load(&racers[i].succeeded) >= 2;
  }
  CHECK_THAT(worked, "every thread's calls succeeded before the close");
  CHECK_THAT(ended, "every thread's next call answered CKR_SESSION_HANDLE_INVALID");
  CK_SESSION_HANDLE again;
  CHECK_THAT(open_and_login(&again) == CKR_OK, "a new session logs in again after the close");
  CK_BYTE bytes[8];
  CHECK_THAT(p11->C_GenerateRandom(again, bytes, sizeof bytes) == CKR_OK, "and calls the node");
  CHECK_THAT(p11->C_CloseSession(again) == CKR_OK, "and closes");
}

/* ---- restart ---- */
static void restart(void) {
  CK_SESSION_HANDLE first, second;
  CK_BYTE bytes[8];
  CHECK_THAT(open_and_login(&first) == CKR_OK, "logged in before the restart");
  CHECK_THAT(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &second) == CKR_OK, "a second session");
  CHECK_THAT(p11->C_GenerateRandom(first, bytes, sizeof bytes) == CKR_OK, "the node answers");
  printf("READY\n");
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("not ok - no go-ahead on stdin\n");
    failures++;
    return;
  }
  CHECK_THAT(p11->C_GenerateRandom(first, bytes, sizeof bytes) == CKR_SESSION_HANDLE_INVALID,
        "after the restart a call answers CKR_SESSION_HANDLE_INVALID");
  CK_SESSION_INFO info;
  CHECK_THAT(p11->C_GetSessionInfo(first, &info) == CKR_SESSION_HANDLE_INVALID, "that session is gone");
  CHECK_THAT(p11->C_GetSessionInfo(second, &info) == CKR_SESSION_HANDLE_INVALID, "and every other session");
  CK_SESSION_HANDLE again;
  CHECK_THAT(open_and_login(&again) == CKR_OK, "a new session logs in again");
  CHECK_THAT(p11->C_GenerateRandom(again, bytes, sizeof bytes) == CKR_OK, "and the node answers it");
}

/* ---- unreachable ---- */
static void unreachable(void) {
  CK_TOKEN_INFO token;
  CK_SESSION_HANDLE session;
  CHECK_THAT(p11->C_GetTokenInfo(0, &token) == CKR_DEVICE_ERROR, "C_GetTokenInfo: CKR_DEVICE_ERROR");
  CHECK_THAT(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &session) == CKR_OK, "sessions open without the node");
  const char *pin = user_pin();
  CHECK_THAT(p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) == CKR_DEVICE_ERROR,
        "C_Login: CKR_DEVICE_ERROR");
  CHECK_THAT(p11->C_GetTokenInfo(0, &token) == CKR_DEVICE_ERROR, "and again: the module is still usable");
  CHECK_THAT(p11->C_CloseSession(session) == CKR_OK, "the session closes");
}

/* ---- lost-answer ---- */
static void lost_answer(void) {
  CK_SESSION_HANDLE session;
  const char *pin = user_pin();
  CHECK_THAT(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session) == CKR_OK,
        "a read-write session");
  CHECK_THAT(p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) == CKR_OK, "logged in");
  printf("READY\n");
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("not ok - no go-ahead on stdin\n");
    failures++;
    return;
  }
  /* An RSA-4096 pair takes the node long enough that the relay cuts its answer, and only that. */
  CK_MECHANISM mechanism = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
  CK_ULONG bits = 4096;
  CK_BBOOL yes = CK_TRUE;
  char label[] = "lost-answer";
  CK_ATTRIBUTE public_template[] = {
      {CKA_MODULUS_BITS, &bits, sizeof bits},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_LABEL, label, sizeof label - 1},
  };
  CK_ATTRIBUTE private_template[] = {
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_LABEL, label, sizeof label - 1},
  };
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE, private_key = CK_INVALID_HANDLE;
  CK_RV generated =
      p11->C_GenerateKeyPair(session, &mechanism, public_template, 3, private_template, 2, &public_key, &private_key);
  if (generated != CKR_OK) printf("# C_GenerateKeyPair: 0x%lx\n", generated);
  CHECK_THAT(generated == CKR_OK, "C_GenerateKeyPair, its first answer lost");
  CK_OBJECT_HANDLE found[4];
  CK_ULONG count = 0;
  CHECK_THAT(p11->C_FindObjectsInit(session, &private_template[1], 1) == CKR_OK, "C_FindObjectsInit by the label");
  CHECK_THAT(p11->C_FindObjects(session, found, 4, &count) == CKR_OK, "C_FindObjects");
  CHECK_THAT(p11->C_FindObjectsFinal(session) == CKR_OK, "C_FindObjectsFinal");
  if (count != 2) printf("# %lu objects found\n", count);
  CHECK_THAT(count == 2 && ((found[0] == public_key && found[1] == private_key) ||
                       (found[1] == public_key && found[0] == private_key)),
        "exactly one pair was made, the one answered");
  CHECK_THAT(p11->C_CloseSession(session) == CKR_OK, "the session closes");
}

/* ---- lost-batch ---- */
#define WRITERS 8

struct writer {
  int index;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE key;
  CK_RV rv;
};

static pthread_barrier_t writers_start;

static void writer_label(const struct writer *w, char label[32]) { snprintf(label, 32, "lost-batch-%d", w->index); }

static void *write_key(void *argument) {
  struct writer *w = argument;
  char label[32];
  writer_label(w, label);
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE template[] = {
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_LABEL, label, (CK_ULONG)strlen(label)},
  };
  pthread_barrier_wait(&writers_start);
  w->rv = p11->C_GenerateKey(w->session, &mechanism, template, sizeof template / sizeof template[0], &w->key);
  return NULL;
}

static void lost_batch(void) {
  struct writer writers[WRITERS];
  int opened = 1;
  for (int i = 0; i < WRITERS; i++) {
    writers[i] = (struct writer){.index = i, .key = CK_INVALID_HANDLE};
    opened &= p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &writers[i].session) == CKR_OK;
  }
  CHECK_THAT(opened, "read-write sessions");
  const char *pin = user_pin();
  CHECK_THAT(p11->C_Login(writers[0].session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) == CKR_OK,
        "logged in");
  printf("READY\n");
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("not ok - no go-ahead on stdin\n");
    failures++;
    return;
  }
  pthread_barrier_init(&writers_start, NULL, WRITERS);
  pthread_t threads[WRITERS];
  for (int i = 0; i < WRITERS; i++) pthread_create(&threads[i], NULL, write_key, &writers[i]);
  for (int i = 0; i < WRITERS; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&writers_start);
  int generated = 1, one_each = 1;
  for (int i = 0; i < WRITERS; i++) {
    struct writer *w = &writers[i];
    if (w->rv != CKR_OK) printf("# C_GenerateKey of thread %d: 0x%lx\n", i, w->rv);
    generated &= w->rv == CKR_OK;
    char label[32];
    writer_label(w, label);
    CK_ATTRIBUTE by_label = {CKA_LABEL, label, (CK_ULONG)strlen(label)};
    CK_OBJECT_HANDLE found[4];
    CK_ULONG count = 0;
    CK_RV rv = p11->C_FindObjectsInit(w->session, &by_label, 1);
    if (rv == CKR_OK) rv = p11->C_FindObjects(w->session, found, 4, &count);
    if (rv == CKR_OK) rv = p11->C_FindObjectsFinal(w->session);
    if (rv != CKR_OK || count != 1) printf("# thread %d: 0x%lx, %lu keys of its label\n", i, rv, count);
    one_each &= rv == CKR_OK && count == 1 && found[0] == w->key;
  }
  CHECK_THAT(generated, "every C_GenerateKey succeeded, a batch's answer lost");
  CHECK_THAT(one_each, "exactly one key of each label was made, the one answered");
  for (int i = 0; i < WRITERS; i++) p11->C_CloseSession(writers[i].session);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <module.so> close-race|restart|unreachable|lost-answer|lost-batch\n", argv[0]);
    return 2;
  }
  void *module = load_module(argv[1], &p11);
  if (module == NULL) return 2;
  CHECK_THAT(p11->C_Initialize(NULL) == CKR_OK, "C_Initialize");
  if (strcmp(argv[2], "close-race") == 0) {
    close_race(0);
    close_race(1);
  } else if (strcmp(argv[2], "restart") == 0) {
    restart();
  } else if (strcmp(argv[2], "unreachable") == 0) {
    unreachable();
  } else if (strcmp(argv[2], "lost-answer") == 0) {
    lost_answer();
  } else if (strcmp(argv[2], "lost-batch") == 0) {
    lost_batch();
  } else {
    fprintf(stderr, "unknown mode %s\n", argv[2]);
    return 2;
  }
  CHECK_THAT(p11->C_Finalize(NULL) == CKR_OK, "C_Finalize");
  dlclose(module);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
