// Kernel console output: printf-style, into the console sink main installs
// first thing at boot (the UART driver; output before that is dropped).
// klib sits below arch and dev: it knows no driver, only this sink.
#pragma once
#include <stdarg.h>

using ConsoleSink = void (*)(char c);
void set_console_sink(ConsoleSink sink);

void kputs(const char* s);
void kputc(char c);
__attribute__((format(printf, 1, 2))) void kprintf(const char* fmt, ...);
void kvprintf(const char* fmt, va_list ap);
