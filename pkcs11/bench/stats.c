/* Latency samples: appended by each thread, merged across threads and processes, then the
 * rate and the percentiles of the whole. */
#include <stdlib.h>

#include "bench.h"

int samples_add(struct samples *samples, uint64_t ns) {
  if (samples->count == samples->capacity) {
    size_t grown = samples->capacity == 0 ? 4096 : 2 * samples->capacity;
    uint64_t *bigger = realloc(samples->ns, grown * sizeof *bigger);
    if (bigger == NULL) return -1;
    samples->ns = bigger;
    samples->capacity = grown;
  }
  samples->ns[samples->count++] = ns;
  return 0;
}

void samples_free(struct samples *samples) {
  free(samples->ns);
  samples->ns = NULL;
  samples->count = samples->capacity = 0;
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least percent % of all samples at or below it. */
static double percentile_ms(const struct samples *sorted, size_t percent) {
  size_t rank = (sorted->count * percent + 99) / 100;
  if (rank < 1) rank = 1;
  return (double)sorted->ns[rank - 1] / 1e6;
}

void result_finish(struct result *result, struct samples *merged) {
  result->ops = merged->count;
  result->ops_per_sec = result->seconds > 0 ? (double)merged->count / result->seconds : 0;
  result->p50_ms = result->p99_ms = -1; /* no sample: printed as none */
  if (merged->count == 0) return;
  qsort(merged->ns, merged->count, sizeof *merged->ns, compare);
  result->p50_ms = percentile_ms(merged, 50);
  result->p99_ms = percentile_ms(merged, 99);
}
