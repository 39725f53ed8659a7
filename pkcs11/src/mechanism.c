/*
 * Mechanisms: what GET /v1/mechanisms lists, as CKM_ values (the key generation mechanisms
 * too, with CKF_GENERATE or CKF_GENERATE_KEY_PAIR). Coffer names a mechanism by its CKM_ name
 * without the prefix; one table maps the names to values, and one maps the key types
 * to the key sizes the node accepts (bytes for AES and generic secrets, bits otherwise, as the
 * spec counts them). A mechanism the node lists twice (AES_GCM cipher and wrap) has its flags
 * merged; one the table does not know is left out rather than guessed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct mechanism_name {
  const char *name;
  CK_MECHANISM_TYPE type;
};

static const struct mechanism_name MECHANISMS[] = {
    {"AES_GCM", CKM_AES_GCM},
    {"AES_CBC", CKM_AES_CBC},
    {"AES_CBC_PAD", CKM_AES_CBC_PAD},
    {"AES_CTR", CKM_AES_CTR},
    {"AES_CMAC", CKM_AES_CMAC},
    {"AES_KEY_WRAP", CKM_AES_KEY_WRAP},
    {"AES_KEY_WRAP_PAD", CKM_AES_KEY_WRAP_PAD},
    {"RSA_PKCS", CKM_RSA_PKCS},
    {"RSA_PKCS_PSS", CKM_RSA_PKCS_PSS},
    {"RSA_PKCS_OAEP", CKM_RSA_PKCS_OAEP},
    {"RSA_AES_KEY_WRAP", CKM_RSA_AES_KEY_WRAP},
    {"SHA1_RSA_PKCS", CKM_SHA1_RSA_PKCS},
    {"SHA224_RSA_PKCS", CKM_SHA224_RSA_PKCS},
    {"SHA256_RSA_PKCS", CKM_SHA256_RSA_PKCS},
    {"SHA384_RSA_PKCS", CKM_SHA384_RSA_PKCS},
    {"SHA512_RSA_PKCS", CKM_SHA512_RSA_PKCS},
    {"SHA1_RSA_PKCS_PSS", CKM_SHA1_RSA_PKCS_PSS},
    {"SHA224_RSA_PKCS_PSS", CKM_SHA224_RSA_PKCS_PSS},
    {"SHA256_RSA_PKCS_PSS", CKM_SHA256_RSA_PKCS_PSS},
    {"SHA384_RSA_PKCS_PSS", CKM_SHA384_RSA_PKCS_PSS},
    {"SHA512_RSA_PKCS_PSS", CKM_SHA512_RSA_PKCS_PSS},
    {"ECDSA", CKM_ECDSA},
    {"ECDSA_SHA1", CKM_ECDSA_SHA1},
    {"ECDSA_SHA224", CKM_ECDSA_SHA224},
    {"ECDSA_SHA256", CKM_ECDSA_SHA256},
    {"ECDSA_SHA384", CKM_ECDSA_SHA384},
    {"ECDSA_SHA512", CKM_ECDSA_SHA512},
    {"EDDSA", CKM_EDDSA},
    {"ECDH1_DERIVE", CKM_ECDH1_DERIVE},
    {"HKDF_DERIVE", CKM_HKDF_DERIVE},
    {"SP800_108_COUNTER_KDF", CKM_SP800_108_COUNTER_KDF},
    {"SHA1_HMAC", CKM_SHA_1_HMAC},
    {"SHA224_HMAC", CKM_SHA224_HMAC},
    {"SHA256_HMAC", CKM_SHA256_HMAC},
    {"SHA384_HMAC", CKM_SHA384_HMAC},
    {"SHA512_HMAC", CKM_SHA512_HMAC},
    {"SHA_1", CKM_SHA_1},
    {"SHA224", CKM_SHA224},
    {"SHA256", CKM_SHA256},
    {"SHA384", CKM_SHA384},
    {"SHA512", CKM_SHA512},
    {"AES_KEY_GEN", CKM_AES_KEY_GEN},
    {"GENERIC_SECRET_KEY_GEN", CKM_GENERIC_SECRET_KEY_GEN},
    {"RSA_PKCS_KEY_PAIR_GEN", CKM_RSA_PKCS_KEY_PAIR_GEN},
    {"EC_KEY_PAIR_GEN", CKM_EC_KEY_PAIR_GEN},
    {"EC_EDWARDS_KEY_PAIR_GEN", CKM_EC_EDWARDS_KEY_PAIR_GEN},
};

const char *coffer_mechanism_name(CK_MECHANISM_TYPE type) {
  for (size_t i = 0; i < sizeof MECHANISMS / sizeof MECHANISMS[0]; i++)
    if (MECHANISMS[i].type == type) return MECHANISMS[i].name;
  return NULL;
}

struct key_sizes {
  const char *key_type;
  CK_ULONG min, max;
  CK_FLAGS flags;
};

/* The node's limits: src/crypto/keys/{aes,rsa,ec,ec-edwards,generic-secret}.ts. */
static const struct key_sizes KEY_SIZES[] = {
    {"aes", 16, 32, 0},
    {"rsa", 2048, 4096, 0},
    {"ec", 256, 521, CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS},
    {"ec-edwards", 255, 255, 0},
    {"generic-secret", 1, 800, 0},
};

/* The operations the node lists for a mechanism, as C_GetMechanismInfo's flags. */
static const struct operation_flag {
  const char *operation;
  CK_FLAGS flag;
} OPERATION_FLAGS[] = {
    {"encrypt", CKF_ENCRYPT}, {"decrypt", CKF_DECRYPT},   {"sign", CKF_SIGN},
    {"verify", CKF_VERIFY},   {"wrap", CKF_WRAP},         {"unwrap", CKF_UNWRAP},
    {"derive", CKF_DERIVE},   {"digest", CKF_DIGEST},     {"generate", CKF_GENERATE},
    {"generate-pair", CKF_GENERATE_KEY_PAIR},
};

static int lists(json_object *operations, const char *operation) {
  for (size_t i = 0; operations != NULL && i < json_object_array_length(operations); i++) {
    const char *listed = json_object_get_string(json_object_array_get_idx(operations, i));
    if (listed != NULL && strcmp(listed, operation) == 0) return 1;
  }
  return 0;
}

static CK_FLAGS flags_of_operations(json_object *operations) {
  CK_FLAGS flags = 0;
  for (size_t i = 0; i < sizeof OPERATION_FLAGS / sizeof OPERATION_FLAGS[0]; i++)
    if (lists(operations, OPERATION_FLAGS[i].operation)) flags |= OPERATION_FLAGS[i].flag;
  return flags;
}

/* Each use, by the node's word for it (an entry of a mechanism's operations). */
static const struct use_name {
  enum coffer_use use;
  const char *name;
} USES[] = {
    {COFFER_USE_ENCRYPT, "encrypt"}, {COFFER_USE_DECRYPT, "decrypt"}, {COFFER_USE_SIGN, "sign"},
    {COFFER_USE_VERIFY, "verify"},   {COFFER_USE_DIGEST, "digest"},   {COFFER_USE_WRAP, "wrap"},
    {COFFER_USE_UNWRAP, "unwrap"},   {COFFER_USE_DERIVE, "derive"},
};
#define USE_COUNT (sizeof USES / sizeof USES[0])

const char *coffer_use_name(enum coffer_use use) {
  for (size_t i = 0; i < USE_COUNT; i++)
    if (USES[i].use == use) return USES[i].name;
  return "";
}

static const char *const KEY_CLASSES[] = {"secret", "public", "private"};
#define NO_KEY_CLASS (-1)

static int key_class_index(const char *name) {
  for (int i = 0; name != NULL && i < (int)(sizeof KEY_CLASSES / sizeof KEY_CLASSES[0]); i++)
    if (strcmp(KEY_CLASSES[i], name) == 0) return i;
  return NO_KEY_CLASS;
}

static int type_of_name(const char *name, CK_MECHANISM_TYPE *type) {
  for (size_t i = 0; i < sizeof MECHANISMS / sizeof MECHANISMS[0]; i++)
    if (strcmp(MECHANISMS[i].name, name) == 0) {
      *type = MECHANISMS[i].type;
      return 1;
    }
  return 0;
}

static void add_key_size(const char *key_type, CK_MECHANISM_INFO *info) {
  for (size_t j = 0; key_type != NULL && j < sizeof KEY_SIZES / sizeof KEY_SIZES[0]; j++) {
    if (strcmp(KEY_SIZES[j].key_type, key_type) != 0) continue;
    if (info->ulMaxKeySize == 0 || KEY_SIZES[j].min < info->ulMinKeySize) info->ulMinKeySize = KEY_SIZES[j].min;
    if (KEY_SIZES[j].max > info->ulMaxKeySize) info->ulMaxKeySize = KEY_SIZES[j].max;
    info->flags |= KEY_SIZES[j].flags;
  }
}

static void add_key_sizes(json_object *key_types, CK_MECHANISM_INFO *info) {
  for (size_t i = 0; key_types != NULL && i < json_object_array_length(key_types); i++)
    add_key_size(json_object_get_string(json_object_array_get_idx(key_types, i)), info);
}

#define MAX_MECHANISMS (sizeof MECHANISMS / sizeof MECHANISMS[0])

static unsigned key_type_bits(json_object *key_types) {
  unsigned bits = 0;
  for (size_t i = 0; key_types != NULL && i < json_object_array_length(key_types); i++) {
    const char *key_type = json_object_get_string(json_object_array_get_idx(key_types, i));
    for (size_t j = 0; key_type != NULL && j < sizeof KEY_SIZES / sizeof KEY_SIZES[0]; j++)
      if (strcmp(KEY_SIZES[j].key_type, key_type) == 0) bits |= 1u << j;
  }
  return bits;
}

int coffer_offer_fits(const struct coffer_offer *offer, const char *key_class, const char *key_type) {
  unsigned bits = 0;
  for (size_t j = 0; key_type != NULL && j < sizeof KEY_SIZES / sizeof KEY_SIZES[0]; j++)
    if (strcmp(KEY_SIZES[j].key_type, key_type) == 0) bits |= 1u << j;
  int class_fits = offer->key_class == NO_KEY_CLASS || offer->key_class == key_class_index(key_class);
  return class_fits && (offer->key_types & bits) != 0;
}

struct mechanism_list {
  CK_MECHANISM_TYPE types[MAX_MECHANISMS];
  CK_MECHANISM_INFO infos[MAX_MECHANISMS];
  struct offered {
    int offered;
    struct coffer_offer offer;
  } offers[MAX_MECHANISMS][USE_COUNT];
  CK_ULONG count;
};

/* The node's list, fetched once per C_Initialize (a node's mechanisms change only with its
   version, and a new version means a restart, after which applications initialize again). */
static struct mechanism_list cache;
static int cached;

void coffer_mechanisms_reset(void) { cached = 0; }

/* The uses an entry of the node's list serves (its operations): its key types, the key class of
   each use (its keyClasses), and whether it has a multi-part form (multiPart other than "none"). */
static void add_offers(json_object *entry, json_object *operations, json_object *key_types, struct offered *offers) {
  json_object *classes = NULL, *multi = NULL, *key_class;
  json_object_object_get_ex(entry, "keyClasses", &classes);
  json_object_object_get_ex(entry, "multiPart", &multi);
  int multi_part = multi != NULL && strcmp(json_object_get_string(multi), "none") != 0;
  for (size_t i = 0; i < USE_COUNT; i++) {
    if (!lists(operations, USES[i].name)) continue;
    offers[i].offered = 1;
    offers[i].offer.multi_part = multi_part;
    offers[i].offer.key_types = key_type_bits(key_types);
    offers[i].offer.key_class = classes != NULL && json_object_object_get_ex(classes, USES[i].name, &key_class)
                                    ? key_class_index(json_object_get_string(key_class))
                                    : NO_KEY_CLASS;
  }
}

/* The entry of `type` in the list, added when missing. */
static CK_ULONG entry_of(struct mechanism_list *list, CK_MECHANISM_TYPE type) {
  CK_ULONG at = 0;
  while (at < list->count && list->types[at] != type) at++;
  if (at == list->count) list->types[list->count++] = type;
  return at;
}

/* GET /v1/mechanisms, folded into one entry per CKM_ value. */
static CK_RV fetch_from_node(struct mechanism_list *list) {
  json_object *answer = NULL, *entries;
  memset(list, 0, sizeof *list);
  CK_RV rv = coffer_http(coffer_state_config(), "GET", "/v1/mechanisms", NULL, NULL, &answer, NULL);
  if (rv != CKR_OK) return rv;
  if (answer == NULL || !json_object_object_get_ex(answer, "mechanisms", &entries) ||
      !json_object_is_type(entries, json_type_array)) {
    if (answer != NULL) json_object_put(answer);
    return CKR_DEVICE_ERROR;
  }
  for (size_t i = 0; i < json_object_array_length(entries); i++) {
    json_object *entry = json_object_array_get_idx(entries, i), *name, *operations, *key_types = NULL;
    CK_MECHANISM_TYPE type;
    if (!json_object_object_get_ex(entry, "name", &name) || !json_object_object_get_ex(entry, "operations", &operations) ||
        !json_object_is_type(operations, json_type_array) || !type_of_name(json_object_get_string(name), &type))
      continue;
    json_object_object_get_ex(entry, "keyTypes", &key_types);
    CK_ULONG at = entry_of(list, type);
    list->infos[at].flags |= flags_of_operations(operations);
    add_key_sizes(key_types, &list->infos[at]);
    add_offers(entry, operations, key_types, list->offers[at]);
  }
  json_object_put(answer);
  return CKR_OK;
}

static CK_RV ensure_cached(void) {
  if (!cached) {
    CK_RV rv = fetch_from_node(&cache);
    if (rv != CKR_OK) return rv;
    cached = 1;
  }
  return CKR_OK;
}

static CK_RV fetch(struct mechanism_list *list) {
  CK_RV rv = ensure_cached();
  if (rv == CKR_OK) *list = cache;
  return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct mechanism_list list;
  if ((rv = coffer_check_slot(slotID)) != CKR_OK) {
  } else if (pulCount == NULL) rv = CKR_ARGUMENTS_BAD;
  else rv = fetch(&list);
  if (rv == CKR_OK) {
    if (pMechanismList != NULL && *pulCount < list.count) rv = CKR_BUFFER_TOO_SMALL;
    else if (pMechanismList != NULL) memcpy(pMechanismList, list.types, list.count * sizeof list.types[0]);
    *pulCount = list.count;
  }
  coffer_leave();
  return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  struct mechanism_list list;
  if ((rv = coffer_check_slot(slotID)) != CKR_OK) {
  } else if (pInfo == NULL) rv = CKR_ARGUMENTS_BAD;
  else rv = fetch(&list);
  if (rv == CKR_OK) {
    CK_ULONG at = 0;
    while (at < list.count && list.types[at] != type) at++;
    if (at == list.count) rv = CKR_MECHANISM_INVALID;
    else *pInfo = list.infos[at];
  }
  coffer_leave();
  return rv;
}

/* Fetches the node's list once, outside the module lock (a call on a session never holds it
   over HTTP); the first answer to arrive is kept. */
static CK_RV cache_outside_lock(void) {
  CK_RV rv = coffer_enter();
  if (rv != CKR_OK) return rv;
  int have = cached;
  coffer_leave();
  if (have) return CKR_OK;
  struct mechanism_list *fresh = malloc(sizeof *fresh);
  if (fresh == NULL) return CKR_HOST_MEMORY;
  rv = fetch_from_node(fresh);
  if (rv == CKR_OK && (rv = coffer_enter()) == CKR_OK) {
    if (!cached) cache = *fresh;
    cached = 1;
    coffer_leave();
  }
  free(fresh);
  return rv;
}

CK_RV coffer_mechanism_offer(CK_MECHANISM_TYPE type, enum coffer_use use, struct coffer_offer *offer) {
  CK_RV rv = cache_outside_lock();
  if (rv != CKR_OK || (rv = coffer_enter()) != CKR_OK) return rv;
  CK_ULONG at = 0;
  size_t u = 0;
  while (at < cache.count && cache.types[at] != type) at++;
  while (u < USE_COUNT && USES[u].use != use) u++;
  if (at == cache.count || u == USE_COUNT || !cache.offers[at][u].offered) rv = CKR_MECHANISM_INVALID;
  else *offer = cache.offers[at][u].offer;
  coffer_leave();
  return rv;
}

CK_RV coffer_mechanism_flags(CK_MECHANISM_TYPE type, CK_FLAGS *flags) {
  *flags = 0;
  CK_RV rv = cache_outside_lock();
  if (rv != CKR_OK || (rv = coffer_enter()) != CKR_OK) return rv;
  for (CK_ULONG at = 0; at < cache.count; at++)
    if (cache.types[at] == type) *flags = cache.infos[at].flags;
  coffer_leave();
  return CKR_OK;
}
