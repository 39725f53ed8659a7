/* The worker processes of one op: each forks from a parent whose module is not initialized,
 * calls C_Initialize and logs in itself (one process after the other), runs its threads, and
 * sends the parent its report and its latency samples through a pipe. The parent starts them together and never waits forever. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define READY_TIMEOUT_S 600  /* setting up: key pairs per thread, a slow remote module */
#define FINISH_TIMEOUT_S 120 /* after the deadline: the last op and the teardown */

static uint64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000ULL + (uint64_t)now.tv_nsec / 1000000ULL;
}

static int write_all(int fd, const void *data, size_t length) {
  const unsigned char *bytes = data;
  while (length > 0) {
    ssize_t n = write(fd, bytes, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    bytes += n;
    length -= (size_t)n;
  }
  return 0;
}

/* Reads exactly length bytes before deadline (CLOCK_MONOTONIC ms); -1 on EOF, error or timeout. */
static int read_all(int fd, void *data, size_t length, uint64_t deadline) {
  unsigned char *bytes = data;
  while (length > 0) {
    uint64_t now = now_ms();
    if (now >= deadline) return -1;
    struct pollfd wait = {.fd = fd, .events = POLLIN};
    uint64_t left = deadline - now;
    int polled = poll(&wait, 1, left > 60000 ? 60000 : (int)left);
    if (polled < 0 && errno == EINTR) continue;
    if (polled < 0) return -1;
    if (polled == 0) continue;
    ssize_t n = read(fd, bytes, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    bytes += n;
    length -= (size_t)n;
  }
  return 0;
}

struct child_signal {
  int result_fd;
  int go_fd;
};

/* Tells the parent this process is ready, then waits for the start: EOF on the go pipe, when
 * the parent closes it for every worker at once (or dies). */
static void ready_and_wait(void *arg) {
  struct child_signal *signal = arg;
  char ready = 'R';
  if (write_all(signal->result_fd, &ready, 1) != 0) _exit(1);
  for (;;) {
    char byte;
    ssize_t n = read(signal->go_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
}

static _Noreturn void worker_process(struct module *module, const struct config *config, const struct op *op, long run_id,
                           unsigned index, int result_fd, int go_fd) {
  struct child_signal signal = {result_fd, go_fd};
  struct process_report report;
  memset(&report, 0, sizeof report);
  struct samples merged = {0};
  CK_SESSION_HANDLE login = CK_INVALID_HANDLE;
  int started = module_start(module, config, &report.error) == 0;
  int logged_in = started && module_login(module, config, &login, &report.error) == 0;
  char initialized = 'I';
  if (write_all(result_fd, &initialized, 1) != 0) _exit(1);
  if (logged_in) {
    run_threads(module, config, op, run_id, index, ready_and_wait, &signal, &report, &merged);
  } else {
    report.errors++;
    ready_and_wait(&signal);
  }
  int sent = write_all(result_fd, &report, sizeof report) == 0 &&
             write_all(result_fd, merged.ns, merged.count * sizeof *merged.ns) == 0;
  samples_free(&merged);
  if (started) module_stop(module, login);
  _exit(sent ? 0 : 1);
}

/* The parent's side of one worker. */
struct child {
  pid_t pid;
  int fd;
  int failed; /* counted as an error already */
};

/* Counts a worker that failed once; kills it unless it has been reaped (its pid may be reused). */
static void child_failed(struct child *child, struct result *result, const char *what, int reaped) {
  if (child->failed) return;
  child->failed = 1;
  result->errors++;
  char text[PKPSPEED_ERROR_TEXT];
  snprintf(text, sizeof text, "worker process %ld: %s", (long)child->pid, what);
  record_failure(&result->first_error, text);
  if (!reaped) kill(child->pid, SIGKILL);
}

static void collect(struct child *child, struct result *result, struct samples *merged, uint64_t deadline) {
  struct process_report report;
  if (read_all(child->fd, &report, sizeof report, deadline) != 0) {
    child_failed(child, result, "no report in time", 0);
    return;
  }
  report.error.text[sizeof report.error.text - 1] = '\0';
  result->errors += report.errors;
  if (result->first_error.text[0] == '\0') result->first_error = report.error;
  double seconds = (double)report.elapsed_ns / 1e9;
  if (seconds > result->seconds) result->seconds = seconds;
  if (report.samples > (SIZE_MAX / sizeof(uint64_t)) - merged->count) {
    child_failed(child, result, "too many samples", 0);
    return;
  }
  size_t total = merged->count + (size_t)report.samples;
  if (total > merged->capacity) {
    uint64_t *bigger = realloc(merged->ns, (total > 0 ? total : 1) * sizeof *bigger);
    if (bigger == NULL) {
      child_failed(child, result, "out of memory for its samples", 0);
      return;
    }
    merged->ns = bigger;
    merged->capacity = total;
  }
  if (read_all(child->fd, merged->ns + merged->count, (size_t)report.samples * sizeof *merged->ns, deadline) != 0) {
    child_failed(child, result, "its samples were cut short", 0);
    return;
  }
  merged->count = total;
}

/* The run's setup or teardown, in this process, which is left uninitialized again after. */
static int in_parent(struct module *module, const struct config *config, const struct op *op, long run_id,
                     int setup, struct first_error *error) {
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  if (module_start(module, config, error) != 0) return -1;
  int ok = module_login(module, config, &session, error) == 0;
  if (ok && setup) {
    if (op->run_setup(module->p11, session, config, run_id, error) != 0) {
      op->run_teardown(module->p11, session, config, run_id); /* what was made before the failure */
      ok = 0;
    }
  } else if (ok) {
    op->run_teardown(module->p11, session, config, run_id);
  }
  module_stop(module, session);
  return ok ? 0 : -1;
}

void run_op(struct module *module, const struct config *config, const struct op *op, long run_id,
            struct result *result) {
  memset(result, 0, sizeof *result);
  result->op = op;
  struct samples merged = {0};
  if (op->run_setup != NULL && in_parent(module, config, op, run_id, 1, &result->first_error) != 0) {
    result->errors++;
    result_finish(result, &merged);
    return;
  }

  struct child *children = calloc(config->processes, sizeof *children);
  int go[2];
  unsigned forked = 0;
  if (children == NULL || pipe(go) != 0) {
    free(children);
    result->errors++;
    record_failure(&result->first_error, "out of memory or pipes");
    if (op->run_teardown != NULL) in_parent(module, config, op, run_id, 0, &result->first_error);
    result_finish(result, &merged);
    return;
  }
  fflush(NULL); /* nothing buffered is written twice */
  for (unsigned i = 0; i < config->processes; i++) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) break;
    pid_t pid = fork();
    if (pid < 0) {
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      break;
    }
    if (pid == 0) {
      close(go[1]);
      close(pipe_fds[0]);
      for (unsigned j = 0; j < forked; j++) close(children[j].fd);
      worker_process(module, config, op, run_id, i, pipe_fds[1], go[0]);
    }
    close(pipe_fds[1]);
    children[forked++] = (struct child){.pid = pid, .fd = pipe_fds[0]};
    /* One C_Initialize and login at a time: a module may read its token store at start-up
     * unguarded against a second process doing the same (SoftHSM2 then loses its token). */
    char initialized;
    if (read_all(pipe_fds[0], &initialized, 1, now_ms() + READY_TIMEOUT_S * 1000ULL) != 0 || initialized != 'I')
      child_failed(&children[forked - 1], result, "did not initialize in time", 0);
  }
  close(go[0]);
  if (forked < config->processes) {
    result->errors++;
    record_failure(&result->first_error, "could not start every worker process");
  }

  uint64_t ready_deadline = now_ms() + READY_TIMEOUT_S * 1000ULL;
  for (unsigned i = 0; i < forked; i++) {
    char ready;
    if (read_all(children[i].fd, &ready, 1, ready_deadline) != 0 || ready != 'R')
      child_failed(&children[i], result, "not ready in time", 0);
  }
  close(go[1]); /* the start, for all at once */
  uint64_t finish_deadline = now_ms() + (uint64_t)(config->seconds * 1000) + FINISH_TIMEOUT_S * 1000ULL;
  for (unsigned i = 0; i < forked; i++)
    if (!children[i].failed) collect(&children[i], result, &merged, finish_deadline);
  for (unsigned i = 0; i < forked; i++) {
    int status = 0;
    close(children[i].fd);
    while (waitpid(children[i].pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!children[i].failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      child_failed(&children[i], result, "ended abnormally", 1);
  }
  free(children);
  result_finish(result, &merged);
  samples_free(&merged);
  if (op->run_teardown != NULL) {
    struct first_error ignored = {{0}};
    if (in_parent(module, config, op, run_id, 0, &ignored) != 0)
      fprintf(stderr, "coffer-pkpspeed: %s: teardown: %s\n", op->name, ignored.text);
  }
}
