// Fatal kernel errors: print why, a backtrace, and stop QEMU with a failure status.
#pragma once
#include <stdint.h>

[[noreturn]] __attribute__((format(printf, 1, 2))) void panic(const char* fmt, ...);

// Print a frame-pointer backtrace: `pc` first (if non-zero), then the callers
// found through frame pointer `fp`. `ra` (if non-zero) is the interrupted
// code's ra register, needed when a trap hit a leaf function. Only frames
// inside [stack_lo, stack_hi] are read (default: the running task's stack),
// so a broken stack ends the trace instead of faulting in the panic path.
void print_backtrace(uintptr_t pc, uintptr_t fp, uintptr_t ra = 0, uintptr_t stack_lo = 0,
                     uintptr_t stack_hi = 0);

// A function every panic report calls last, before the machine stops
// (kernel tests use it to check the state a panic left behind).
void set_panic_note(void (*note)());
// Every panic path starts here: interrupts off, and the console is this
// hart's without taking any lock (another hart that panics too stops).
void panic_begin();
// The panic paths: the note, then stop QEMU with the panic status.
[[noreturn]] void panic_finish();

#define KASSERT(cond)                                                            \
  do {                                                                           \
    if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
  } while (0)
