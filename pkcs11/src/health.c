/*
 * Health checks of unhealthy endpoints. A check is GET /v1/health: every node answers it, sealed
 * or not (src/api/routes/health.ts), with "sealed" and its zone; a node serves when it answers
 * 200 with "sealed": false. A sealed node answers everything else 503 NODE_SEALED, so it stays
 * out until it is unsealed.
 *
 * Checks run lazily, at request time, not on a thread of the module's own: a module that starts
 * threads must stop them before C_Finalize and cannot carry them into a fork() child, and an
 * application may fork at any moment. A request that finds an endpoint's check due (its backoff,
 * endpoint-pool.c) claims that check and makes it first, on its own curl handle, bounded by the
 * connect timeout in all; then it picks its endpoint, the checked one included when it serves.
 * One check per request: the cost falls on one request now and then. No lock is held across
 * the check; other threads skip the claimed endpoint meanwhile and never wait for it. When
 * every endpoint is unhealthy and none is due, requests try them all: a request that reaches
 * one brings it back too.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int coffer_health_serving(long status, const char *body, char zone[COFFER_ZONE_MAX]) {
  zone[0] = '\0';
  if (status != 200 || body == NULL) return 0;
  json_object *answer = json_tokener_parse(body);
  json_object *sealed, *named;
  int serving = json_object_is_type(answer, json_type_object) && json_object_object_get_ex(answer, "sealed", &sealed) &&
                json_object_is_type(sealed, json_type_boolean) && !json_object_get_boolean(sealed);
  if (json_object_is_type(answer, json_type_object) && json_object_object_get_ex(answer, "zone", &named) &&
      json_object_is_type(named, json_type_string) && (size_t)json_object_get_string_len(named) < COFFER_ZONE_MAX)
    snprintf(zone, COFFER_ZONE_MAX, "%s", json_object_get_string(named));
  if (answer != NULL) json_object_put(answer);
  return serving;
}

void coffer_health_check_due(const struct coffer_config *config, void *curl) {
  struct coffer_pool *pool = coffer_pool();
  struct coffer_pick check;
  if (coffer_pool_claim_check(pool, coffer_now_ms(), &check) != 0) return;
  long status = 0;
  char *body = NULL;
  CK_RV rv = coffer_http_get_once(curl, config, check.url, "/v1/health", config->connect_timeout_ms, &status, &body);
  char zone[COFFER_ZONE_MAX] = "";
  int serving = rv == CKR_HOST_MEMORY ? -1 : rv == CKR_OK && coffer_health_serving(status, body, zone);
  free(body);
  coffer_pool_checked(pool, &check, serving, zone, coffer_now_ms());
}
