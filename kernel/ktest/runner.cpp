// The TAP runner: "1..N", then "ok i - name" or "not ok i - name" with the
// failures as "# ..." diagnostics, counter drift included.
#include <libk/string.h>
#include <stdarg.h>

#include "kstat.h"
#include "ktest.h"

extern "C" const ktest::TestCase* const __ktest_start[];
extern "C" const ktest::TestCase* const __ktest_end[];

namespace ktest {
namespace {
bool failed;

bool matches(const TestCase& t, const char* glob) { return libk::glob_match(glob, t.name); }

void report_drift(const kstat::Snapshot& before, const kstat::Snapshot& after) {
  for (size_t i = 0; i < after.count; i++) {
    const kstat::Entry& a = after.entries[i];
    int64_t base = 0;
    for (size_t j = 0; j < before.count; j++)
      if (libk::str_eq(before.entries[j].name, a.name)) base = before.entries[j].value;
    if (a.value != base) fail(__FILE__, __LINE__, "leak check: %s %ld -> %ld (%+ld)", a.name,
                             base, a.value, a.value - base);
  }
}

kstat::Snapshot before, after;  // too big for the boot stack
}  // namespace

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
    kstat::snapshot(after);
    report_drift(before, after);
    kprintf("%s %zu - %s\n", failed ? "not ok" : "ok", index, t->name);
    if (failed) failures++;
  }
  kprintf("# %zu passed, %zu failed\n", total - failures, failures);
  return failures == 0;
}

}  // namespace ktest
