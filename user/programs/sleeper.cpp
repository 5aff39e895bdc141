// sleeper MS: sleeps MS milliseconds (default 1000), then exits 0.
#include "keel.h"

int main(int argc, char** argv) {
  uint64_t ms = 0;
  const char* s = argc > 1 ? argv[1] : "1000";
  while (*s >= '0' && *s <= '9') ms = ms * 10 + static_cast<uint64_t>(*s++ - '0');
  int64_t r = keel::sleep_ms(ms);
  return r == KEEL_OK ? 0 : 1;
}
