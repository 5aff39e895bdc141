#include "bootargs.h"

namespace bootargs {
namespace {
const char* line = "";
}

void init(const char* cmdline) { line = cmdline ? cmdline : ""; }
const char* raw() { return line; }

bool get(const char* key, char* out, size_t cap) {
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
      if (n + 1 > cap) return false;
      for (size_t i = 0; i < n; i++) out[i] = w[i];
      out[n] = 0;
      return true;
    }
  }
  return false;
}

}  // namespace bootargs
