#include "tap.h"

#include <libk/string.h>

namespace tap {
namespace {
int planned, count, failed;
keel::KstatSnapshot now;
}  // namespace

void plan(int n) {
  planned = n;
  keel::printf("1..%d\n", n);
}

static bool record(bool cond, const char* fmt, va_list ap) {
  count++;
  if (!cond) failed++;
  keel::printf("%s %d - ", cond ? "ok" : "not ok", count);
  keel::vprintf(fmt, ap);
  keel::printf("\n");
  return cond;
}

bool ok(bool cond, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(cond, fmt, ap);
  va_end(ap);
  return cond;
}

bool expect_status(int64_t got, int64_t want, const char* what) {
  bool good = got == want;
  if (!good)
    diag("%s: got %s (%ld), want %s", what, keel_status_name(static_cast<int32_t>(got)), got,
         keel_status_name(static_cast<int32_t>(want)));
  return ok(good, "%s -> %s", what, keel_status_name(static_cast<int32_t>(want)));
}

void diag(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  keel::printf("# ");
  keel::vprintf(fmt, ap);
  keel::printf("\n");
  va_end(ap);
}

// At once, as every comparison: nothing others do moves the counters on
// this program's account after it starts (init observes a program before
// it starts it: a suspended spawn).
void baseline(keel::KstatSnapshot& s) { keel::kstat_snapshot(s); }

size_t drift(const keel::KstatSnapshot& base, const char* what) {
  keel::kstat_snapshot(now);
  size_t off = now.count > 0 ? 0 : 1;
  for (size_t i = 0; i < now.count; i++) {
    int64_t before = 0;
    keel::kstat_value(base, now.names[i], &before);
    if (now.values[i] != before) {
      off++;
      diag("%s: %s %ld -> %ld (%+ld)", what, now.names[i], before, now.values[i],
           now.values[i] - before);
    }
  }
  return off;
}

bool at_baseline(const keel::KstatSnapshot& base, const char* what) {
  return ok(drift(base, what) == 0, "%s: every kstat counter back at its baseline", what);
}

int done() {
  if (planned && count != planned) {
    diag("planned %d checks, ran %d", planned, count);
    return 1;
  }
  return failed ? 1 : 0;
}

}  // namespace tap
