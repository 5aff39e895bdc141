// The general kernel allocator: power-of-two size classes (16 B .. 2 KiB)
// served by slab caches "kmalloc-N", larger sizes by whole frame blocks.
// Typed kernel objects use their own TypedCache instead.
#pragma once
#include <libk/result.h>
#include <stddef.h>

libk::Result<void*> kmalloc(size_t size);  // zeroed; ERR_NO_MEMORY, ERR_INVALID_ARGS for 0
// ERR_INVALID_ARGS (nothing changes) for a pointer kmalloc did not return or a double free.
libk::Result<void> kfree(void* p);
