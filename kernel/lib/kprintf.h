// Kernel console output: printf-style, to the UART (or SBI before it exists).
#pragma once
#include <stdarg.h>

void kputs(const char* s);
void kputc(char c);
__attribute__((format(printf, 1, 2))) void kprintf(const char* fmt, ...);
void kvprintf(const char* fmt, va_list ap);
