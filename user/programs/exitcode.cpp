// exitcode N: exits with status N (default 0).
#include "keel.h"

int main(int argc, char** argv) {
  int64_t n = 0;
  bool neg = false;
  const char* s = argc > 1 ? argv[1] : "0";
  if (*s == '-') neg = true, s++;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return static_cast<int>(neg ? -n : n);
}
