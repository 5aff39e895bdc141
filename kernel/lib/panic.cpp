// panic(): the report, through the PanicPort (see panic.h).
#include "panic.h"

#include <libk/assert.h>

#include "kprintf.h"

namespace {
const PanicPort* port;
void (*panic_note)();
}  // namespace

void set_panic_port(const PanicPort* p) { port = p; }
void set_panic_note(void (*note)()) { panic_note = note; }

void panic_begin() {
  if (port) port->enter();
}

void panic_stop() {
  if (port) port->stop();
  for (;;) {
  }
}

void panic_finish() {
  if (void (*note)() = panic_note) {
    panic_note = nullptr;  // a panic inside the note does not loop
    note();
  }
  panic_stop();
}

void panic(const char* fmt, ...) {
  panic_begin();
  kprintf("\nKERNEL PANIC: ");
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
  if (port) port->backtrace(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
  panic_finish();
}

void libk_assert_fail(const char* expr, const char* file, int line) {
  panic("libk assertion failed: %s (%s:%d)", expr, file, line);
}
