/* The results: a table for people, or one JSON object per line (--json) for scripts. In JSON
 * mode the labels go to stderr, so stdout holds only the objects. */
#include <stdio.h>

#include "bench.h"

static const char *mechanism_of(const struct config *config, const struct op *op, char *buffer, size_t size) {
  if (op->takes_gcm_iv) {
    snprintf(buffer, size, "%s, IV %s", op->mechanism, config->gcm_iv == GCM_IV_ZERO ? "zero" : "counter");
    return buffer;
  }
  return op->mechanism;
}

void print_header(const struct config *config, const struct module *module) {
  FILE *out = config->json ? stderr : stdout;
  fprintf(out, "module: %s\n  %s, slot %lu, %u process(es) x %u thread(s), %.3g s per op\n", module->label,
          config->module_path, (unsigned long)module->slot, config->processes, config->threads, config->seconds);
  for (unsigned i = 0; i < config->op_count; i++) {
    char buffer[160];
    fprintf(out, "  %-13s %s\n", config->ops[i]->name, mechanism_of(config, config->ops[i], buffer, sizeof buffer));
  }
  if (!config->json) {
    fprintf(out, "\n%-13s %5s %7s %8s %10s %10s %9s %9s %7s\n", "op", "procs", "threads", "seconds", "ops", "ops/s",
            "p50 ms", "p99 ms", "errors");
  }
  fflush(out);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *out, const char *text) {
  fputc('"', out);
  for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
    else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
    else fputc(*c, out);
  }
  fputc('"', out);
}

static void json_ms(FILE *out, const char *name, double ms) {
  if (ms < 0) fprintf(out, ",\"%s\":null", name);
  else fprintf(out, ",\"%s\":%.4f", name, ms);
}

void print_result(const struct config *config, const struct module *module, const struct result *result) {
  if (config->json) {
    char buffer[160];
    fputs("{\"module\":", stdout);
    json_string(stdout, module->label);
    fputs(",\"op\":", stdout);
    json_string(stdout, result->op->name);
    printf(",\"processes\":%u,\"threads\":%u,\"seconds\":%.3f,\"ops\":%llu,\"opsPerSec\":%.1f", config->processes,
           config->threads, result->seconds, (unsigned long long)result->ops, result->ops_per_sec);
    json_ms(stdout, "p50Ms", result->p50_ms);
    json_ms(stdout, "p99Ms", result->p99_ms);
    printf(",\"errors\":%llu,\"mechanism\":", (unsigned long long)result->errors);
    json_string(stdout, mechanism_of(config, result->op, buffer, sizeof buffer));
    if (result->errors > 0) {
      fputs(",\"firstError\":", stdout);
      json_string(stdout, result->first_error.text);
    }
    fputs("}\n", stdout);
  } else {
    char p50[16] = "-", p99[16] = "-";
    if (result->p50_ms >= 0) snprintf(p50, sizeof p50, "%.3f", result->p50_ms);
    if (result->p99_ms >= 0) snprintf(p99, sizeof p99, "%.3f", result->p99_ms);
    printf("%-13s %5u %7u %8.2f %10llu %10.1f %9s %9s %7llu\n", result->op->name, config->processes, config->threads,
           result->seconds, (unsigned long long)result->ops, result->ops_per_sec, p50, p99,
           (unsigned long long)result->errors);
    if (result->errors > 0) printf("  first error: %s\n", result->first_error.text);
  }
  fflush(stdout);
}
