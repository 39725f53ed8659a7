/* The checks of the C test programs: one TAP-like line per check, failures counted. */
#ifndef COFFER_TEST_CHECK_H
#define COFFER_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK_RV(call, expected)                                                                          \
  do {                                                                                                   \
    CK_RV got_ = (call);                                                                                  \
    if (got_ != (CK_RV)(expected)) {                                                                      \
      failures++;                                                                                         \
      printf("not ok - %s: got 0x%lx, want 0x%lx (line %d)\n", #call, got_, (CK_RV)(expected), __LINE__); \
    } else {                                                                                              \
      printf("ok - %s\n", #call);                                                                         \
    }                                                                                                     \
  } while (0)

#define CHECK(condition)                                             \
  do {                                                               \
    if (!(condition)) {                                              \
      failures++;                                                    \
      printf("not ok - %s (line %d)\n", #condition, __LINE__);       \
    } else {                                                         \
      printf("ok - %s\n", #condition);                               \
    }                                                                \
  } while (0)

/* A check named by what it proves, for conditions whose text would not say it. */
#define CHECK_THAT(condition, what)                        \
  do {                                                     \
    if (!(condition)) {                                    \
      failures++;                                          \
      printf("not ok - %s (line %d)\n", what, __LINE__);   \
    } else {                                               \
      printf("ok - %s\n", what);                           \
    }                                                      \
  } while (0)

#endif
