/* A valid shared object that exports no crmflow_plugin_query: the loader must refuse it
 * from its symbol table alone, without running the constructor below. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((visibility("default"))) int crmflow_plugin_queries(void) {
  return 0;
}

__attribute__((constructor)) static void must_not_run(void) {
  fputs("no_entry.so: constructor ran, the loader loaded a library it should have refused\n",
        stderr);
  abort();
}
