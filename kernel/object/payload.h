// Message payloads too long for a message's inline bytes. They come from
// caches of their own (payload_256 .. payload_2048) and, above that, from
// whole frames recorded as FrameUse::Payload: user bytes never share a
// block with a kernel object, and the message records the size it asked
// for, so freeing needs no lookup at all (the free is still checked).
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace payload {

libk::Result<uint8_t*> alloc(size_t n);  // 0 < n <= KEEL_CHANNEL_MAX_BYTES; not zeroed
void free(uint8_t* p, size_t n);         // n as given to alloc; panics on a bad free
size_t block_size(size_t n);             // what alloc(n) takes: its size class, or a frame
// Every live payload block (the audit): fn(ctx, block, size class).
void for_each_live(void (*fn)(void* ctx, void* block, size_t size), void* ctx);

}  // namespace payload
