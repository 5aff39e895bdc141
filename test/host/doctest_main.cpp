// The one main() shared by every host doctest binary, and the host's
// definition of libk's assertion hook.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <libk/assert.h>
#include <stdio.h>
#include <stdlib.h>

// A failed LIBK_ASSERT means libk's state is already broken, so the test
// binary stops here. Tests that expect an assertion run the code in a forked
// child (see expect_assert.h) and check for this message and the abort.
void libk_assert_fail(const char* expr, const char* file, int line) {
  fprintf(stderr, "libk assertion failed: %s at %s:%d\n", expr, file, line);
  fflush(stderr);
  abort();
}
