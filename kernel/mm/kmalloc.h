// The general kernel allocator: power-of-two size classes (16 B .. 2 KiB)
// served by slab caches "kmalloc_N", larger sizes by whole frame blocks
// (FrameUse::Heap). Typed kernel objects use their own TypedCache, message
// payloads their own caches: nothing user-shaped shares these blocks.
//
// kfree finds what p is from the frame allocator's out-of-band records, in
// one lookup; a pointer kmalloc did not hand out, or one freed twice,
// panics with its address and what its frame really is.
#pragma once
#include <libk/result.h>
#include <stddef.h>

libk::Result<void*> kmalloc(size_t size);  // zeroed; ERR_NO_MEMORY, ERR_INVALID_ARGS for 0
void kfree(void* p);
// Why kfree(p) would panic, or nullptr (tests check refusals this way).
const char* kfree_refusal(const void* p);

namespace kmalloc_audit {
// Every live kmalloc block: fn(ctx, block, size class or large size, what).
void for_each_live(void (*fn)(void* ctx, void* block, size_t size, const char* what), void* ctx);
}  // namespace kmalloc_audit
