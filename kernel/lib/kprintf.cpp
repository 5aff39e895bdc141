// kprintf: formats with libk's vformat straight into the console, no buffer.
// Each character goes out under the UART's output lock (not a whole line);
// after a panic, the panicking hart writes without it (uart::claim_for_panic).
#include "kprintf.h"

#include <libk/format.h>

#include "dev/uart.h"

void kputc(char c) { uart::putc(c); }

void kputs(const char* s) {
  while (*s) uart::putc(*s++);
}

void kvprintf(const char* fmt, va_list ap) {
  libk::vformat([](void*, char c) { uart::putc(c); }, nullptr, fmt, ap);
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
