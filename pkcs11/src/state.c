/*
 * The module's life: C_Initialize, C_Finalize, the one lock, and the fork rule. All state is
 * behind one mutex (CKF_OS_LOCKING_OK: the module uses its own POSIX locks, whatever the
 * application passes). A child after fork() sees the module uninitialized: the atfork child
 * handler forgets the parent's sessions and login without a word to the node (they belong to
 * the parent), and the pid check catches a child made by a raw clone. The key view cache has a
 * lock of its own, taken last and never held with another.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int initialized;
static pid_t owner_pid;
static struct coffer_config config;

/* In a child: drops the parent's state without a word to the node (it is the parent's). */
static void forget_parent(void) {
  coffer_key_views_clear();
  coffer_sessions_forget();
  coffer_transport_abandon();
  coffer_config_free(&config);
  initialized = 0;
}

/* The combiner's queue lock and the transport's pool lock are taken after the module lock (no
   thread holds one of them while it takes another), so the child never inherits one held. */
static void before_fork(void) {
  pthread_mutex_lock(&lock);
  coffer_combiner_before_fork();
  coffer_transport_before_fork();
  coffer_key_views_before_fork();
}
static void after_fork_parent(void) {
  coffer_key_views_after_fork();
  coffer_transport_after_fork();
  coffer_combiner_after_fork_parent();
  pthread_mutex_unlock(&lock);
}
static void after_fork_child(void) {
  coffer_key_views_after_fork();
  coffer_transport_after_fork();
  coffer_combiner_after_fork_child();
  if (initialized) forget_parent();
  pthread_mutex_unlock(&lock);
}
static void register_atfork(void) { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

CK_RV coffer_enter(void) {
  pthread_mutex_lock(&lock);
  if (initialized && owner_pid == getpid()) return CKR_OK;
  pthread_mutex_unlock(&lock);
  return CKR_CRYPTOKI_NOT_INITIALIZED;
}

void coffer_leave(void) { pthread_mutex_unlock(&lock); }

void coffer_lock(void) { pthread_mutex_lock(&lock); }
void coffer_unlock(void) { pthread_mutex_unlock(&lock); }

const struct coffer_config *coffer_state_config(void) { return &config; }

static CK_RV check_init_args(const CK_C_INITIALIZE_ARGS *args) {
  if (args == NULL) return CKR_OK;
  if (args->pReserved != NULL) return CKR_ARGUMENTS_BAD;
  int supplied = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) + (args->LockMutex != NULL) +
                 (args->UnlockMutex != NULL);
  if (supplied != 0 && supplied != 4) return CKR_ARGUMENTS_BAD;
  /* The application's mutex functions are not used: only OS locking, and only if allowed. */
  if (supplied == 4 && !(args->flags & CKF_OS_LOCKING_OK)) return CKR_CANT_LOCK;
  return CKR_OK;
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs) {
  CK_RV rv = check_init_args(pInitArgs);
  if (rv != CKR_OK) return rv;
  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&lock);
  if (initialized && owner_pid == getpid()) {
    rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
  } else {
    if (initialized) forget_parent(); /* a child the atfork handler did not see (a raw clone) */
    rv = coffer_config_load(&config);
    if (rv == CKR_OK) {
      rv = coffer_transport_init(&config);
      if (rv != CKR_OK) coffer_config_free(&config);
    }
    if (rv == CKR_OK) {
      coffer_mechanisms_reset();
      coffer_key_views_clear();
      initialized = 1;
      owner_pid = getpid();
      coffer_discovery_check_due(&config); /* with "discover": the cluster's nodes before the first call */
    }
  }
  pthread_mutex_unlock(&lock);
  return rv;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved) {
  if (pReserved != NULL) return CKR_ARGUMENTS_BAD;
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  coffer_sessions_finalize();
  coffer_key_views_clear();
  coffer_transport_cleanup();
  coffer_config_free(&config);
  initialized = 0;
  coffer_leave();
  return CKR_OK;
}
