/*
 * Endpoints and zones. An endpoint may name its node's zone after a '#' ("https://n1:2225#eu-1a";
 * a fragment is never sent). Once the configuration is read, each fragment is split off into
 * the endpoint's zone, and trailing slashes dropped: the endpoint pool (endpoint-pool.c) then
 * prefers the endpoints of the client's zone (the "zone" setting) while one of them is healthy.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "internal.h"

CK_RV coffer_config_split_zones(struct coffer_config *config) {
  size_t count = config->endpoint_count;
  if (count > COFFER_ENDPOINTS_MAX) return CKR_GENERAL_ERROR;
  if (config->zone != NULL && strlen(config->zone) >= COFFER_ZONE_MAX) return CKR_GENERAL_ERROR;
  char **zones = calloc(count > 0 ? count : 1, sizeof *zones);
  if (zones == NULL) return CKR_HOST_MEMORY;
  config->endpoint_zones = zones;
  for (size_t i = 0; i < count; i++) {
    char *hash = strchr(config->endpoints[i], '#');
    if (hash != NULL) {
      *hash = '\0';
      if (hash[1] != '\0' && (zones[i] = strdup(hash + 1)) == NULL) return CKR_HOST_MEMORY;
      if (zones[i] != NULL && strlen(zones[i]) >= COFFER_ZONE_MAX) return CKR_GENERAL_ERROR;
    }
    size_t length = strlen(config->endpoints[i]);
    while (length > 0 && config->endpoints[i][length - 1] == '/') config->endpoints[i][--length] = '\0';
    if (length == 0 || length >= COFFER_URL_MAX) return CKR_GENERAL_ERROR;
  }
  return CKR_OK;
}
