// See user_memcpy.S: the fault-tolerant copy (and write probe) used by
// mm/user_copy.cpp.
#pragma once
#include <stddef.h>

extern "C" long user_memcpy(void* dst, const void* src, size_t n);
extern "C" long user_probe_write(void* p);
extern "C" void user_memcpy_fault();
extern "C" char user_memcpy_end[];
