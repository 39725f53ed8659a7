/* The threads of one worker process: a session each, set up untimed, started together, timed
 * per op, torn down. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

struct gate { /* all threads ready → the start signal → one deadline for all */
  pthread_mutex_t lock;
  pthread_cond_t changed;
  unsigned ready;
  int open;
  uint64_t start_ns;
  uint64_t deadline_ns;
};

struct worker_thread {
  pthread_t thread;
  struct gate *gate;
  const struct module *module;
  const struct config *config;
  const struct op *op;
  long run_id;
  unsigned index;
  struct samples samples;
  uint64_t errors;
  uint64_t last_end_ns;
  struct first_error error;
};

static uint64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* A thread whose op failed this many times in a row stops: an op that cannot succeed would only
 * spin (and load a remote HSM with calls that fail). */
#define MAX_FAILURES_IN_A_ROW 100

static void timed_loop(struct worker_thread *self, struct op_state *state, uint64_t deadline) {
  const struct op *op = self->op;
  unsigned failures_in_a_row = 0;
  for (;;) {
    if (op->prepare != NULL) op->prepare(state);
    uint64_t begin = now_ns();
    if (begin >= deadline) break;
    int failed = op->run(state, &self->error);
    uint64_t end = now_ns();
    self->last_end_ns = end;
    if (failed == 0 && op->after != NULL) failed = op->after(state, &self->error);
    if (failed != 0) {
      self->errors++;
      if (++failures_in_a_row == MAX_FAILURES_IN_A_ROW) break;
      continue;
    }
    failures_in_a_row = 0;
    if (samples_add(&self->samples, end - begin) != 0) {
      self->errors++;
      record_failure(&self->error, "out of memory for latency samples");
      break;
    }
  }
}

static void *thread_main(void *arg) {
  struct worker_thread *self = arg;
  struct op_state state;
  memset(&state, 0, sizeof state);
  state.config = self->config;
  state.p11 = self->module->p11;
  state.run_id = self->run_id;
  state.index = self->index;
  state.key = state.public_key = CK_INVALID_HANDLE;
  int ready = 0;
  CK_RV rv = state.p11->C_OpenSession(self->module->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                      &state.session);
  if (rv != CKR_OK) {
    state.session = CK_INVALID_HANDLE;
    record_error(&self->error, "C_OpenSession", rv);
  } else {
    ready = self->op->setup(&state, &self->error) == 0;
  }
  if (!ready) self->errors++;

  struct gate *gate = self->gate;
  pthread_mutex_lock(&gate->lock);
  gate->ready++;
  pthread_cond_broadcast(&gate->changed);
  while (!gate->open) pthread_cond_wait(&gate->changed, &gate->lock);
  uint64_t deadline = gate->deadline_ns;
  pthread_mutex_unlock(&gate->lock);

  if (ready) timed_loop(self, &state, deadline);
  if (state.session != CK_INVALID_HANDLE) {
    self->op->teardown(&state);
    state.p11->C_CloseSession(state.session);
  }
  return NULL;
}

void run_threads(const struct module *module, const struct config *config, const struct op *op, long run_id,
                 unsigned process_index, void (*ready)(void *), void *arg, struct process_report *report,
                 struct samples *merged) {
  struct gate gate = {.ready = 0, .open = 0};
  pthread_mutex_init(&gate.lock, NULL);
  pthread_cond_init(&gate.changed, NULL);
  struct worker_thread *threads = calloc(config->threads, sizeof *threads);
  unsigned started = 0;
  if (threads == NULL) {
    report->errors++;
    record_failure(&report->error, "out of memory for threads");
  }
  for (unsigned i = 0; threads != NULL && i < config->threads; i++) {
    threads[i] = (struct worker_thread){.gate = &gate, .module = module, .config = config, .op = op,
                                        .run_id = run_id, .index = process_index * config->threads + i};
    if (pthread_create(&threads[i].thread, NULL, thread_main, &threads[i]) != 0) {
      report->errors++;
      record_failure(&report->error, "pthread_create failed");
      break;
    }
    started++;
  }

  pthread_mutex_lock(&gate.lock);
  while (gate.ready < started) pthread_cond_wait(&gate.changed, &gate.lock);
  pthread_mutex_unlock(&gate.lock);
  ready(arg);
  pthread_mutex_lock(&gate.lock);
  gate.start_ns = now_ns();
  gate.deadline_ns = gate.start_ns + (uint64_t)(config->seconds * 1e9);
  gate.open = 1;
  pthread_cond_broadcast(&gate.changed);
  pthread_mutex_unlock(&gate.lock);

  for (unsigned i = 0; i < started; i++) {
    struct worker_thread *thread = &threads[i];
    pthread_join(thread->thread, NULL);
    report->errors += thread->errors;
    if (report->error.text[0] == '\0' && thread->error.text[0] != '\0') report->error = thread->error;
    if (thread->last_end_ns > gate.start_ns && thread->last_end_ns - gate.start_ns > report->elapsed_ns)
      report->elapsed_ns = thread->last_end_ns - gate.start_ns;
    for (size_t s = 0; s < thread->samples.count; s++)
      if (samples_add(merged, thread->samples.ns[s]) != 0) {
        report->errors++;
        record_failure(&report->error, "out of memory for latency samples");
        break;
      }
    samples_free(&thread->samples);
  }
  report->samples = merged->count;
  free(threads);
  pthread_cond_destroy(&gate.changed);
  pthread_mutex_destroy(&gate.lock);
}
