// kprintf: formats with libk's vformat straight into the console sink, no
// buffer. The sink (uart::putc) takes its output lock per character, not
// per line; after a panic the panicking hart writes without it.
#include "kprintf.h"

#include <libk/format.h>

namespace {
ConsoleSink sink;
void put(char c) {
  if (ConsoleSink s = sink) s(c);
}
}  // namespace

void set_console_sink(ConsoleSink s) { sink = s; }

void kputc(char c) { put(c); }

void kputs(const char* s) {
  while (*s) put(*s++);
}

void kvprintf(const char* fmt, va_list ap) {
  libk::vformat([](void*, char c) { put(c); }, nullptr, fmt, ap);
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
