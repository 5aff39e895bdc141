#include "bootargs.h"

#include <stdarg.h>

#include "dev/platform_exit.h"
#include "lib/kprintf.h"

namespace bootargs {
namespace {
const char* line = "";
}

void init(const char* cmdline) { line = cmdline ? cmdline : ""; }
const char* raw() { return line; }

Lookup get(const char* key, char* out, size_t cap, size_t* length) {
  if (cap) out[0] = 0;
  const char* p = line;
  while (*p) {
    while (*p == ' ') p++;
    const char* word = p;
    while (*p && *p != ' ') p++;
    const char* k = key;
    const char* w = word;
    while (*k && w < p && *w == *k) w++, k++;
    if (*k == 0 && w < p && *w == '=') {
      w++;
      size_t n = static_cast<size_t>(p - w);
      if (length) *length = n;
      if (n + 1 > cap) return Lookup::TooLong;
      for (size_t i = 0; i < n; i++) out[i] = w[i];
      out[n] = 0;
      return Lookup::Found;
    }
  }
  return Lookup::Absent;
}

bool get_or_stop(const char* key, char* out, size_t cap) {
  size_t n = 0;
  switch (get(key, out, cap, &n)) {
    case Lookup::Found:
      return true;
    case Lookup::Absent:
      return false;
    case Lookup::TooLong:
      break;
  }
  stop("boot argument '%s' is too long (%zu characters, at most %zu)", key, n, cap ? cap - 1 : 0);
}

void stop(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kprintf("keel: ");
  kvprintf(fmt, ap);
  kprintf("\n");
  va_end(ap);
  platform_exit(EXIT_TEST_FAILED);
}

}  // namespace bootargs
