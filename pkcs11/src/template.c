/*
 * The template codec: PKCS#11 attributes ↔ the node's JSON `[{"type": n, "value": v}]`, by the
 * kind each type has in the generated table (src/pkcs11/attribute-types.ts). The codec knows
 * sizes and encodings only; what an attribute means is the node's to decide. Templates can
 * carry key material (CKA_VALUE of an imported key): every string it makes is wiped when the
 * caller puts the array with coffer_json_put_wiped, and its own temporaries are wiped too.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"

struct coffer_attribute_row {
  CK_ATTRIBUTE_TYPE type;
  enum coffer_attribute_kind kind;
};

#include "attributes-table.h"

#define ROW_COUNT (sizeof COFFER_ATTRIBUTES / sizeof COFFER_ATTRIBUTES[0])

int coffer_attribute_kind(CK_ATTRIBUTE_TYPE type, enum coffer_attribute_kind *kind) {
  size_t low = 0, high = ROW_COUNT; /* the generator sorts the rows by type */
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (COFFER_ATTRIBUTES[middle].type == type) {
      if (kind != NULL) *kind = COFFER_ATTRIBUTES[middle].kind;
      return 0;
    }
    if (COFFER_ATTRIBUTES[middle].type < type) low = middle + 1;
    else high = middle;
  }
  return -1;
}

/* ---- encoding ---- */

static CK_RV ulong_list_value(const CK_ATTRIBUTE *attribute, json_object **value) {
  if (attribute->ulValueLen % sizeof(CK_ULONG) != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
  json_object *list = json_object_new_array();
  if (list == NULL) return CKR_HOST_MEMORY;
  const CK_ULONG *items = attribute->pValue;
  for (CK_ULONG i = 0; i < attribute->ulValueLen / sizeof(CK_ULONG); i++) {
    json_object *item = json_object_new_uint64((uint64_t)items[i]);
    if (item == NULL || json_object_array_add(list, item) != 0) {
      json_object_put(item);
      json_object_put(list);
      return CKR_HOST_MEMORY;
    }
  }
  *value = list;
  return CKR_OK;
}

static CK_RV bytes_value(const CK_ATTRIBUTE *attribute, json_object **value) {
  char *text = coffer_base64_encode(attribute->pValue, attribute->ulValueLen);
  if (text == NULL) return CKR_HOST_MEMORY;
  *value = json_object_new_string(text);
  coffer_free_secret(text);
  return *value == NULL ? CKR_HOST_MEMORY : CKR_OK;
}

/* The JSON value of one attribute, by its kind; CKR_ATTRIBUTE_VALUE_INVALID for a length the
   kind cannot have (a CK_BBOOL is 1 byte, a CK_ULONG sizeof(CK_ULONG)). */
static CK_RV attribute_value(const CK_ATTRIBUTE *attribute, enum coffer_attribute_kind kind, json_object **value) {
  *value = NULL;
  if (attribute->pValue == NULL && attribute->ulValueLen > 0) return CKR_ARGUMENTS_BAD;
  switch (kind) {
    case COFFER_ATTR_BOOL:
      if (attribute->ulValueLen != sizeof(CK_BBOOL)) return CKR_ATTRIBUTE_VALUE_INVALID;
      *value = json_object_new_boolean(*(const CK_BBOOL *)attribute->pValue != CK_FALSE);
      break;
    case COFFER_ATTR_ULONG:
      if (attribute->ulValueLen != sizeof(CK_ULONG)) return CKR_ATTRIBUTE_VALUE_INVALID;
      *value = json_object_new_uint64((uint64_t) * (const CK_ULONG *)attribute->pValue);
      break;
    case COFFER_ATTR_ULONG_LIST:
      return ulong_list_value(attribute, value);
    case COFFER_ATTR_BYTES:
      return bytes_value(attribute, value);
  }
  return *value == NULL ? CKR_HOST_MEMORY : CKR_OK;
}

static CK_RV add_entry(json_object *array, CK_ATTRIBUTE_TYPE type, json_object *value) {
  json_object *entry = json_object_new_object(), *number = json_object_new_uint64((uint64_t)type);
  if (entry == NULL || number == NULL || json_object_object_add(entry, "type", number) != 0) {
    json_object_put(number);
    json_object_put(entry);
    coffer_json_put_wiped(value);
    return CKR_HOST_MEMORY;
  }
  if (json_object_object_add(entry, "value", value) != 0) {
    coffer_json_put_wiped(value);
    json_object_put(entry);
    return CKR_HOST_MEMORY;
  }
  if (json_object_array_add(array, entry) != 0) {
    coffer_json_put_wiped(entry);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

CK_RV coffer_template_json(const CK_ATTRIBUTE *templ, CK_ULONG count, json_object **array) {
  *array = NULL;
  if (templ == NULL && count > 0) return CKR_ARGUMENTS_BAD;
  json_object *list = json_object_new_array();
  if (list == NULL) return CKR_HOST_MEMORY;
  CK_RV rv = CKR_OK;
  for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++) {
    enum coffer_attribute_kind kind;
    json_object *value = NULL;
    if (coffer_attribute_kind(templ[i].type, &kind) != 0) rv = CKR_ATTRIBUTE_TYPE_INVALID;
    else if ((rv = attribute_value(&templ[i], kind, &value)) == CKR_OK) rv = add_entry(list, templ[i].type, value);
  }
  if (rv != CKR_OK) coffer_json_put_wiped(list);
  else *array = list;
  return rv;
}

CK_RV coffer_template_add(json_object *body, const char *field, const CK_ATTRIBUTE *templ, CK_ULONG count) {
  json_object *array;
  CK_RV rv = coffer_template_json(templ, count, &array);
  if (rv != CKR_OK) return rv;
  if (json_object_object_add(body, field, array) != 0) {
    coffer_json_put_wiped(array);
    return CKR_HOST_MEMORY;
  }
  return CKR_OK;
}

/* ---- decoding (C_GetAttributeValue's size protocol) ---- */

/* The length of the bytes a base64 text decodes to (its well-formedness checked on decoding). */
static size_t decoded_length(const char *text, size_t length) {
  if (length == 0 || length % 4 != 0) return length / 4 * 3;
  return length / 4 * 3 - (text[length - 1] == '=') - (text[length - 2] == '=');
}

/* Whether `size` bytes fit: with no buffer, tells the size; too small a buffer, the error. */
static CK_RV fit(CK_ATTRIBUTE *attribute, CK_ULONG size) {
  if (attribute->pValue == NULL) {
    attribute->ulValueLen = size;
    return CKR_OK;
  }
  if (attribute->ulValueLen < size) {
    attribute->ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_BUFFER_TOO_SMALL;
  }
  return CKR_OK; /* the caller writes the value and sets ulValueLen */
}

static int get_ulong(json_object *value, CK_ULONG *out) {
  if (!json_object_is_type(value, json_type_int)) return -1;
  if (json_object_get_int64(value) < 0) return -1; /* json-c clamps a large unsigned to INT64_MAX */
  uint64_t number = json_object_get_uint64(value);
  if (number > (uint64_t)(CK_ULONG)~0UL) return -1;
  *out = (CK_ULONG)number;
  return 0;
}

static CK_RV decode_value(json_object *value, enum coffer_attribute_kind kind, CK_ATTRIBUTE *attribute) {
  CK_RV rv;
  switch (kind) {
    case COFFER_ATTR_BOOL:
      if (!json_object_is_type(value, json_type_boolean)) return CKR_DEVICE_ERROR;
      if ((rv = fit(attribute, sizeof(CK_BBOOL))) != CKR_OK || attribute->pValue == NULL) return rv;
      *(CK_BBOOL *)attribute->pValue = json_object_get_boolean(value) ? CK_TRUE : CK_FALSE;
      attribute->ulValueLen = sizeof(CK_BBOOL);
      return CKR_OK;
    case COFFER_ATTR_ULONG: {
      CK_ULONG number;
      if (get_ulong(value, &number) != 0) return CKR_DEVICE_ERROR;
      if ((rv = fit(attribute, sizeof(CK_ULONG))) != CKR_OK || attribute->pValue == NULL) return rv;
      memcpy(attribute->pValue, &number, sizeof number);
      attribute->ulValueLen = sizeof(CK_ULONG);
      return CKR_OK;
    }
    case COFFER_ATTR_ULONG_LIST: {
      if (!json_object_is_type(value, json_type_array)) return CKR_DEVICE_ERROR;
      size_t items = json_object_array_length(value);
      CK_ULONG number;
      for (size_t i = 0; i < items; i++)
        if (get_ulong(json_object_array_get_idx(value, i), &number) != 0) return CKR_DEVICE_ERROR;
      if ((rv = fit(attribute, (CK_ULONG)(items * sizeof(CK_ULONG)))) != CKR_OK || attribute->pValue == NULL) return rv;
      for (size_t i = 0; i < items; i++) {
        (void)get_ulong(json_object_array_get_idx(value, i), &number);
        memcpy((CK_BYTE *)attribute->pValue + i * sizeof(CK_ULONG), &number, sizeof number);
      }
      attribute->ulValueLen = (CK_ULONG)(items * sizeof(CK_ULONG));
      return CKR_OK;
    }
    case COFFER_ATTR_BYTES: {
      if (!json_object_is_type(value, json_type_string)) return CKR_DEVICE_ERROR;
      const char *text = json_object_get_string(value);
      size_t length = (size_t)json_object_get_string_len(value), written = 0;
      if (length % 4 != 0) return CKR_DEVICE_ERROR;
      if ((rv = fit(attribute, (CK_ULONG)decoded_length(text, length))) != CKR_OK || attribute->pValue == NULL)
        return rv;
      if (coffer_base64_decode(text, attribute->pValue, attribute->ulValueLen, &written) != 0) return CKR_DEVICE_ERROR;
      attribute->ulValueLen = (CK_ULONG)written;
      return CKR_OK;
    }
  }
  return CKR_DEVICE_ERROR;
}

/* The node's answer for one type: the entry of `answers` with that type, or NULL. */
static json_object *answer_for(json_object *answers, CK_ATTRIBUTE_TYPE type) {
  for (size_t i = 0; i < json_object_array_length(answers); i++) {
    json_object *entry = json_object_array_get_idx(answers, i), *number;
    CK_ULONG got;
    if (json_object_object_get_ex(entry, "type", &number) && get_ulong(number, &got) == 0 && got == type)
      return entry;
  }
  return NULL;
}

/* One attribute from its answer: CKR_OK, or the per-attribute error of the size protocol. */
static CK_RV decode_attribute(json_object *answers, CK_ATTRIBUTE *attribute) {
  enum coffer_attribute_kind kind;
  json_object *entry = NULL, *field;
  CK_RV rv = CKR_ATTRIBUTE_TYPE_INVALID;
  if (coffer_attribute_kind(attribute->type, &kind) == 0 && (entry = answer_for(answers, attribute->type)) != NULL) {
    if (json_object_object_get_ex(entry, "value", &field)) {
      rv = decode_value(field, kind, attribute);
    } else if (json_object_object_get_ex(entry, "error", &field)) {
      const char *error = json_object_get_string(field);
      rv = error != NULL && strcmp(error, "sensitive") == 0 ? CKR_ATTRIBUTE_SENSITIVE
           : error != NULL && strcmp(error, "invalid") == 0 ? CKR_ATTRIBUTE_TYPE_INVALID
                                                             : CKR_DEVICE_ERROR;
    } else {
      rv = CKR_DEVICE_ERROR;
    }
  }
  if (rv != CKR_OK) attribute->ulValueLen = CK_UNAVAILABLE_INFORMATION;
  return rv;
}

CK_RV coffer_template_answer(json_object *answers, CK_ATTRIBUTE *templ, CK_ULONG count) {
  if (!json_object_is_type(answers, json_type_array)) return CKR_DEVICE_ERROR;
  CK_RV result = CKR_OK;
  for (CK_ULONG i = 0; i < count; i++) {
    CK_RV rv = decode_attribute(answers, &templ[i]);
    /* Every attribute is processed; the first error is the answer, a broken one beats all. */
    if (rv == CKR_DEVICE_ERROR || (rv != CKR_OK && result == CKR_OK)) result = rv;
  }
  return result;
}
