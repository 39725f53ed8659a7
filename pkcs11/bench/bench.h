/* What coffer-pkpspeed's files share: the run's settings, a loaded module, an operation. */
#ifndef PKPSPEED_BENCH_H
#define PKPSPEED_BENCH_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "coffer-pkcs11.h"

#define PKPSPEED_MAX_OPS 8
#define PKPSPEED_ERROR_TEXT 112

enum gcm_iv_style {
  GCM_IV_COUNTER, /* the caller brings a fresh IV: a per-key counter */
  GCM_IV_ZERO,    /* an all-zero IV each op: the module makes the IV and writes it back */
};

struct op;

/* ---- args.c ---- */
struct config {
  const char *module_path;
  const char *pin;
  int has_slot;
  CK_SLOT_ID slot;
  unsigned threads;
  unsigned processes;
  double seconds;
  const struct op *ops[PKPSPEED_MAX_OPS];
  unsigned op_count;
  unsigned long find_keys;
  int json;
  enum gcm_iv_style gcm_iv;
};
/* Fills config from argv; prints the reason and returns -1 on a bad command line, 1 for --help. */
int parse_args(int argc, char **argv, struct config *config);
void print_usage(FILE *out);

/* ---- rv.c ---- */
/* "CKR_PIN_INCORRECT", or "CKR_0x…" for a value the table does not name. */
const char *rv_name(CK_RV rv, char *buffer, size_t size);
/* The first error of a thread, a process or a run, as text: "C_Sign: CKR_…". */
struct first_error {
  char text[PKPSPEED_ERROR_TEXT];
};
/* Records `where: rv` unless an earlier error was recorded; always returns -1. */
int record_error(struct first_error *error, const char *where, CK_RV rv);
/* Records a free-form reason (the CK_RV was fine, the result was not); returns -1. */
int record_failure(struct first_error *error, const char *text);

/* ---- loader.c ---- */
struct module {
  void *library;
  CK_FUNCTION_LIST_PTR p11;
  CK_SLOT_ID slot;
  char label[128]; /* C_GetInfo: description, version and manufacturer */
};
/* dlopen and C_GetFunctionList only: the module stays uninitialized (it is safe to fork). */
int module_load(struct module *module, const char *path, struct first_error *error);
void module_unload(struct module *module);
/* C_Initialize with the OS's locks; resolves the slot (the asked one, else the first with a
 * token) the first time. */
int module_start(struct module *module, const struct config *config, struct first_error *error);
/* Opens a R/W session and logs the user in: the application's one login. */
int module_login(struct module *module, const struct config *config, CK_SESSION_HANDLE *session,
                 struct first_error *error);
/* C_Logout, C_CloseSession, C_Finalize: whatever of them applies. */
void module_stop(struct module *module, CK_SESSION_HANDLE session);

/* ---- ops*.c ---- */
/* One thread's state for one operation: its session, its keys, its buffers. */
struct op_state {
  const struct config *config;
  CK_FUNCTION_LIST_PTR p11;
  CK_SESSION_HANDLE session;
  long run_id; /* the parent's pid: names the run's token objects */
  unsigned index;
  CK_OBJECT_HANDLE key;
  CK_OBJECT_HANDLE public_key;
  CK_MECHANISM mechanism;
  CK_GCM_PARAMS gcm;
  unsigned char iv[12];
  uint64_t counter;
  uint64_t rng;
  unsigned char *out;
  CK_ULONG out_size;
  CK_ATTRIBUTE label;
  char label_text[64];
};

struct op {
  const char *name;
  const char *mechanism; /* what is measured, as printed */
  int takes_gcm_iv;      /* --gcm-iv applies: printed with the mechanism */
  /* Once per run in the parent, logged in, before any worker forks (NULL: nothing to do). */
  int (*run_setup)(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE session, const struct config *config, long run_id,
                   struct first_error *error);
  void (*run_teardown)(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE session, const struct config *config,
                       long run_id);
  /* Per thread, untimed. */
  int (*setup)(struct op_state *state, struct first_error *error);
  /* Untimed, before each op (a fresh IV, a label to look for); NULL: nothing. */
  void (*prepare)(struct op_state *state);
  /* The timed op: 0 on success, -1 (recorded) on failure. */
  int (*run)(struct op_state *state, struct first_error *error);
  /* Untimed, after each successful op (destroying what it made); NULL: nothing. */
  int (*after)(struct op_state *state, struct first_error *error);
  void (*teardown)(struct op_state *state);
};

const struct op *op_find(const char *name);
/* Every op, in the order a run without --ops does them. */
extern const struct op *const all_ops[];
extern const size_t all_op_count;

/* Shared by the ops: a key pair or a secret key of this run, as a session object when the
 * module allows it, else a token object (teardown destroys either). */
int generate_key_pair(struct op_state *state, CK_MECHANISM_TYPE type, CK_ATTRIBUTE *public_template,
                      CK_ULONG public_count, CK_ATTRIBUTE *private_template, CK_ULONG private_count,
                      struct first_error *error);
int generate_aes_key(struct op_state *state, CK_ATTRIBUTE_TYPE usage, struct first_error *error);
void destroy_keys(struct op_state *state);
uint64_t next_random(uint64_t *state);

/* ---- stats.c ---- */
struct samples {
  uint64_t *ns;
  size_t count;
  size_t capacity;
};
/* Appends one latency; -1 when memory runs out. */
int samples_add(struct samples *samples, uint64_t ns);
void samples_free(struct samples *samples);

struct result {
  const struct op *op;
  uint64_t ops;
  uint64_t errors;
  double seconds;
  double ops_per_sec;
  double p50_ms;
  double p99_ms;
  struct first_error first_error;
};
/* Sorts the merged samples and fills the rates and percentiles (nearest rank). */
void result_finish(struct result *result, struct samples *merged);

/* ---- threads.c ---- */
/* What one worker process measured, sent to the parent ahead of its samples. */
struct process_report {
  uint64_t errors;
  uint64_t elapsed_ns; /* from the start to the end of its last op */
  uint64_t samples;
  struct first_error error;
};
/* In a started, logged-in process: config->threads threads each open a session and set up;
 * once all are ready, ready(arg) is called (it returns at the start signal); then they run op
 * for config->seconds and tear down. Their samples are appended to merged. */
void run_threads(const struct module *module, const struct config *config, const struct op *op, long run_id,
                 unsigned process_index, void (*ready)(void *), void *arg, struct process_report *report,
                 struct samples *merged);

/* ---- worker.c ---- */
/* Forks config->processes workers for one op, each with config->threads threads, and merges
 * what they measured into result. The module must not be initialized in this process. */
void run_op(struct module *module, const struct config *config, const struct op *op, long run_id,
            struct result *result);

/* ---- output.c ---- */
void print_header(const struct config *config, const struct module *module);
void print_result(const struct config *config, const struct module *module, const struct result *result);

#endif
