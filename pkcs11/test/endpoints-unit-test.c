/*
 * Checks of the endpoint choice (endpoint-pool.c), what must go to one node (affinity.c), the
 * health answer (health.c), the discovery answer (discovery.c) and their configuration, linked with the module's objects; no node.
 * The pool's clock is the `now` each call is given, so backoffs are checked to the millisecond.
 * Prints one line per check and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

static struct coffer_pool pool;

/* A fresh pool of these endpoints ("url#zone" or "url"), the client in `zone`. */
static void fresh(const char *zone, const char *const *endpoints, size_t count) {
  coffer_pool_reset(&pool, zone, 42);
  for (size_t i = 0; i < count; i++) {
    char url[COFFER_URL_MAX];
    snprintf(url, sizeof url, "%s", endpoints[i]);
    char *hash = strchr(url, '#');
    if (hash != NULL) *hash++ = '\0';
    if (coffer_pool_add(&pool, url, hash) != CKR_OK) printf("# cannot add %s\n", endpoints[i]);
  }
}

/* The URL the next first attempt goes to ("" for none), its pick kept in *held. */
static const char *next(struct coffer_pick *held) {
  uint64_t tried = 0;
  return coffer_pool_pick(&pool, &tried, 0, held) == 0 ? held->url : "";
}

/* One request that is answered at once: the URL it went to. */
static char answered_url[COFFER_URL_MAX];
static const char *one_request(void) {
  struct coffer_pick pick;
  snprintf(answered_url, sizeof answered_url, "%s", next(&pick));
  if (answered_url[0] != '\0') coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  return answered_url;
}

/* The pool's endpoint of that URL, or an empty one (serial 0) when there is none. */
static const struct coffer_endpoint *endpoint(const char *url) {
  static const struct coffer_endpoint missing;
  for (size_t i = 0; i < pool.count; i++)
    if (pool.endpoints[i].serial != 0 && strcmp(pool.endpoints[i].url, url) == 0) return &pool.endpoints[i];
  return &missing;
}
static int present(const char *url) { return endpoint(url)->serial != 0; }

/* Marks `url` failed at `now` through a request to it (it must be the next pick). */
static int fail_at(const char *url, long long now) {
  struct coffer_pick pick;
  uint64_t tried = 0;
  while (coffer_pool_pick(&pool, &tried, 0, &pick) == 0) {
    int hit = strcmp(pick.url, url) == 0;
    coffer_pool_done(&pool, &pick, hit ? COFFER_FAILED : COFFER_NEITHER, now);
    if (hit) return 1;
  }
  return 0;
}

static void least_outstanding(void) {
  static const char *const two[] = {"https://a:1", "https://b:1"};
  fresh(NULL, two, 2);
  struct coffer_pick first, second, third, fourth;
  CHECK(strcmp(next(&first), "https://a:1") == 0);
  CHECK(strcmp(next(&second), "https://b:1") == 0);   /* a has one outstanding */
  CHECK(strcmp(next(&third), "https://a:1") == 0);    /* one each: a was picked longest ago */
  CHECK(endpoint("https://a:1")->outstanding == 2 && endpoint("https://b:1")->outstanding == 1);
  CHECK(strcmp(next(&fourth), "https://b:1") == 0);
  coffer_pool_done(&pool, &second, COFFER_ANSWERED, 0);
  coffer_pool_done(&pool, &fourth, COFFER_ANSWERED, 0);
  CHECK(strcmp(next(&second), "https://b:1") == 0);   /* b: 0 outstanding, a: 2 */
  CHECK(strcmp(next(&fourth), "https://b:1") == 0);   /* b: 1, a: 2 */
  coffer_pool_done(&pool, &first, COFFER_ANSWERED, 0);
  coffer_pool_done(&pool, &third, COFFER_ANSWERED, 0);
  coffer_pool_done(&pool, &second, COFFER_ANSWERED, 0);
  coffer_pool_done(&pool, &fourth, COFFER_ANSWERED, 0);
  CHECK(endpoint("https://a:1")->outstanding == 0 && endpoint("https://b:1")->outstanding == 0);
  /* Ties go to the one picked longest ago: one request at a time goes round. */
  static const char *const three[] = {"https://a:1", "https://b:1", "https://c:1"};
  fresh(NULL, three, 3);
  const char *expected[] = {"https://a:1", "https://b:1", "https://c:1", "https://a:1", "https://b:1", "https://c:1"};
  int round = 1;
  for (size_t i = 0; i < 6; i++) round &= strcmp(one_request(), expected[i]) == 0;
  CHECK(round);
  /* A second attempt of the same request goes to another endpoint; none when all were tried. */
  uint64_t tried = 0;
  struct coffer_pick held[3], extra;
  int distinct = 1;
  for (int i = 0; i < 3; i++) distinct &= coffer_pool_pick(&pool, &tried, 0, &held[i]) == 0;
  CHECK(distinct && strcmp(held[0].url, held[1].url) != 0 && strcmp(held[1].url, held[2].url) != 0 &&
        strcmp(held[0].url, held[2].url) != 0);
  CHECK(coffer_pool_pick(&pool, &tried, 0, &extra) == -1);
  for (int i = 0; i < 3; i++) coffer_pool_done(&pool, &held[i], COFFER_NEITHER, 0);
}

static void zone_first(void) {
  static const char *const zoned[] = {"https://a:1#z1", "https://b:1#z2", "https://c:1#z2"};
  fresh("z2", zoned, 3);
  struct coffer_pick held[4];
  /* The zone's endpoints, even with more outstanding than the other zone's. */
  CHECK(strcmp(next(&held[0]), "https://b:1") == 0);
  CHECK(strcmp(next(&held[1]), "https://c:1") == 0);
  CHECK(strcmp(next(&held[2]), "https://b:1") == 0);
  CHECK(strcmp(next(&held[3]), "https://c:1") == 0);
  for (int i = 0; i < 4; i++) coffer_pool_done(&pool, &held[i], COFFER_ANSWERED, 0);
  /* Only when none of the zone is healthy: the other zones'. */
  CHECK(fail_at("https://b:1", 1000));
  CHECK(strcmp(one_request(), "https://c:1") == 0);
  CHECK(strcmp(one_request(), "https://c:1") == 0);
  CHECK(fail_at("https://c:1", 1000));
  CHECK(strcmp(one_request(), "https://a:1") == 0);
  CHECK(strcmp(one_request(), "https://a:1") == 0);
  /* A client without a zone (or of a zone no endpoint is in) uses them all alike. */
  fresh("elsewhere", zoned, 3);
  CHECK(strcmp(one_request(), "https://a:1") == 0 && strcmp(one_request(), "https://b:1") == 0);
}

static void health_and_backoff(void) {
  static const char *const two[] = {"https://a:1#z", "https://b:1#z"};
  fresh("z", two, 2);
  CHECK(fail_at("https://a:1", 10000));
  CHECK(!endpoint("https://a:1")->healthy);
  /* Skipped while it is out. */
  int skipped = 1;
  for (int i = 0; i < 4; i++) skipped &= strcmp(one_request(), "https://b:1") == 0;
  CHECK(skipped);
  /* Its first check is due within 125 to 250 ms (the upper half of 250, jittered). */
  struct coffer_pick check, other;
  CHECK(coffer_pool_claim_check(&pool, 10000 + 124, &check) == -1);
  CHECK(coffer_pool_claim_check(&pool, 10000 + 250, &check) == 0 && strcmp(check.url, "https://a:1") == 0);
  CHECK(coffer_pool_claim_check(&pool, 10000 + 250, &other) == -1); /* claimed: no other thread checks it */
  /* Each failed check doubles the backoff (500 ms after the first), up to 10 s. */
  long long now = 10000 + 250, backoff = 2 * COFFER_BACKOFF_MIN_MS;
  int doubling = 1;
  for (int i = 0; i < 8; i++) {
    coffer_pool_checked(&pool, &check, 0, NULL, now);
    long long due = endpoint("https://a:1")->check_at_ms - now;
    doubling &= due >= backoff / 2 && due <= backoff;
    doubling &= coffer_pool_claim_check(&pool, now + backoff / 2 - 1, &other) == -1;
    doubling &= coffer_pool_claim_check(&pool, now + backoff, &check) == 0;
    if (!doubling) printf("# round %d: due after %lld ms, backoff %lld\n", i, due, backoff);
    now += backoff;
    backoff = backoff * 2 > COFFER_BACKOFF_MAX_MS ? COFFER_BACKOFF_MAX_MS : backoff * 2;
  }
  CHECK(doubling);
  CHECK(backoff == COFFER_BACKOFF_MAX_MS && endpoint("https://a:1")->failures == 9);
  /* A check that finds it serving brings it back, its backoff reset; the zone it names is kept. */
  coffer_pool_checked(&pool, &check, 1, "z", now);
  CHECK(endpoint("https://a:1")->healthy && endpoint("https://a:1")->failures == 0);
  CHECK(strcmp(one_request(), "https://a:1") == 0); /* b was picked since: a's turn */
  CHECK(fail_at("https://a:1", now));
  CHECK(coffer_pool_claim_check(&pool, now + 250, &check) == 0);
  coffer_pool_checked(&pool, &check, -1, NULL, now + 250); /* no check made: claim released, backoff kept */
  CHECK(endpoint("https://a:1")->failures == 1 && !endpoint("https://a:1")->checking);
  /* Requests that left before it was marked fail too: its backoff does not double for them. */
  fresh("z", two, 2);
  struct coffer_pick on_a[3];
  uint64_t tried[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    coffer_pool_pick(&pool, &tried[i], 0, &on_a[i]);
    if (strcmp(on_a[i].url, "https://a:1") != 0) { /* b's: answered, and pick again for a */
      coffer_pool_done(&pool, &on_a[i], COFFER_ANSWERED, 0);
      coffer_pool_pick(&pool, &tried[i], 0, &on_a[i]);
    }
  }
  for (int i = 0; i < 3; i++) coffer_pool_done(&pool, &on_a[i], COFFER_FAILED, 5000);
  CHECK(endpoint("https://a:1")->failures == 1 && endpoint("https://a:1")->outstanding == 0);
  /* An answer from an endpoint that was out brings it back at once (a request is a probe). */
  struct coffer_pick again;
  uint64_t none = 0;
  none |= 1ull << 1; /* b tried already */
  CHECK(coffer_pool_pick(&pool, &none, 0, &again) == 0 && strcmp(again.url, "https://a:1") == 0);
  coffer_pool_done(&pool, &again, COFFER_ANSWERED, 5001);
  CHECK(endpoint("https://a:1")->healthy && endpoint("https://a:1")->failures == 0);
}

static void all_unhealthy(void) {
  static const char *const three[] = {"https://a:1#far", "https://b:1#near", "https://c:1#far"};
  fresh("near", three, 3);
  CHECK(fail_at("https://b:1", 0));
  CHECK(fail_at("https://a:1", 0));
  CHECK(fail_at("https://c:1", 0));
  /* None healthy, none due: a request still tries them all, its zone first. */
  uint64_t tried = 0;
  struct coffer_pick held[3], extra;
  CHECK(coffer_pool_pick(&pool, &tried, 0, &held[0]) == 0 && strcmp(held[0].url, "https://b:1") == 0);
  CHECK(coffer_pool_pick(&pool, &tried, 0, &held[1]) == 0 && strcmp(held[1].url, "https://a:1") == 0);
  CHECK(coffer_pool_pick(&pool, &tried, 0, &held[2]) == 0 && strcmp(held[2].url, "https://c:1") == 0);
  CHECK(coffer_pool_pick(&pool, &tried, 0, &extra) == -1);
  coffer_pool_done(&pool, &held[0], COFFER_FAILED, 1);
  coffer_pool_done(&pool, &held[1], COFFER_FAILED, 1);
  coffer_pool_done(&pool, &held[2], COFFER_ANSWERED, 1);
  CHECK(endpoint("https://c:1")->healthy && endpoint("https://a:1")->failures == 1);
  CHECK(strcmp(one_request(), "https://c:1") == 0); /* the only healthy one, though of another zone */
}

static void discovered(void) {
  static const char *const one[] = {"https://a:1"};
  fresh("z1", one, 1);
  struct coffer_node nodes[3] = {{"https://a:1", "z1"}, {"https://b:1", "z1"}, {"https://c:1", "z2"}};
  coffer_pool_list(&pool, nodes, 3);
  CHECK(present("https://b:1") && present("https://c:1"));
  CHECK(strcmp(endpoint("https://a:1")->zone, "z1") == 0); /* a zone learned fills one not known */
  CHECK(strcmp(one_request(), "https://a:1") == 0 && strcmp(one_request(), "https://b:1") == 0);
  CHECK(strcmp(one_request(), "https://a:1") == 0); /* c is of another zone */
  /* b mid-request when the list drops it: out of the choice at once, its slot kept until answered. */
  struct coffer_pick on_b, on_new;
  CHECK(strcmp(next(&on_b), "https://b:1") == 0);
  coffer_pool_list(&pool, nodes + 2, 1);
  CHECK(endpoint("https://a:1")->listed && !endpoint("https://b:1")->listed); /* configured ones stay */
  int never_b = 1;
  for (int i = 0; i < 4; i++) never_b &= strcmp(one_request(), "https://a:1") == 0;
  CHECK(never_b);
  struct coffer_node fresh_node = {"https://d:1", "z1"};
  struct coffer_node both[2] = {fresh_node, nodes[2]};
  coffer_pool_list(&pool, both, 2);
  CHECK(present("https://d:1") && present("https://b:1")); /* b's slot still held */
  coffer_pool_done(&pool, &on_b, COFFER_FAILED, 0);
  CHECK(endpoint("https://b:1")->outstanding == 0);
  /* Once free, the slot is reused; a late answer about its old occupant changes nothing. */
  struct coffer_node later[3] = {fresh_node, nodes[2], {"https://e:1", "z1"}};
  coffer_pool_list(&pool, later, 3);
  CHECK(!present("https://b:1") && present("https://e:1"));
  CHECK(endpoint("https://e:1")->serial != on_b.serial);
  coffer_pool_done(&pool, &on_b, COFFER_FAILED, 0);
  CHECK(endpoint("https://e:1")->healthy);
  CHECK(strcmp(next(&on_new), "") != 0);
  coffer_pool_done(&pool, &on_new, COFFER_ANSWERED, 0);
  /* Bounded: at most COFFER_ENDPOINTS_MAX endpoints; the rest of a list is left out. */
  static struct coffer_node many[COFFER_ENDPOINTS_MAX + 8];
  for (size_t i = 0; i < COFFER_ENDPOINTS_MAX + 8; i++) snprintf(many[i].url, COFFER_URL_MAX, "https://n%zu:1", i);
  coffer_pool_list(&pool, many, COFFER_ENDPOINTS_MAX + 8);
  CHECK(pool.count == COFFER_ENDPOINTS_MAX && present("https://a:1"));
  CHECK(!present("https://n70:1"));
  CHECK_RV(coffer_pool_add(&pool, "https://one-too-many:1", NULL), CKR_GENERAL_ERROR);
  /* Discovery's turn: claimed by one thread until it says when the next is due. */
  fresh(NULL, one, 1);
  CHECK(coffer_pool_claim_discovery(&pool, 0));
  CHECK(!coffer_pool_claim_discovery(&pool, 0));
  coffer_pool_discovered(&pool, 60000);
  CHECK(!coffer_pool_claim_discovery(&pool, 59999) && coffer_pool_claim_discovery(&pool, 60000));
}

static void node_bound(void) {
  /* What lives on one node: multi-part operations, searches, session objects' creation. */
  CHECK(coffer_is_node_bound("POST", "/v1/crypto/operations", "{}"));
  CHECK(coffer_is_node_bound("POST", "/v1/crypto/operations/0123abcd/update", "{}"));
  CHECK(coffer_is_node_bound("DELETE", "/v1/crypto/operations/0123abcd", NULL));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/objects/find", "{\"template\":[]}"));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/public/objects/find", "{\"template\":[]}"));
  const char *session_key = "{\"mechanism\":\"AES_KEY_GEN\",\"template\":[{\"type\":353,\"value\":32}]}";
  const char *session_flag = "{\"template\":[{\"type\":1,\"value\":false}]}";
  const char *token_key = "{\"mechanism\":\"AES_KEY_GEN\",\"template\":[{\"type\":1,\"value\":true}]}";
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/keys/generate", session_key)); /* the spec's default: a session object */
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/keys/generate", session_flag));
  CHECK(!coffer_is_node_bound("POST", "/v1/pkcs11/keys/generate", token_key));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/objects", session_flag));
  CHECK(!coffer_is_node_bound("POST", "/v1/pkcs11/objects", token_key));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/keys/unwrap", session_key));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/keys/derive", session_key));
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/objects/0x0000000000000001/copy", "{\"template\":[]}"));
  /* A pair is a token pair only when both templates say so. */
  CHECK(coffer_is_node_bound("POST", "/v1/pkcs11/keys/generate-pair", token_key));
  CHECK(!coffer_is_node_bound("POST", "/v1/pkcs11/keys/generate-pair",
                              "{\"publicTemplate\":[{\"type\":1,\"value\":true}],"
                              "\"privateTemplate\":[{\"type\":1,\"value\":true}]}"));
  /* The rest spreads (a session object met elsewhere is looked for at home: transport.c). */
  CHECK(!coffer_is_node_bound("POST", "/v1/crypto/encrypt", "{\"keyHandle\":\"0x01\"}"));
  CHECK(!coffer_is_node_bound("POST", "/v1/crypto/random", "{\"length\":8}"));
  CHECK(!coffer_is_node_bound("POST", "/v1/pkcs11/objects/attributes", "{}"));
  CHECK(!coffer_is_node_bound("GET", "/v1/mechanisms", NULL));
  CHECK(coffer_is_node_bound("POST", "/v1/sessions", "{}")); /* the login chooses the home */
  CHECK(!coffer_is_node_bound("DELETE", "/v1/sessions/current", NULL));
  CHECK(!coffer_is_node_bound("GET", "/v1/pkcs11/objects/find", NULL));
  CHECK(!coffer_is_node_bound("POST", "/v1/pkcs11/objects/0x01/copy/x", "{}"));

  /* The home: where the last node-bound request was answered, while it is healthy. */
  static const char *const two[] = {"https://a:1", "https://b:1"};
  fresh(NULL, two, 2);
  struct coffer_pick pick;
  uint64_t tried = 0;
  CHECK(coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://a:1") == 0); /* no home yet */
  coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  CHECK(strcmp(one_request(), "https://b:1") == 0);
  tried = 0;
  CHECK(coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://a:1") == 0);
  coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  coffer_pool_set_home(&pool, &pick); /* a node-bound request answered at a */
  int at_home = 1;
  for (int i = 0; i < 4; i++) {
    tried = 0;
    at_home &= coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://a:1") == 0;
    coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  }
  CHECK(at_home);                                   /* even with equal load elsewhere */
  CHECK(strcmp(one_request(), "https://b:1") == 0); /* the others still spread */
  /* Home tried already (it said the object lives elsewhere): the next choice as usual. */
  tried = 0;
  CHECK(coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://a:1") == 0);
  coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  CHECK(coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://b:1") == 0);
  coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  /* Home down: node-bound requests go on elsewhere. */
  CHECK(fail_at("https://a:1", 0));
  tried = 0;
  CHECK(coffer_pool_pick(&pool, &tried, 1, &pick) == 0 && strcmp(pick.url, "https://b:1") == 0);
  coffer_pool_done(&pool, &pick, COFFER_ANSWERED, 0);
  /* A reset forgets it. */
  fresh(NULL, two, 2);
  CHECK(pool.home_serial == 0);
}

static void health_answers(void) {
  char zone[COFFER_ZONE_MAX];
  CHECK(coffer_health_serving(200, "{\"status\":\"ok\",\"sealed\":false,\"version\":\"1\",\"zone\":\"z1\"}", zone) &&
        strcmp(zone, "z1") == 0);
  CHECK(coffer_health_serving(200, "{\"status\":\"ok\",\"sealed\":false}", zone) && zone[0] == '\0');
  CHECK(!coffer_health_serving(200, "{\"status\":\"ok\",\"sealed\":true,\"zone\":\"z1\"}", zone)); /* sealed */
  CHECK(strcmp(zone, "z1") == 0);
  CHECK(!coffer_health_serving(503, "{\"error\":{\"code\":\"NODE_SEALED\"}}", zone));
  CHECK(!coffer_health_serving(200, "{\"status\":\"ok\"}", zone));
  CHECK(!coffer_health_serving(200, "{\"sealed\":\"false\"}", zone));
  CHECK(!coffer_health_serving(200, "not json", zone));
  CHECK(!coffer_health_serving(200, "[]", zone));
  CHECK(!coffer_health_serving(200, NULL, zone));
  char long_zone[200];
  snprintf(long_zone, sizeof long_zone, "{\"sealed\":false,\"zone\":\"%0100d\"}", 0);
  CHECK(coffer_health_serving(200, long_zone, zone) && zone[0] == '\0'); /* a zone too long is not taken */
}

static int parse(const char *text, struct coffer_node *nodes, size_t max) {
  json_object *answer = json_tokener_parse(text);
  int count = coffer_discovery_parse(answer, nodes, max);
  if (answer != NULL) json_object_put(answer);
  return count;
}

static void discovery_answers(void) {
  struct coffer_node nodes[8];
  CHECK(parse("{\"nodes\":[{\"url\":\"https://n1:2225\",\"zone\":\"z1\"},{\"url\":\"https://n2:2225/\"}]}", nodes, 8) ==
        2);
  CHECK(strcmp(nodes[0].url, "https://n1:2225") == 0 && strcmp(nodes[0].zone, "z1") == 0);
  CHECK(strcmp(nodes[1].url, "https://n2:2225") == 0 && nodes[1].zone[0] == '\0');
  /* Anything but https is refused, and left out. */
  CHECK(parse("{\"nodes\":[{\"url\":\"http://n1:2225\"},{\"url\":\"https://ok:1\"},{\"url\":\"ftp://n3\"}]}", nodes, 8) ==
        1);
  CHECK(strcmp(nodes[0].url, "https://ok:1") == 0);
  static const char *const refused[] = {
      "{\"nodes\":[{\"url\":\"http://n1:2225\"}]}",
      "{\"nodes\":[{\"url\":\"HTTP://n1:2225\"}]}",
      "{\"nodes\":[{\"url\":\"https://\"}]}",
      "{\"nodes\":[{\"url\":\"https:///\"}]}",
      "{\"nodes\":[{\"url\":\"https:///etc/passwd\"}]}",
      "{\"nodes\":[{\"url\":\"https://user:pw@n1:2225\"}]}",
      "{\"nodes\":[{\"url\":\"https://n1:2225#z\"}]}",
      "{\"nodes\":[{\"url\":\"https://n1:2225?x=1\"}]}",
      "{\"nodes\":[{\"url\":\"https://n1 :2225\"}]}",
      "{\"nodes\":[{\"url\":\"https://n1:2225\\n\"}]}",
      "{\"nodes\":[{\"url\":\"file:///tmp/x\"}]}",
      "{\"nodes\":[{\"url\":\"//n1:2225\"}]}",
      "{\"nodes\":[{\"url\":7}]}",
      "{\"nodes\":[{\"url\":\"https://n1:2225\",\"zone\":7}]}",
      "{\"nodes\":[\"https://n1:2225\"]}",
      "{\"nodes\":[{}]}",
  };
  int none = 1;
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    int count = parse(refused[i], nodes, 8);
    if (count != 0) printf("# taken: %s\n", refused[i]);
    none &= count == 0;
  }
  CHECK(none);
  CHECK(parse("{\"nodes\":[{\"url\":\"HTTPS://n1:2225\"}]}", nodes, 8) == 1); /* the scheme's case does not matter */
  char long_url[COFFER_URL_MAX + 64];
  snprintf(long_url, sizeof long_url, "{\"nodes\":[{\"url\":\"https://%0*d\"}]}", COFFER_URL_MAX, 0);
  CHECK(parse(long_url, nodes, 8) == 0);
  /* Another shape: not a list at all (the pool keeps what it has). */
  CHECK(parse("{\"nodes\":{}}", nodes, 8) == -1);
  CHECK(parse("{}", nodes, 8) == -1);
  CHECK(parse("[]", nodes, 8) == -1);
  CHECK(coffer_discovery_parse(NULL, nodes, 8) == -1);
  CHECK(parse("{\"nodes\":[]}", nodes, 8) == 0);
  CHECK(parse("{\"nodes\":[{\"url\":\"https://a\"},{\"url\":\"https://b\"},{\"url\":\"https://c\"}]}", nodes, 2) == 2);
}

/* The configuration from a file with `text` (and the environment as it stands). */
static CK_RV load_file(const char *text, struct coffer_config *config) {
  char file[] = "/tmp/coffer-endpoints-conf-XXXXXX";
  int fd = mkstemp(file);
  FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
  if (out == NULL) return CKR_FUNCTION_FAILED;
  fputs(text, out);
  fclose(out);
  setenv("COFFER_PKCS11_CONF", file, 1);
  CK_RV rv = coffer_config_load(config);
  unsetenv("COFFER_PKCS11_CONF");
  remove(file);
  return rv;
}

static void configuration(void) {
  unsetenv("COFFER_PKCS11_ENDPOINTS");
  struct coffer_config config;
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"]}", &config), CKR_OK);
  CHECK(!config.discover && config.discovery_interval_ms == 60000);
  coffer_config_free(&config);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"], \"discover\": true, \"discoveryIntervalMs\": 5000}", &config),
           CKR_OK);
  CHECK(config.discover && config.discovery_interval_ms == 5000);
  coffer_config_free(&config);
  static const char *const bad[] = {
      "{\"endpoints\": [\"https://a:1\"], \"discover\": 1}",
      "{\"endpoints\": [\"https://a:1\"], \"discover\": \"yes\"}",
      "{\"endpoints\": [\"https://a:1\"], \"discoveryIntervalMs\": 999}",
      "{\"endpoints\": [\"https://a:1\"], \"discoveryIntervalMs\": 86400001}",
      "{\"endpoints\": [\"https://a:1\"], \"discoveryIntervalMs\": \"60000\"}",
      "{\"endpoints\": [\"https://a:1\"], \"discoveryIntervalMs\": 0}",
  };
  int refused = 1;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CK_RV rv = load_file(bad[i], &config);
    if (rv != CKR_GENERAL_ERROR) printf("# taken: %s\n", bad[i]);
    refused &= rv == CKR_GENERAL_ERROR;
  }
  CHECK(refused);
  /* The environment over the file. */
  setenv("COFFER_PKCS11_DISCOVER", "1", 1);
  setenv("COFFER_PKCS11_DISCOVERY_INTERVAL_MS", "1000", 1);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"], \"discover\": false}", &config), CKR_OK);
  CHECK(config.discover && config.discovery_interval_ms == 1000);
  coffer_config_free(&config);
  setenv("COFFER_PKCS11_DISCOVER", "0", 1);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"], \"discover\": true}", &config), CKR_OK);
  CHECK(!config.discover);
  coffer_config_free(&config);
  setenv("COFFER_PKCS11_DISCOVER", "yes", 1);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"]}", &config), CKR_GENERAL_ERROR);
  setenv("COFFER_PKCS11_DISCOVER", "1", 1);
  setenv("COFFER_PKCS11_DISCOVERY_INTERVAL_MS", "10", 1);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"]}", &config), CKR_GENERAL_ERROR);
  setenv("COFFER_PKCS11_DISCOVERY_INTERVAL_MS", "5s", 1);
  CHECK_RV(load_file("{\"endpoints\": [\"https://a:1\"]}", &config), CKR_GENERAL_ERROR);
  unsetenv("COFFER_PKCS11_DISCOVER");
  unsetenv("COFFER_PKCS11_DISCOVERY_INTERVAL_MS");
  /* Endpoints and zones the pool cannot hold are refused at C_Initialize, not cut short. */
  char text[COFFER_URL_MAX + 128];
  snprintf(text, sizeof text, "{\"endpoints\": [\"https://%0*d\"]}", COFFER_URL_MAX, 0);
  CHECK_RV(load_file(text, &config), CKR_GENERAL_ERROR);
  snprintf(text, sizeof text, "{\"endpoints\": [\"https://a:1#%0*d\"]}", COFFER_ZONE_MAX, 0);
  CHECK_RV(load_file(text, &config), CKR_GENERAL_ERROR);
  snprintf(text, sizeof text, "{\"endpoints\": [\"https://a:1\"], \"zone\": \"%0*d\"}", COFFER_ZONE_MAX, 0);
  CHECK_RV(load_file(text, &config), CKR_GENERAL_ERROR);
}

/* Threads picking and answering while another lists and drops endpoints: under ASan and
   valgrind nothing is used after it changed hands, and every count comes back to zero. */
#define WORKERS 4
#define ROUNDS 2000
static void *work(void *argument) {
  (void)argument;
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t tried = 0;
    struct coffer_pick pick;
    for (int attempt = 0; attempt < 2 && coffer_pool_pick(&pool, &tried, 0, &pick) == 0; attempt++) {
      int fails = pick.url[8] == 'b' && i % 7 == 0;
      coffer_pool_done(&pool, &pick, fails ? COFFER_FAILED : COFFER_ANSWERED, i);
      if (!fails) break;
    }
    struct coffer_pick check;
    if (coffer_pool_claim_check(&pool, i + 100000, &check) == 0) coffer_pool_checked(&pool, &check, i % 2, NULL, i);
  }
  return NULL;
}

static void *relist(void *argument) {
  (void)argument;
  struct coffer_node with[2] = {{"https://b:1", "z"}, {"https://c:1", "z"}}, without[1] = {{"https://c:1", "z"}};
  for (int i = 0; i < ROUNDS; i++) coffer_pool_list(&pool, i % 2 ? with : without, i % 2 ? 2 : 1);
  coffer_pool_list(&pool, with, 2);
  return NULL;
}

static void concurrent(void) {
  static const char *const one[] = {"https://a:1#z"};
  fresh("z", one, 1);
  pthread_t threads[WORKERS + 1];
  for (int i = 0; i < WORKERS; i++) pthread_create(&threads[i], NULL, work, NULL);
  pthread_create(&threads[WORKERS], NULL, relist, NULL);
  for (int i = 0; i <= WORKERS; i++) pthread_join(threads[i], NULL);
  unsigned outstanding = 0, checking = 0;
  for (size_t i = 0; i < pool.count; i++) {
    outstanding += pool.endpoints[i].outstanding;
    checking += (unsigned)pool.endpoints[i].checking;
  }
  CHECK(outstanding == 0 && checking == 0);
  CHECK(present("https://a:1") && present("https://b:1") && present("https://c:1"));
}

int main(void) {
  coffer_pool_init(&pool);
  least_outstanding();
  zone_first();
  health_and_backoff();
  all_unhealthy();
  discovered();
  node_bound();
  health_answers();
  discovery_answers();
  configuration();
  concurrent();
  coffer_pool_destroy(&pool);
  printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
