/*
 * Endpoints and zones. An endpoint may name its node's zone after a '#' ("https://n1:2225#eu-1a";
 * a fragment is never sent). Once the configuration is read, the endpoints of the client's zone
 * (the "zone" setting) come first, in their configured order, and the fragments are dropped:
 * the transport then tries the zone's endpoints before the others, and comes back to them.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int in_zone(const char *endpoint, const char *zone) {
  const char *hash = strchr(endpoint, '#');
  return zone != NULL && zone[0] != '\0' && hash != NULL && strcmp(hash + 1, zone) == 0;
}

CK_RV coffer_config_order_by_zone(struct coffer_config *config) {
  size_t count = config->endpoint_count;
  if (count == 0) return CKR_OK;
  char **ordered = malloc(count * sizeof *ordered);
  if (ordered == NULL) return CKR_HOST_MEMORY;
  size_t next = 0;
  for (int local = 1; local >= 0; local--)
    for (size_t i = 0; i < count; i++)
      if (in_zone(config->endpoints[i], config->zone) == local) ordered[next++] = config->endpoints[i];
  config->zone_endpoint_count = 0;
  for (size_t i = 0; i < count; i++)
    if (in_zone(ordered[i], config->zone)) config->zone_endpoint_count++;
  for (size_t i = 0; i < count; i++) {
    char *hash = strchr(ordered[i], '#');
    if (hash != NULL) *hash = '\0';
    size_t length = strlen(ordered[i]);
    while (length > 0 && ordered[i][length - 1] == '/') ordered[i][--length] = '\0';
  }
  free(config->endpoints);
  config->endpoints = ordered;
  return CKR_OK;
}
