// Property checks shared by the fuzz targets (test/fuzz/fuzz_*.cpp).
//
// A fuzz target checks what a parser promises, not only that it does not
// crash: FUZZ_CHECK(cond) prints the broken property and traps, which both
// libFuzzer and the replay main report as a crash with the input attached.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "fuzz: property violated: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      fflush(stderr);                                                                       \
      __builtin_trap();                                                                     \
    }                                                                                       \
  } while (0)

namespace fuzz {

// Whether [p, p + len) lies inside [base, base + size).
inline bool inside(const void* p, size_t len, const void* base, size_t size) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base);
  return a >= b && a - b <= size && len <= size - (a - b);
}

// Whether the NUL-terminated string at `s` ends (NUL included) inside
// [base, base + size). Reads only bytes inside that range.
inline bool string_inside(const char* s, const void* base, size_t size) {
  if (!inside(s, 0, base, size)) return false;
  const char* end = static_cast<const char*>(base) + size;
  for (const char* c = s; c < end; ++c)
    if (*c == '\0') return true;
  return false;
}

}  // namespace fuzz
