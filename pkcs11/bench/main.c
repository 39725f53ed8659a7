/*
 * coffer-pkpspeed: a PKCS#11 benchmark in the spirit of CloudHSM's pkpspeed. It loads any
 * module by path, so two modules are measured by the same client code, and reports per op the
 * rate and the p50/p99 latency over --processes × --threads workers.
 */
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv) {
  struct config config;
  int parsed = parse_args(argc, argv, &config);
  if (parsed != 0) {
    print_usage(parsed == 1 ? stdout : stderr);
    return parsed == 1 ? 0 : 2;
  }

  /* The parent loads the module and checks the PIN once, then leaves it uninitialized: every
   * worker forks from here and calls C_Initialize itself. */
  struct module module;
  struct first_error error = {{0}};
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  if (module_load(&module, config.module_path, &error) != 0) {
    fprintf(stderr, "coffer-pkpspeed: %s: %s\n", config.module_path, error.text);
    return 1;
  }
  if (module_start(&module, &config, &error) != 0) {
    fprintf(stderr, "coffer-pkpspeed: %s: %s\n", config.module_path, error.text);
    module_unload(&module);
    return 1;
  }
  int logged_in = module_login(&module, &config, &session, &error) == 0;
  module_stop(&module, session);
  if (!logged_in) {
    fprintf(stderr, "coffer-pkpspeed: %s: %s\n", config.module_path, error.text);
    module_unload(&module);
    return 1;
  }

  print_header(&config, &module);
  long run_id = (long)getpid();
  int any_errors = 0;
  for (unsigned i = 0; i < config.op_count; i++) {
    struct result result;
    run_op(&module, &config, config.ops[i], run_id, &result);
    print_result(&config, &module, &result);
    if (result.errors > 0) any_errors = 1;
  }
  module_unload(&module);
  return any_errors ? 3 : 0;
}
