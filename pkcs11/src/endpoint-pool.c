/*
 * The endpoints and the choice among them, the SDK's rules (src/client/endpoint-pool.ts):
 *
 *   | order | an endpoint is chosen for a request's next attempt when …                     |
 *   |-------|-------------------------------------------------------------------------------|
 *   | 0     | the request is node-bound (affinity.c) and it is the login's home, healthy     |
 *   | 1     | it is listed (configured, or discovered and still listed), not tried yet       |
 *   | 2     | it is healthy (when none is, every one is a candidate: a request may find one  |
 *   |       | back, the best probe there is)                                                 |
 *   | 3     | it is in the client's zone, when one such is among the candidates              |
 *   | 4     | it has the fewest requests outstanding (sent, not yet answered)                |
 *   | 5     | it was picked longest ago (spreads equal load around)                          |
 *
 * An endpoint that fails (unreachable, sealed, closing: transport.c) is unhealthy until it is
 * found serving again, by a health check (health.c) or by a request that reached it. Its check
 * is due after a backoff: 250 ms, doubled with each failed check up to 10 s, jittered over its
 * upper half so that the processes that lost one node do not all knock at once. Failures of
 * requests that left before it was marked do not double the backoff again.
 *
 * Every endpoint lives in a fixed slot, its URL and zone in the slot itself: a request copies
 * the URL out under the lock and never holds a pointer into the pool, so slots may change under
 * threads mid-request. A slot dropped by discovery is reused only once nothing refers to it (no
 * request outstanding, no check running), and each occupancy has its own serial: an answer
 * reported for an earlier occupant (or after C_Finalize reset the pool) changes nothing.
 * One mutex guards the pool; it is never held across I/O or with another lock.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

_Static_assert(COFFER_ENDPOINTS_MAX <= 64, "tried endpoints are one bit each in a uint64_t");

static struct coffer_pool module_pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct coffer_pool *coffer_pool(void) { return &module_pool; }

long long coffer_now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void coffer_pool_init(struct coffer_pool *pool) {
  memset(pool, 0, sizeof *pool);
  pthread_mutex_init(&pool->lock, NULL);
}

void coffer_pool_destroy(struct coffer_pool *pool) { pthread_mutex_destroy(&pool->lock); }

void coffer_pool_reset(struct coffer_pool *pool, const char *zone, unsigned long long seed) {
  pthread_mutex_lock(&pool->lock);
  unsigned long long serials = pool->serials; /* never reused, across resets too */
  memset(pool->endpoints, 0, sizeof pool->endpoints);
  pool->count = 0;
  pool->picks = 0;
  pool->serials = serials;
  pool->random = seed | 1; /* xorshift needs a non-zero state */
  snprintf(pool->zone, sizeof pool->zone, "%s", zone != NULL ? zone : "");
  pool->discover_at_ms = 0;
  pool->discovering = 0;
  pool->home_id = 0;
  pool->home_serial = 0;
  pthread_mutex_unlock(&pool->lock);
}

static int find(const struct coffer_pool *pool, const char *url) {
  for (size_t i = 0; i < pool->count; i++)
    if (pool->endpoints[i].serial != 0 && strcmp(pool->endpoints[i].url, url) == 0) return (int)i;
  return -1;
}

/* A slot for a new endpoint: an empty one, or one dropped that nothing refers to. */
static struct coffer_endpoint *free_slot(struct coffer_pool *pool) {
  for (size_t i = 0; i < pool->count; i++) {
    struct coffer_endpoint *slot = &pool->endpoints[i];
    if (slot->serial == 0 || (!slot->listed && slot->outstanding == 0 && !slot->checking)) return slot;
  }
  return pool->count < COFFER_ENDPOINTS_MAX ? &pool->endpoints[pool->count++] : NULL;
}

static struct coffer_endpoint *occupy(struct coffer_pool *pool, const char *url, const char *zone, int configured) {
  struct coffer_endpoint *slot = free_slot(pool);
  if (slot == NULL) return NULL;
  memset(slot, 0, sizeof *slot);
  snprintf(slot->url, sizeof slot->url, "%s", url);
  snprintf(slot->zone, sizeof slot->zone, "%s", zone != NULL ? zone : "");
  slot->serial = ++pool->serials;
  slot->listed = 1;
  slot->configured = configured;
  slot->healthy = 1;
  return slot;
}

static int fits(const char *url, const char *zone) {
  return strlen(url) < COFFER_URL_MAX && (zone == NULL || strlen(zone) < COFFER_ZONE_MAX);
}

CK_RV coffer_pool_add(struct coffer_pool *pool, const char *url, const char *zone) {
  if (!fits(url, zone)) return CKR_GENERAL_ERROR;
  pthread_mutex_lock(&pool->lock);
  CK_RV rv = CKR_OK;
  int known = find(pool, url);
  if (known >= 0) {
    struct coffer_endpoint *slot = &pool->endpoints[known];
    slot->configured = slot->listed = 1;
    if (slot->zone[0] == '\0' && zone != NULL) snprintf(slot->zone, sizeof slot->zone, "%s", zone);
  } else if (occupy(pool, url, zone, 1) == NULL) {
    rv = CKR_GENERAL_ERROR;
  }
  pthread_mutex_unlock(&pool->lock);
  return rv;
}

void coffer_pool_list(struct coffer_pool *pool, const struct coffer_node *nodes, size_t count) {
  pthread_mutex_lock(&pool->lock);
  for (size_t i = 0; i < pool->count; i++)
    if (pool->endpoints[i].serial != 0 && !pool->endpoints[i].configured) pool->endpoints[i].listed = 0;
  for (size_t n = 0; n < count; n++) {
    if (!fits(nodes[n].url, nodes[n].zone)) continue;
    int known = find(pool, nodes[n].url);
    if (known < 0) {
      (void)occupy(pool, nodes[n].url, nodes[n].zone, 0); /* the pool is full: the rest are left out */
      continue;
    }
    struct coffer_endpoint *slot = &pool->endpoints[known];
    slot->listed = 1;
    if (slot->zone[0] == '\0') snprintf(slot->zone, sizeof slot->zone, "%s", nodes[n].zone);
  }
  pthread_mutex_unlock(&pool->lock);
}

/* Whether `a` is a better choice than `b` (NULL: none yet), by rules 3 to 5. */
static int better(const struct coffer_pool *pool, const struct coffer_endpoint *a, const struct coffer_endpoint *b) {
  if (b == NULL) return 1;
  int a_local = pool->zone[0] != '\0' && strcmp(a->zone, pool->zone) == 0;
  int b_local = pool->zone[0] != '\0' && strcmp(b->zone, pool->zone) == 0;
  if (a_local != b_local) return a_local;
  if (a->outstanding != b->outstanding) return a->outstanding < b->outstanding;
  return a->last_picked < b->last_picked;
}

/* The home endpoint, if it may take a request that has not tried it yet. */
static struct coffer_endpoint *home_of(struct coffer_pool *pool, uint64_t tried) {
  if (pool->home_serial == 0 || pool->home_id >= pool->count || (tried & (1ull << pool->home_id))) return NULL;
  struct coffer_endpoint *home = &pool->endpoints[pool->home_id];
  return home->serial == pool->home_serial && home->listed && home->healthy ? home : NULL;
}

int coffer_pool_pick(struct coffer_pool *pool, uint64_t *tried, int node_bound, struct coffer_pick *pick) {
  pthread_mutex_lock(&pool->lock);
  struct coffer_endpoint *chosen = node_bound ? home_of(pool, *tried) : NULL;
  size_t chosen_id = chosen != NULL ? pool->home_id : 0;
  for (int healthy_only = 1; healthy_only >= 0 && chosen == NULL; healthy_only--)
    for (size_t i = 0; i < pool->count; i++) {
      struct coffer_endpoint *slot = &pool->endpoints[i];
      if (slot->serial == 0 || !slot->listed || (*tried & (1ull << i)) || (healthy_only && !slot->healthy)) continue;
      if (better(pool, slot, chosen)) {
        chosen = slot;
        chosen_id = i;
      }
    }
  if (chosen != NULL) {
    *tried |= 1ull << chosen_id;
    chosen->outstanding++;
    chosen->last_picked = ++pool->picks;
    pick->id = chosen_id;
    pick->serial = chosen->serial;
    memcpy(pick->url, chosen->url, sizeof pick->url);
  }
  pthread_mutex_unlock(&pool->lock);
  return chosen != NULL ? 0 : -1;
}

/* The slot a pick or claim refers to, if it still holds the same endpoint (under the lock). */
static struct coffer_endpoint *slot_of(struct coffer_pool *pool, const struct coffer_pick *pick) {
  if (pick->id >= pool->count || pool->endpoints[pick->id].serial != pick->serial) return NULL;
  return &pool->endpoints[pick->id];
}

static unsigned long long next_random(struct coffer_pool *pool) {
  pool->random ^= pool->random << 13;
  pool->random ^= pool->random >> 7;
  pool->random ^= pool->random << 17;
  return pool->random;
}

/* Out until a check finds it serving; a failure while its check is not due yet changes nothing
   more (requests that left before it was marked, or tried it because none was healthy). */
static void fail(struct coffer_pool *pool, struct coffer_endpoint *slot, long long now) {
  if (!slot->healthy && slot->check_at_ms > now) return;
  long long backoff = COFFER_BACKOFF_MIN_MS;
  for (unsigned i = 0; i < slot->failures && backoff < COFFER_BACKOFF_MAX_MS; i++) backoff *= 2;
  if (backoff > COFFER_BACKOFF_MAX_MS) backoff = COFFER_BACKOFF_MAX_MS;
  slot->healthy = 0;
  slot->failures++;
  slot->check_at_ms = now + backoff / 2 + (long long)(next_random(pool) % (unsigned long long)(backoff / 2 + 1));
}

static void serves(struct coffer_endpoint *slot) {
  slot->healthy = 1;
  slot->failures = 0;
}

void coffer_pool_done(struct coffer_pool *pool, const struct coffer_pick *pick, enum coffer_outcome outcome,
                      long long now) {
  pthread_mutex_lock(&pool->lock);
  struct coffer_endpoint *slot = slot_of(pool, pick);
  if (slot != NULL) {
    if (slot->outstanding > 0) slot->outstanding--;
    if (outcome == COFFER_ANSWERED) serves(slot);
    else if (outcome == COFFER_FAILED) fail(pool, slot, now);
  }
  pthread_mutex_unlock(&pool->lock);
}

void coffer_pool_set_home(struct coffer_pool *pool, const struct coffer_pick *pick) {
  pthread_mutex_lock(&pool->lock);
  if (slot_of(pool, pick) != NULL) {
    pool->home_id = pick->id;
    pool->home_serial = pick->serial;
  }
  pthread_mutex_unlock(&pool->lock);
}

int coffer_pool_claim_check(struct coffer_pool *pool, long long now, struct coffer_pick *pick) {
  pthread_mutex_lock(&pool->lock);
  struct coffer_endpoint *due = NULL;
  size_t due_id = 0;
  for (size_t i = 0; i < pool->count; i++) {
    struct coffer_endpoint *slot = &pool->endpoints[i];
    if (slot->serial == 0 || !slot->listed || slot->healthy || slot->checking || slot->check_at_ms > now) continue;
    if (due == NULL || slot->check_at_ms < due->check_at_ms) {
      due = slot;
      due_id = i;
    }
  }
  if (due != NULL) {
    due->checking = 1;
    pick->id = due_id;
    pick->serial = due->serial;
    memcpy(pick->url, due->url, sizeof pick->url);
  }
  pthread_mutex_unlock(&pool->lock);
  return due != NULL ? 0 : -1;
}

void coffer_pool_checked(struct coffer_pool *pool, const struct coffer_pick *pick, int serving, const char *zone,
                         long long now) {
  pthread_mutex_lock(&pool->lock);
  struct coffer_endpoint *slot = slot_of(pool, pick);
  if (slot != NULL) {
    slot->checking = 0;
    /* The zone the node itself says it is in. */
    if (zone != NULL && zone[0] != '\0') snprintf(slot->zone, sizeof slot->zone, "%s", zone);
    if (serving > 0) serves(slot);
    else if (serving == 0 && !slot->healthy) fail(pool, slot, now); /* it was due: the backoff doubles */
  }
  pthread_mutex_unlock(&pool->lock);
}

int coffer_pool_claim_discovery(struct coffer_pool *pool, long long now) {
  pthread_mutex_lock(&pool->lock);
  int claimed = !pool->discovering && pool->discover_at_ms <= now;
  if (claimed) pool->discovering = 1;
  pthread_mutex_unlock(&pool->lock);
  return claimed;
}

void coffer_pool_discovered(struct coffer_pool *pool, long long next_at_ms) {
  pthread_mutex_lock(&pool->lock);
  pool->discovering = 0;
  pool->discover_at_ms = next_at_ms;
  pthread_mutex_unlock(&pool->lock);
}

void coffer_pool_before_fork(struct coffer_pool *pool) { pthread_mutex_lock(&pool->lock); }
void coffer_pool_after_fork(struct coffer_pool *pool) { pthread_mutex_unlock(&pool->lock); }
