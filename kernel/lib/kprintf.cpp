// kprintf: formats with libk's vformat into a line buffer on the stack and
// hands the sink a line at a time (or a full buffer), so lines from several
// harts never interleave mid-line. After a panic the panicking hart writes
// without the sink's lock; other harts stop (uart.cpp).
#include "kprintf.h"

#include <libk/format.h>
#include <libk/string.h>

namespace {
ConsoleSink sink;

struct LineBuffer {
  char buf[160];
  size_t len = 0;
  void flush() {
    if (len) kwrite(buf, len);
    len = 0;
  }
  void put(char c) {
    if (len == sizeof(buf)) flush();
    buf[len++] = c;
    if (c == '\n') flush();
  }
};
}  // namespace

void set_console_sink(ConsoleSink s) { sink = s; }

void kwrite(const char* s, size_t n) {
  if (ConsoleSink k = sink) k(s, n);
}

void kputs(const char* s) { kwrite(s, strlen(s)); }

void kvprintf(const char* fmt, va_list ap) {
  LineBuffer line;
  libk::vformat([](void* b, char c) { static_cast<LineBuffer*>(b)->put(c); }, &line, fmt, ap);
  line.flush();
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
