// See user_memcpy.S: the fault-tolerant copy used by mm/user_copy.cpp.
#pragma once
#include <stddef.h>

extern "C" long user_memcpy(void* dst, const void* src, size_t n);
extern "C" void user_memcpy_fault();
extern "C" char user_memcpy_end[];
