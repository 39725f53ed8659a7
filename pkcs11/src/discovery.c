/*
 * Discovery ("discover": true): the module also uses the nodes the cluster lists. GET
 * /v1/cluster/nodes (src/api/routes/cluster.ts; no login, served sealed too) answers
 * {"nodes": [{"url": "https://…", "zone": "…"}]}: the live nodes with the URL each advertises.
 * It is asked at C_Initialize, before the first call, and again every `discoveryIntervalMs`,
 * checked at request time by the request that finds it due (others go on meanwhile); a failed
 * discovery is tried again after a second. It goes where any GET goes (endpoint-pool.c), and
 * is retried elsewhere as a GET is. The configured endpoints stay whatever the answer says;
 * discovered ones it no longer lists are dropped. Only https URLs are taken: an answer's other
 * URLs (another scheme, credentials, a fragment or query, a control character) are refused and
 * left out, and every URL, configured or discovered, is reached over TLS 1.3 with the cluster
 * CA (transport.c), so a listed name must still present a certificate of the cluster.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* How soon a discovery that failed is tried again (at most the interval). */
#define DISCOVERY_RETRY_MS 1000L

/* An https URL with a host, printable, without userinfo, query or fragment; copied without
   trailing slashes. */
static int take_url(const char *text, size_t length, char url[COFFER_URL_MAX]) {
  static const char scheme[] = "https://";
  if (length < sizeof scheme || strncasecmp(text, scheme, sizeof scheme - 1) != 0) return 0;
  while (length > sizeof scheme - 1 && text[length - 1] == '/') length--;
  if (length == sizeof scheme - 1 || length >= COFFER_URL_MAX || text[sizeof scheme - 1] == '/') return 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '?' || c == '@' || c == '\\') return 0;
  }
  memcpy(url, text, length);
  url[length] = '\0';
  return 1;
}

int coffer_discovery_parse(json_object *answer, struct coffer_node *nodes, size_t max) {
  json_object *list;
  if (!json_object_is_type(answer, json_type_object) || !json_object_object_get_ex(answer, "nodes", &list) ||
      !json_object_is_type(list, json_type_array))
    return -1;
  size_t count = 0;
  for (size_t i = 0; i < json_object_array_length(list) && count < max; i++) {
    json_object *node = json_object_array_get_idx(list, i), *url, *zone = NULL;
    if (!json_object_is_type(node, json_type_object) || !json_object_object_get_ex(node, "url", &url) ||
        !json_object_is_type(url, json_type_string))
      continue;
    if (json_object_object_get_ex(node, "zone", &zone) &&
        (!json_object_is_type(zone, json_type_string) || json_object_get_string_len(zone) >= COFFER_ZONE_MAX))
      continue;
    if (!take_url(json_object_get_string(url), (size_t)json_object_get_string_len(url), nodes[count].url)) continue;
    snprintf(nodes[count].zone, COFFER_ZONE_MAX, "%s", zone != NULL ? json_object_get_string(zone) : "");
    count++;
  }
  return (int)count;
}

void coffer_discovery_check_due(const struct coffer_config *config) {
  if (!config->discover) return;
  struct coffer_pool *pool = coffer_pool();
  if (!coffer_pool_claim_discovery(pool, coffer_now_ms())) return;
  json_object *answer = NULL;
  int listed = -1;
  /* The request below checks for a due discovery too: this one is claimed, so it goes on. */
  if (coffer_http(config, "GET", "/v1/cluster/nodes", NULL, NULL, &answer, NULL) == CKR_OK) {
    struct coffer_node *nodes = malloc(COFFER_ENDPOINTS_MAX * sizeof *nodes);
    if (nodes != NULL) listed = coffer_discovery_parse(answer, nodes, COFFER_ENDPOINTS_MAX);
    if (listed >= 0) coffer_pool_list(pool, nodes, (size_t)listed);
    free(nodes);
  }
  if (answer != NULL) json_object_put(answer);
  long retry = config->discovery_interval_ms < DISCOVERY_RETRY_MS ? config->discovery_interval_ms : DISCOVERY_RETRY_MS;
  coffer_pool_discovered(pool, coffer_now_ms() + (listed >= 0 ? config->discovery_interval_ms : retry));
}
