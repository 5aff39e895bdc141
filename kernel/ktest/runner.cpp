// The TAP runner: "1..N", then "ok i - name" or "not ok i - name" with the
// failures as "# ..." diagnostics, counter drift included.
#include <libk/string.h>
#include <stdarg.h>

#include "ktest.h"
#include "mm/kstat.h"

extern "C" const ktest::TestCase* const __ktest_start[];
extern "C" const ktest::TestCase* const __ktest_end[];

namespace ktest {
namespace {
bool failed;

bool matches(const TestCase& t, const char* glob) { return libk::glob_match(glob, t.name); }

kstat::Snapshot before, now;  // too big for a task stack
}  // namespace

void expect_baseline(const kstat::Snapshot& base, const char* file, int line) {
  kstat::snapshot(now);
  struct Where {
    const char* file;
    int line;
  } where{file, line};
  kstat::for_each_drift(
      base, now,
      [](void* ctx, const char* name, int64_t before, int64_t after) {
        auto* w = static_cast<Where*>(ctx);
        fail(w->file, w->line, "leak check: %s %ld -> %ld (%+ld)", name, before, after,
             after - before);
      },
      &where);
}

void fail(const char* file, int line, const char* fmt, ...) {
  failed = true;
  kprintf("# FAIL %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
}

bool current_failed() { return failed; }

bool run(const char* glob) {
  size_t total = 0;
  for (auto* p = __ktest_start; p < __ktest_end; p++)
    if (matches(**p, glob)) total++;
  if (total == 0) {
    kprintf("Bail out! no kernel test matches '%s'\n", glob);
    return false;
  }
  kprintf("1..%zu\n", total);
  size_t index = 0, failures = 0;
  for (auto* p = __ktest_start; p < __ktest_end; p++) {
    const TestCase* t = *p;
    if (!matches(*t, glob)) continue;
    index++;
    failed = false;
    kstat::snapshot(before);
    t->fn();
    expect_baseline(before, t->file, t->line);
    kprintf("%s %zu - %s\n", failed ? "not ok" : "ok", index, t->name);
    if (failed) failures++;
  }
  kprintf("# %zu passed, %zu failed\n", total - failures, failures);
  return failures == 0;
}

}  // namespace ktest
