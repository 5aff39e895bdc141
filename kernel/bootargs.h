// The kernel command line (/chosen/bootargs): space-separated key=value words.
//
// A boot argument the kernel cannot honour is never silently replaced by a
// default: get() tells "absent" from "too long", and the boot's own
// arguments go through get_or_stop(), which stops the machine naming the
// argument. The first word with a key wins.
#pragma once
#include <stddef.h>

namespace bootargs {

void init(const char* cmdline);
const char* raw();

// What get() found for a key.
enum class Lookup {
  Absent,   // no word "key=..."
  Found,    // the value is in out, NUL-terminated
  TooLong,  // the value has cap or more characters; out is left empty
};

// Copy the value of `key` into out (at most cap - 1 characters and a NUL).
// *length (if given) is the value's length on the command line, also when
// it is too long.
Lookup get(const char* key, char* out, size_t cap, size_t* length = nullptr);

// get(), for an argument the boot depends on: a value too long stops the
// machine with "keel: boot argument 'KEY' is too long (N characters, at
// most M)". true if the value is in out, false if absent.
bool get_or_stop(const char* key, char* out, size_t cap);

// The boot cannot go on as asked (a boot argument, init's program): print
// "keel: <why>" and stop the machine with a failure status. Not a panic:
// nothing is wrong with the kernel, so there is no register dump or
// backtrace, just the reason.
[[noreturn]] __attribute__((format(printf, 1, 2))) void stop(const char* fmt, ...);

}  // namespace bootargs
