// Fatal kernel errors: print why, a backtrace, and stop the machine with the
// panic status. klib knows no CPU or device: what a panic needs from them
// (interrupts off and the console to itself, a backtrace, the stop) comes
// through a PanicPort that main installs first thing at boot.
#pragma once
#include <stdint.h>

struct PanicPort {
  void (*enter)();                  // interrupts off; this hart owns the console
  void (*backtrace)(uintptr_t fp);  // callers found from a frame pointer
  [[noreturn]] void (*stop)();      // stop the machine with the panic status
};
void set_panic_port(const PanicPort* port);

[[noreturn]] __attribute__((format(printf, 1, 2))) void panic(const char* fmt, ...);

// A function every panic report calls last, before the machine stops
// (kernel tests use it to check the state a panic left behind).
void set_panic_note(void (*note)());
// Every panic path starts here: interrupts off, and the console is this
// hart's without taking any lock (another hart that panics too stops).
void panic_begin();
// The panic paths end here: the note, then the stop.
[[noreturn]] void panic_finish();
// Stop at once: no note (a report that cannot be made, e.g. no stack left).
[[noreturn]] void panic_stop();

#define KASSERT(cond)                                                              \
  do {                                                                             \
    if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
  } while (0)
