// Kernel console output: printf-style, into the console sink main installs
// first thing at boot (the UART driver; output before that is dropped).
// klib sits below arch and dev: it knows no driver, only this sink.
#pragma once
#include <stdarg.h>
#include <stddef.h>

// Writes n bytes as one piece: no other hart's output lands among them.
using ConsoleSink = void (*)(const char* s, size_t n);
void set_console_sink(ConsoleSink sink);

void kputs(const char* s);
void kwrite(const char* s, size_t n);  // one piece, as the sink promises
__attribute__((format(printf, 1, 2))) void kprintf(const char* fmt, ...);
void kvprintf(const char* fmt, va_list ap);
