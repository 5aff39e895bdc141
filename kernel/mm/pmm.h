// The physical frame allocator: one buddy allocator per RAM range from the
// DTB. Frames are 4 KiB; a block of order k is 2^k frames, physically aligned
// to its size (each zone's frame 0 sits on a 4 MiB boundary, so slab pages
// can find their header by rounding an address down).
//
// Counters are exact: frames_free() returns to the same value whenever every
// allocation has been freed.
//
// Every allocation says what it is for (FrameUse), and the allocator keeps
// that, the block's order and its head in a record per frame, out of band
// (libk/frame_record.h): kfree finds a slab from it, the orphan audit
// accounts for every allocated frame by it. A free that does not match a
// live block of that order and use (double free, interior or foreign
// address, wrong use) panics with the address and what the frame really is:
// it is a kernel bug, never absorbed.
#pragma once
#include <libk/dtb.h>
#include <libk/frame_record.h>
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace pmm {

constexpr unsigned MAX_ORDER = 10;

// Reserve the firmware, the kernel image, the DTB and every DTB reservation;
// donate the rest. Panics only if no usable RAM is left.
void init(const libk::PlatformInfo& plat, uintptr_t dtb_pa, size_t dtb_size);

using libk::FrameUse;

libk::Result<uintptr_t> alloc(unsigned order, FrameUse use);  // physical address
libk::Result<uintptr_t> alloc_zeroed(unsigned order, FrameUse use);
// Free a block from alloc(order, use); panics unless pa is exactly that.
void free(uintptr_t pa, unsigned order, FrameUse use);
// Why free(pa, order, use) would panic, or nullptr if it would not.
const char* free_refusal(uintptr_t pa, unsigned order, FrameUse use);
// Is pa RAM the allocator manages (and so mapped and accessible)? No lock
// needed: zones never change after init.
bool is_ram(uintptr_t pa);
// The record of the frame holding pa: use, order and the block's head (its
// direct-map address). false if pa is not RAM the allocator manages.
bool frame_record(uintptr_t pa, libk::FrameRecord* out);

size_t frames_total();
// Free frames: in the buddy lists, in the per-hart caches, and reclaimable
// (empty slabs kept by their caches, given back the moment alloc needs them).
size_t frames_free();
void reclaimable_add(size_t frames);
void reclaimable_sub(size_t frames);
// Called (without locks held) when an allocation would fail; returns the
// frames it gave back. The slab layer registers SlabCache::reclaim_all.
void set_reclaim_hook(size_t (*hook)());
bool check_invariants();

// Call fn(pa, order, use) for every allocated block of every zone (the
// audit); frames sitting in the per-hart caches are free and not visited.
void for_each_allocated(void (*fn)(void* ctx, uintptr_t pa, unsigned order, FrameUse use),
                        void* ctx);

}  // namespace pmm
