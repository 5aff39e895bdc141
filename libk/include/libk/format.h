// printf-style formatting without libc, for the kernel console, user
// programs and fixed buffers.
//
// Supported: %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, field width
// and precision (digits or *), length modifiers hh h l ll z j t. Semantics
// follow C's printf, with these deliberate differences:
//  - %s of a null pointer prints "(null)" (cut by a precision like any
//    string); %p prints 0x followed by lowercase hex, also for null ("0x0").
//  - No floating point: the kernel may run with the FPU off, so a double is
//    never read. Unsupported conversions (%f, %n, %ls, ...) are copied to the
//    output verbatim. GCC checks call sites (format attribute) but accepts
//    %f, so do not use it.
// Output goes through a per-character callback; nothing is allocated.
#pragma once
#include <stdarg.h>
#include <stddef.h>

namespace libk {

using FormatPut = void (*)(void* ctx, char c);

// Emits the formatted text through put(ctx, c); returns the number of chars.
size_t vformat(FormatPut put, void* ctx, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t format_to(FormatPut put, void* ctx, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// snprintf semantics: writes at most cap - 1 chars and a NUL when cap > 0
// (buf may be null when cap is 0); returns the full length the text would
// have, so a result >= cap means it was truncated.
size_t vformat(char* buf, size_t cap, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t format(char* buf, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace libk
