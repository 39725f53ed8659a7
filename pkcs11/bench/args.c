/* The command line: every option as one row of a table, parsed into struct config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_THREADS 256U
#define MAX_PROCESSES 64U
#define MAX_FIND_KEYS 1000000UL

void print_usage(FILE *out) {
  fprintf(out,
          "usage: coffer-pkpspeed --module PATH --pin PIN [--slot ID] [--threads N] [--processes M]\n"
          "                       [--seconds S] [--ops LIST] [--find-keys N] [--gcm-iv zero|counter] [--json]\n"
          "  --module PATH     the PKCS#11 module to load (any module)\n"
          "  --pin PIN         the user PIN (Coffer and CloudHSM: user:password)\n"
          "  --slot ID         the slot id (default: the first slot with a token)\n"
          "  --threads N       threads per process, each with its own session (default 1)\n"
          "  --processes M     worker processes, each with its own C_Initialize and login (default 1)\n"
          "  --seconds S       timed seconds per op (default 5)\n"
          "  --ops LIST        comma-separated, of: rsa2048-sign,p256-sign,aes-gcm-1k,aes-keygen,find-label\n"
          "                    (default: all)\n"
          "  --find-keys N     token keys find-label searches among (default 5000)\n"
          "  --gcm-iv STYLE    counter: a fresh caller IV per op (default); zero: an all-zero IV the\n"
          "                    module replaces with its own (Coffer, CloudHSM)\n"
          "  --json            one JSON object per op on stdout\n");
}

static int parse_unsigned(const char *text, unsigned long max, unsigned long *value) {
  char *end = NULL;
  errno = 0;
  unsigned long parsed = strtoul(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || parsed == 0 || parsed > max) return -1;
  *value = parsed;
  return 0;
}

static int set_ops(struct config *config, const char *list) {
  config->op_count = 0;
  const char *start = list;
  while (*start != '\0') {
    size_t length = strcspn(start, ",");
    char name[32];
    if (length == 0 || length >= sizeof name) return -1;
    memcpy(name, start, length);
    name[length] = '\0';
    const struct op *op = op_find(name);
    if (op == NULL) {
      fprintf(stderr, "coffer-pkpspeed: unknown op '%s'\n", name);
      return -1;
    }
    for (unsigned i = 0; i < config->op_count; i++)
      if (config->ops[i] == op) return -1;
    config->ops[config->op_count++] = op;
    start += length;
    if (*start == ',') start++;
  }
  return config->op_count > 0 ? 0 : -1;
}

enum option_kind { OPT_MODULE, OPT_PIN, OPT_SLOT, OPT_THREADS, OPT_PROCESSES, OPT_SECONDS, OPT_OPS, OPT_FIND_KEYS,
                   OPT_GCM_IV, OPT_JSON, OPT_HELP };

static const struct {
  const char *name;
  enum option_kind kind;
  int takes_value;
} options[] = {
    {"--module", OPT_MODULE, 1},       {"--pin", OPT_PIN, 1},         {"--slot", OPT_SLOT, 1},
    {"--threads", OPT_THREADS, 1},     {"--processes", OPT_PROCESSES, 1}, {"--seconds", OPT_SECONDS, 1},
    {"--ops", OPT_OPS, 1},             {"--find-keys", OPT_FIND_KEYS, 1}, {"--gcm-iv", OPT_GCM_IV, 1},
    {"--json", OPT_JSON, 0},           {"--help", OPT_HELP, 0},
};

static int apply(struct config *config, enum option_kind kind, const char *value) {
  unsigned long number = 0;
  char *end = NULL;
  switch (kind) {
  case OPT_MODULE: config->module_path = value; return 0;
  case OPT_PIN: config->pin = value; return 0;
  case OPT_SLOT:
    errno = 0;
    config->slot = strtoul(value, &end, 0);
    config->has_slot = 1;
    return errno == 0 && end != value && *end == '\0' && value[0] != '-' ? 0 : -1;
  case OPT_THREADS:
    if (parse_unsigned(value, MAX_THREADS, &number) != 0) return -1;
    config->threads = (unsigned)number;
    return 0;
  case OPT_PROCESSES:
    if (parse_unsigned(value, MAX_PROCESSES, &number) != 0) return -1;
    config->processes = (unsigned)number;
    return 0;
  case OPT_SECONDS:
    errno = 0;
    config->seconds = strtod(value, &end);
    return errno == 0 && end != value && *end == '\0' && config->seconds > 0 && config->seconds <= 3600 ? 0 : -1;
  case OPT_OPS: return set_ops(config, value);
  case OPT_FIND_KEYS: return parse_unsigned(value, MAX_FIND_KEYS, &config->find_keys);
  case OPT_GCM_IV:
    if (strcmp(value, "zero") == 0) config->gcm_iv = GCM_IV_ZERO;
    else if (strcmp(value, "counter") == 0) config->gcm_iv = GCM_IV_COUNTER;
    else return -1;
    return 0;
  case OPT_JSON: config->json = 1; return 0;
  case OPT_HELP: return 1;
  }
  return -1;
}

int parse_args(int argc, char **argv, struct config *config) {
  memset(config, 0, sizeof *config);
  config->threads = 1;
  config->processes = 1;
  config->seconds = 5;
  config->find_keys = 5000;
  config->gcm_iv = GCM_IV_COUNTER;
  for (size_t i = 0; i < all_op_count && i < PKPSPEED_MAX_OPS; i++) config->ops[config->op_count++] = all_ops[i];

  for (int i = 1; i < argc; i++) {
    size_t row = 0;
    while (row < sizeof options / sizeof options[0] && strcmp(options[row].name, argv[i]) != 0) row++;
    if (row == sizeof options / sizeof options[0]) {
      fprintf(stderr, "coffer-pkpspeed: unknown option '%s'\n", argv[i]);
      return -1;
    }
    const char *value = NULL;
    if (options[row].takes_value) {
      if (i + 1 >= argc) {
        fprintf(stderr, "coffer-pkpspeed: %s needs a value\n", argv[i]);
        return -1;
      }
      value = argv[++i];
    }
    int applied = apply(config, options[row].kind, value);
    if (applied == 1) return 1;
    if (applied != 0) {
      fprintf(stderr, "coffer-pkpspeed: bad value for %s\n", options[row].name);
      return -1;
    }
  }
  if (config->module_path == NULL || config->pin == NULL) {
    fprintf(stderr, "coffer-pkpspeed: --module and --pin are required\n");
    return -1;
  }
  return 0;
}
