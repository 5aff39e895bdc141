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
// Order of the allocated block starting at pa, if there is one.
bool allocated_order(uintptr_t pa, unsigned* order);

size_t frames_total();
size_t frames_free();
bool check_invariants();

// Call fn(pa, order) for every allocated block of every zone (leak checks).
void for_each_allocated(void (*fn)(void* ctx, uintptr_t pa, unsigned order), void* ctx);

}  // namespace pmm
