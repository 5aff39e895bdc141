// The kernel command line (/chosen/bootargs): space-separated key=value words.
#pragma once
#include <stddef.h>

namespace bootargs {

void init(const char* cmdline);
const char* raw();
// Copy the value of `key` into out (NUL-terminated); false if absent or too long.
bool get(const char* key, char* out, size_t cap);

}  // namespace bootargs
