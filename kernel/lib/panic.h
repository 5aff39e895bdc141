// Fatal kernel errors: print why, a backtrace, and stop QEMU with a failure status.
#pragma once
#include <stdint.h>

[[noreturn]] __attribute__((format(printf, 1, 2))) void panic(const char* fmt, ...);

// Print a frame-pointer backtrace: `pc` first (if non-zero), then the callers
// found through frame pointer `fp`. `ra` (if non-zero) is the interrupted
// code's ra register, needed when a trap hit a leaf function.
void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra = 0);

#define KASSERT(cond)                                                            \
  do {                                                                           \
    if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
  } while (0)
