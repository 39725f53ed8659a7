/* find-label: C_FindObjectsInit({CKA_LABEL}) + C_FindObjects + C_FindObjectsFinal for one of
 * --find-keys token keys, which the parent makes once before the workers start and destroys
 * after they end; exactly one object must be found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* How many keys make_keys made: what the teardown must find again (the parent's one thread). */
static unsigned long made;

/* "pkpspeed-<run>-<i>": the run is the parent's pid, so two runs never see each other's keys. */
static int label_of(char *out, size_t size, long run_id, unsigned long i) {
  return snprintf(out, size, "pkpspeed-%ld-%lu", run_id, i);
}

static int make_keys(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE session, const struct config *config, long run_id,
                     struct first_error *error) {
  CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_AES;
  CK_ULONG length = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  char label[64];
  CK_ATTRIBUTE template[] = {
      {CKA_CLASS, &class, sizeof class},       {CKA_KEY_TYPE, &key_type, sizeof key_type},
      {CKA_VALUE_LEN, &length, sizeof length}, {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},         {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},       {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_LABEL, label, 0},
  };
  const CK_ULONG count = sizeof template / sizeof template[0];
  made = 0;
  for (unsigned long i = 0; i < config->find_keys; i++) {
    template[count - 1].ulValueLen = (CK_ULONG)label_of(label, sizeof label, run_id, i);
    CK_OBJECT_HANDLE key;
    CK_RV rv = p11->C_GenerateKey(session, &mechanism, template, count, &key);
    if (rv != CKR_OK) return record_error(error, "C_GenerateKey (token key)", rv);
    made++;
  }
  return 0;
}

/* Whether label is this run's "pkpspeed-<run>-<digits>". */
static int is_ours(const char *label, CK_ULONG length, long run_id) {
  char prefix[40];
  int n = snprintf(prefix, sizeof prefix, "pkpspeed-%ld-", run_id);
  if (length <= (CK_ULONG)n || memcmp(label, prefix, (size_t)n) != 0) return 0;
  for (CK_ULONG i = (CK_ULONG)n; i < length; i++)
    if (label[i] < '0' || label[i] > '9') return 0;
  return 1;
}

/* Destroys every secret token key of this run: one search collects the handles, then each
 * one's label is read and compared (a search must end before objects are destroyed). */
static void destroy_keys_of_run(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE session, const struct config *config,
                                long run_id) {
  (void)config;
  CK_OBJECT_CLASS class = CKO_SECRET_KEY;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE template[] = {{CKA_CLASS, &class, sizeof class}, {CKA_TOKEN, &yes, sizeof yes}};
  CK_OBJECT_HANDLE *handles = NULL;
  CK_ULONG count = 0, capacity = 0;
  if (p11->C_FindObjectsInit(session, template, 2) != CKR_OK) return;
  for (;;) {
    if (count == capacity) {
      CK_ULONG grown = capacity == 0 ? 1024 : 2 * capacity;
      CK_OBJECT_HANDLE *bigger = realloc(handles, grown * sizeof *handles);
      if (bigger == NULL) break;
      handles = bigger;
      capacity = grown;
    }
    CK_ULONG found = 0;
    if (p11->C_FindObjects(session, handles + count, capacity - count, &found) != CKR_OK || found == 0) break;
    count += found;
  }
  p11->C_FindObjectsFinal(session);
  unsigned long destroyed = 0;
  for (CK_ULONG i = 0; i < count; i++) {
    char label[64];
    CK_ATTRIBUTE read = {CKA_LABEL, label, sizeof label};
    if (p11->C_GetAttributeValue(session, handles[i], &read, 1) == CKR_OK && is_ours(label, read.ulValueLen, run_id) &&
        p11->C_DestroyObject(session, handles[i]) == CKR_OK)
      destroyed++;
  }
  free(handles);
  if (destroyed != made)
    fprintf(stderr, "coffer-pkpspeed: find-label: destroyed %lu of the %lu token keys made\n", destroyed, made);
}

static int find_setup(struct op_state *state, struct first_error *error) {
  (void)error;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  state->rng = ((uint64_t)getpid() << 32) ^ ((uint64_t)state->index << 16) ^ (uint64_t)now.tv_nsec ^ 1;
  return 0;
}

static void find_prepare(struct op_state *state) {
  unsigned long i = (unsigned long)(next_random(&state->rng) % state->config->find_keys);
  int length = label_of(state->label_text, sizeof state->label_text, state->run_id, i);
  state->label = (CK_ATTRIBUTE){CKA_LABEL, state->label_text, (CK_ULONG)length};
}

static int find_run(struct op_state *state, struct first_error *error) {
  CK_RV rv = state->p11->C_FindObjectsInit(state->session, &state->label, 1);
  if (rv != CKR_OK) return record_error(error, "C_FindObjectsInit", rv);
  CK_OBJECT_HANDLE handles[2];
  CK_ULONG found = 0;
  rv = state->p11->C_FindObjects(state->session, handles, 2, &found);
  CK_RV final = state->p11->C_FindObjectsFinal(state->session);
  if (rv != CKR_OK) return record_error(error, "C_FindObjects", rv);
  if (final != CKR_OK) return record_error(error, "C_FindObjectsFinal", final);
  if (found != 1) {
    char text[PKPSPEED_ERROR_TEXT];
    snprintf(text, sizeof text, "C_FindObjects: %lu objects labelled %s, want 1", (unsigned long)found,
             state->label_text);
    return record_failure(error, text);
  }
  return 0;
}

static void find_teardown(struct op_state *state) { (void)state; }

const struct op op_find_label = {
    .name = "find-label",
    .mechanism = "C_FindObjects by CKA_LABEL among --find-keys token keys",
    .run_setup = make_keys,
    .run_teardown = destroy_keys_of_run,
    .setup = find_setup,
    .prepare = find_prepare,
    .run = find_run,
    .teardown = find_teardown,
};
