/*
 * Configuration: the JSON file named by COFFER_PKCS11_CONF, then the environment over it.
 *   {"endpoints": ["https://host:2225"], "caFile": "...", "certFile": "...", "keyFile": "...",
 *    "connectTimeoutMs": 5000, "requestTimeoutMs": 30000, "combineInFlight": 2,
 *    "discover": false, "discoveryIntervalMs": 60000}
 * An endpoint may name its zone ("https://host:2225#zone-a", or {"url": …, "zone": …}); with
 * "zone" (COFFER_PKCS11_ZONE) the healthy endpoints of that zone are preferred (endpoint-pool.c).
 * Relative paths in the file are relative to the file's directory. The environment:
 * COFFER_PKCS11_ENDPOINTS (comma-separated), COFFER_PKCS11_CA_FILE, COFFER_PKCS11_CERT_FILE,
 * COFFER_PKCS11_KEY_FILE, COFFER_PKCS11_CONNECT_TIMEOUT_MS, COFFER_PKCS11_REQUEST_TIMEOUT_MS,
 * COFFER_PKCS11_COMBINE_IN_FLIGHT, COFFER_PKCS11_DISCOVER (1 or 0),
 * COFFER_PKCS11_DISCOVERY_INTERVAL_MS. `combineInFlight` is how many requests of combined calls
 * (combiner.c) may be on their way at once; 0 sends every call alone. `discover` also uses the
 * nodes the cluster lists (discovery.c), asked at C_Initialize and again every
 * `discoveryIntervalMs` (1000 to 86400000). A value out of its bounds, or of the wrong type,
 * fails C_Initialize with CKR_GENERAL_ERROR.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_COMBINE_IN_FLIGHT 2L
#define MAX_COMBINE_IN_FLIGHT 64L
#define DEFAULT_DISCOVERY_INTERVAL_MS 60000L
#define MIN_DISCOVERY_INTERVAL_MS 1000L
#define MAX_DISCOVERY_INTERVAL_MS 86400000L

static char *resolve(const char *base_dir, const char *path) {
  if (path[0] == '/' || base_dir == NULL) return strdup(path);
  size_t length = strlen(base_dir) + 1 + strlen(path) + 1;
  char *joined = malloc(length);
  if (joined != NULL) {
    strcpy(joined, base_dir);
    strcat(joined, "/");
    strcat(joined, path);
  }
  return joined;
}

static CK_RV set_path(char **slot, const char *base_dir, const char *path) {
  free(*slot);
  *slot = resolve(base_dir, path);
  return *slot == NULL ? CKR_HOST_MEMORY : CKR_OK;
}

static CK_RV add_endpoint(struct coffer_config *config, const char *url, size_t length) {
  char **grown = realloc(config->endpoints, (config->endpoint_count + 1) * sizeof *grown);
  if (grown == NULL) return CKR_HOST_MEMORY;
  config->endpoints = grown;
  char *copy = strndup(url, length);
  if (copy == NULL) return CKR_HOST_MEMORY;
  while (length > 0 && copy[length - 1] == '/') copy[--length] = '\0';
  config->endpoints[config->endpoint_count++] = copy;
  return CKR_OK;
}

/* {"url": "https://…", "zone": "…"}: kept as "url#zone" until zones.c orders the list. */
static CK_RV add_zoned_endpoint(struct coffer_config *config, json_object *entry) {
  json_object *url, *zone;
  if (!json_object_object_get_ex(entry, "url", &url) || !json_object_is_type(url, json_type_string))
    return CKR_GENERAL_ERROR;
  int zoned = json_object_object_get_ex(entry, "zone", &zone);
  if (zoned && !json_object_is_type(zone, json_type_string)) return CKR_GENERAL_ERROR;
  const char *text = json_object_get_string(url);
  if (strchr(text, '#') != NULL) return CKR_GENERAL_ERROR;
  size_t length = strlen(text) + 2 + (zoned ? strlen(json_object_get_string(zone)) : 0);
  char *joined = malloc(length);
  if (joined == NULL) return CKR_HOST_MEMORY;
  snprintf(joined, length, "%s%s%s", text, zoned ? "#" : "", zoned ? json_object_get_string(zone) : "");
  CK_RV rv = add_endpoint(config, joined, strlen(joined));
  free(joined);
  return rv;
}

static CK_RV set_zone(struct coffer_config *config, const char *zone) {
  free(config->zone);
  config->zone = strdup(zone);
  return config->zone == NULL ? CKR_HOST_MEMORY : CKR_OK;
}

static void clear_endpoints(struct coffer_config *config) {
  for (size_t i = 0; i < config->endpoint_count; i++) {
    free(config->endpoints[i]);
    if (config->endpoint_zones != NULL) free(config->endpoint_zones[i]);
  }
  free(config->endpoints);
  free(config->endpoint_zones);
  config->endpoints = NULL;
  config->endpoint_zones = NULL;
  config->endpoint_count = 0;
}

static char *directory_of(const char *file) {
  const char *slash = strrchr(file, '/');
  if (slash == NULL) return strdup(".");
  if (slash == file) return strdup("/");
  return strndup(file, (size_t)(slash - file));
}

static CK_RV read_timeout(json_object *root, const char *key, long *out) {
  json_object *value;
  if (!json_object_object_get_ex(root, key, &value)) return CKR_OK;
  if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) <= 0) return CKR_ARGUMENTS_BAD;
  *out = (long)json_object_get_int64(value);
  return CKR_OK;
}

static CK_RV read_in_flight(json_object *root, long *out) {
  json_object *value;
  if (!json_object_object_get_ex(root, "combineInFlight", &value)) return CKR_OK;
  if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0 ||
      json_object_get_int64(value) > MAX_COMBINE_IN_FLIGHT)
    return CKR_ARGUMENTS_BAD;
  *out = (long)json_object_get_int64(value);
  return CKR_OK;
}

static CK_RV read_discovery(json_object *root, struct coffer_config *config) {
  json_object *value;
  if (json_object_object_get_ex(root, "discover", &value)) {
    if (!json_object_is_type(value, json_type_boolean)) return CKR_ARGUMENTS_BAD;
    config->discover = json_object_get_boolean(value);
  }
  if (!json_object_object_get_ex(root, "discoveryIntervalMs", &value)) return CKR_OK;
  if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < MIN_DISCOVERY_INTERVAL_MS ||
      json_object_get_int64(value) > MAX_DISCOVERY_INTERVAL_MS)
    return CKR_ARGUMENTS_BAD;
  config->discovery_interval_ms = (long)json_object_get_int64(value);
  return CKR_OK;
}

static CK_RV read_file(struct coffer_config *config, const char *file) {
  json_object *root = json_object_from_file(file);
  if (root == NULL || !json_object_is_type(root, json_type_object)) {
    if (root != NULL) json_object_put(root);
    return CKR_GENERAL_ERROR;
  }
  char *base_dir = directory_of(file);
  CK_RV rv = base_dir == NULL ? CKR_HOST_MEMORY : CKR_OK;
  json_object *value;
  if (rv == CKR_OK && json_object_object_get_ex(root, "endpoints", &value)) {
    if (!json_object_is_type(value, json_type_array)) rv = CKR_GENERAL_ERROR;
    for (size_t i = 0; rv == CKR_OK && i < json_object_array_length(value); i++) {
      json_object *entry = json_object_array_get_idx(value, i);
      if (json_object_is_type(entry, json_type_object)) rv = add_zoned_endpoint(config, entry);
      else if (!json_object_is_type(entry, json_type_string)) rv = CKR_GENERAL_ERROR;
      else rv = add_endpoint(config, json_object_get_string(entry), (size_t)json_object_get_string_len(entry));
    }
  }
  static const char *const path_keys[] = {"caFile", "certFile", "keyFile"};
  char **path_slots[] = {&config->ca_file, &config->cert_file, &config->key_file};
  for (size_t i = 0; rv == CKR_OK && i < 3; i++) {
    if (!json_object_object_get_ex(root, path_keys[i], &value)) continue;
    if (!json_object_is_type(value, json_type_string)) rv = CKR_GENERAL_ERROR;
    else rv = set_path(path_slots[i], base_dir, json_object_get_string(value));
  }
  if (rv == CKR_OK && json_object_object_get_ex(root, "zone", &value))
    rv = json_object_is_type(value, json_type_string) ? set_zone(config, json_object_get_string(value))
                                                      : CKR_GENERAL_ERROR;
  if (rv == CKR_OK) rv = read_timeout(root, "connectTimeoutMs", &config->connect_timeout_ms);
  if (rv == CKR_OK) rv = read_timeout(root, "requestTimeoutMs", &config->request_timeout_ms);
  if (rv == CKR_OK) rv = read_in_flight(root, &config->combine_in_flight);
  if (rv == CKR_OK) rv = read_discovery(root, config);
  if (rv == CKR_ARGUMENTS_BAD) rv = CKR_GENERAL_ERROR;
  free(base_dir);
  json_object_put(root);
  return rv;
}

static CK_RV read_environment(struct coffer_config *config) {
  const char *endpoints = getenv("COFFER_PKCS11_ENDPOINTS");
  if (endpoints != NULL && endpoints[0] != '\0') {
    clear_endpoints(config);
    for (const char *start = endpoints; *start != '\0';) {
      size_t length = strcspn(start, ",");
      if (length > 0) {
        CK_RV rv = add_endpoint(config, start, length);
        if (rv != CKR_OK) return rv;
      }
      start += length;
      if (*start == ',') start++;
    }
  }
  const char *zone = getenv("COFFER_PKCS11_ZONE");
  if (zone != NULL && zone[0] != '\0' && set_zone(config, zone) != CKR_OK) return CKR_HOST_MEMORY;
  static const char *const path_vars[] = {"COFFER_PKCS11_CA_FILE", "COFFER_PKCS11_CERT_FILE", "COFFER_PKCS11_KEY_FILE"};
  char **path_slots[] = {&config->ca_file, &config->cert_file, &config->key_file};
  for (size_t i = 0; i < 3; i++) {
    const char *value = getenv(path_vars[i]);
    if (value == NULL || value[0] == '\0') continue;
    CK_RV rv = set_path(path_slots[i], NULL, value);
    if (rv != CKR_OK) return rv;
  }
  static const char *const timeout_vars[] = {"COFFER_PKCS11_CONNECT_TIMEOUT_MS", "COFFER_PKCS11_REQUEST_TIMEOUT_MS"};
  long *timeout_slots[] = {&config->connect_timeout_ms, &config->request_timeout_ms};
  for (size_t i = 0; i < 2; i++) {
    const char *value = getenv(timeout_vars[i]);
    if (value == NULL || value[0] == '\0') continue;
    char *end;
    long parsed = strtol(value, &end, 10);
    if (*end != '\0' || parsed <= 0) return CKR_GENERAL_ERROR;
    *timeout_slots[i] = parsed;
  }
  const char *in_flight = getenv("COFFER_PKCS11_COMBINE_IN_FLIGHT");
  if (in_flight != NULL && in_flight[0] != '\0') {
    char *end;
    long parsed = strtol(in_flight, &end, 10);
    if (*end != '\0' || parsed < 0 || parsed > MAX_COMBINE_IN_FLIGHT) return CKR_GENERAL_ERROR;
    config->combine_in_flight = parsed;
  }
  const char *discover = getenv("COFFER_PKCS11_DISCOVER");
  if (discover != NULL && discover[0] != '\0') {
    if (strcmp(discover, "1") != 0 && strcmp(discover, "0") != 0) return CKR_GENERAL_ERROR;
    config->discover = discover[0] == '1';
  }
  const char *interval = getenv("COFFER_PKCS11_DISCOVERY_INTERVAL_MS");
  if (interval != NULL && interval[0] != '\0') {
    char *end;
    long parsed = strtol(interval, &end, 10);
    if (*end != '\0' || parsed < MIN_DISCOVERY_INTERVAL_MS || parsed > MAX_DISCOVERY_INTERVAL_MS)
      return CKR_GENERAL_ERROR;
    config->discovery_interval_ms = parsed;
  }
  return CKR_OK;
}

CK_RV coffer_config_load(struct coffer_config *config) {
  memset(config, 0, sizeof *config);
  config->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  config->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
  config->combine_in_flight = DEFAULT_COMBINE_IN_FLIGHT;
  config->discovery_interval_ms = DEFAULT_DISCOVERY_INTERVAL_MS;
  const char *file = getenv("COFFER_PKCS11_CONF");
  CK_RV rv = CKR_OK;
  if (file != NULL && file[0] != '\0') rv = read_file(config, file);
  if (rv == CKR_OK) rv = read_environment(config);
  if (rv == CKR_OK && config->endpoint_count == 0) rv = CKR_GENERAL_ERROR;
  if (rv == CKR_OK) rv = coffer_config_split_zones(config);
  if (rv != CKR_OK) coffer_config_free(config);
  return rv;
}

void coffer_config_free(struct coffer_config *config) {
  clear_endpoints(config);
  free(config->zone);
  free(config->ca_file);
  free(config->cert_file);
  free(config->key_file);
  memset(config, 0, sizeof *config);
}
