// The physical frame allocator: one buddy allocator per RAM range from the
// DTB. Frames are 4 KiB; a block of order k is 2^k frames, physically aligned
// to its size (each zone's frame 0 sits on a 4 MiB boundary, so slab pages
// can find their header by rounding an address down).
//
// Counters are exact: frames_free() returns to the same value whenever every
// allocation has been freed; double and invalid frees are reported, never
// absorbed.
#pragma once
#include <libk/dtb.h>
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace pmm {

constexpr unsigned MAX_ORDER = 10;

// Reserve the firmware, the kernel image, the DTB and every DTB reservation;
// donate the rest. Panics only if no usable RAM is left.
void init(const libk::PlatformInfo& plat, uintptr_t dtb_pa, size_t dtb_size);

libk::Result<uintptr_t> alloc(unsigned order);       // physical address
libk::Result<uintptr_t> alloc_zeroed(unsigned order);
// Free a block from alloc(order). A bad address, double free or wrong order
// returns ERR_INVALID_ARGS and changes nothing.
libk::Result<void> free(uintptr_t pa, unsigned order);
// Is pa RAM the allocator manages (and so mapped and accessible)? No lock
// needed: zones never change after init.
bool is_ram(uintptr_t pa);
// Order of the allocated block starting at pa, if there is one.
bool allocated_order(uintptr_t pa, unsigned* order);

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

// Call fn(pa, order) for every allocated block of every zone (leak checks).
void for_each_allocated(void (*fn)(void* ctx, uintptr_t pa, unsigned order), void* ctx);

}  // namespace pmm
