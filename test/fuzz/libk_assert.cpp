// libk's assertion hook for the fuzz targets and their replay (libk/assert.h):
// a failed LIBK_ASSERT is a bug the fuzzer found, so it aborts, which
// libFuzzer reports as a crash and saves the input.
#include <libk/assert.h>
#include <stdio.h>
#include <stdlib.h>

void libk_assert_fail(const char* expr, const char* file, int line) {
  fprintf(stderr, "libk assertion failed: %s at %s:%d\n", expr, file, line);
  fflush(stderr);
  abort();
}
