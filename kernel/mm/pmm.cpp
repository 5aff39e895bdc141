// Boot-time carving of RAM into zones, and the locked allocator front end.
#include "pmm.h"

#include <arch/cpu.h>
#include <arch/memlayout.h>
#include <arch/spinlock.h>
#include <libk/atomic.h>
#include <libk/buddy.h>
#include <libk/string.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/fail_alloc.h"

namespace pmm {
namespace {
using arch::PAGE_SIZE;
constexpr uintptr_t ZONE_ALIGN = PAGE_SIZE << MAX_ORDER;  // 4 MiB

struct Zone {
  uintptr_t base;  // physical address of frame 0 (ZONE_ALIGN aligned)
  uintptr_t end;   // end of the RAM range this zone covers
  uintptr_t lo;    // lowest frame ever donated: below it is firmware or kernel
  libk::BuddyAllocator buddy;
  libk::FrameRecords records;  // what each frame is for (out of band)

  size_t index(uintptr_t pa) const { return (pa - base) / PAGE_SIZE; }
};

constexpr size_t MAX_ZONES = 8;
Zone zones[MAX_ZONES];
size_t zone_count;
Spinlock lock{LockRank::Frames, "frames"};  // zones and the frame caches

// A small per-hart cache of free single frames: order-0 allocations (slabs,
// page tables, stacks) come and go constantly, and a round trip through the
// buddy lists splits and merges up to MAX_ORDER times. Cached frames are
// free: frames_free() counts them, their records say Free, and a frame
// freed while already cached is a double free like any other.
constexpr size_t CACHE_SIZE = 32;
struct FrameCache {
  uintptr_t frames[CACHE_SIZE];
  size_t count;
};
FrameCache caches[arch::MAX_CPUS];
size_t cached_total;  // under the frame lock; frames_free reads it racily
libk::Atomic<size_t> reclaimable;
size_t (*reclaim_hook)();

FrameCache& this_cache() { return caches[arch::this_cpu()->index]; }

struct Range {
  uintptr_t start, end;
};
constexpr size_t MAX_RANGES = 48;

// A set of disjoint free ranges being carved at boot.
struct RangeSet {
  Range r[MAX_RANGES];
  size_t n = 0;

  void add(uintptr_t s, uintptr_t e) {
    if (s >= e) return;
    if (n == MAX_RANGES) panic("pmm: too many memory ranges");
    r[n++] = {s, e};
  }
  // Remove [s, e) from every range, splitting where it falls inside one.
  void subtract(uintptr_t s, uintptr_t e) {
    if (s >= e) return;
    size_t count = n;
    for (size_t i = 0; i < count; i++) {
      Range x = r[i];
      if (e <= x.start || s >= x.end) continue;
      r[i] = {x.start, s > x.start ? s : x.start};
      if (e < x.end) add(e, x.end);
    }
  }
};

Zone* zone_of(uintptr_t pa) {
  for (size_t i = 0; i < zone_count; i++)
    if (pa >= zones[i].base && pa < zones[i].end) return &zones[i];
  return nullptr;
}
}  // namespace

void init(const libk::PlatformInfo& plat, uintptr_t dtb_pa, size_t dtb_size) {
  RangeSet free_set;
  for (size_t i = 0; i < plat.memory_count; i++) {
    uintptr_t s = arch::page_round_up(plat.memory[i].base);
    uintptr_t e = arch::page_round_down(plat.memory[i].base + plat.memory[i].size);
    free_set.add(s, e);
  }
  // Firmware below the kernel and the kernel image itself.
  free_set.subtract(arch::KERNEL_PHYS_BASE, arch::virt_to_phys(__kernel_end));
  free_set.subtract(arch::page_round_down(dtb_pa), arch::page_round_up(dtb_pa + dtb_size));
  for (size_t i = 0; i < plat.reserved_count; i++) {
    const auto& r = plat.reserved[i];
    free_set.subtract(arch::page_round_down(r.base), arch::page_round_up(r.base + r.size));
  }

  for (size_t i = 0; i < plat.memory_count && zone_count < MAX_ZONES; i++) {
    Zone& z = zones[zone_count];
    z.base = plat.memory[i].base & ~(ZONE_ALIGN - 1);
    z.end = arch::page_round_down(plat.memory[i].base + plat.memory[i].size);
    size_t frames = (z.end - z.base) / PAGE_SIZE;
    size_t buddy_bytes = (libk::BuddyAllocator::metadata_bytes(frames) + 7) & ~size_t{7};
    size_t meta_bytes =
        arch::page_round_up(buddy_bytes + frames * libk::FrameRecords::kBytesPerFrame);
    // The metadata comes out of the first free range in this zone that holds it.
    uintptr_t meta_pa = 0;
    for (size_t k = 0; k < free_set.n && !meta_pa; k++) {
      Range& fr = free_set.r[k];
      if (fr.start >= z.base && fr.end <= z.end && fr.end - fr.start >= meta_bytes) {
        meta_pa = fr.start;
        fr.start += meta_bytes;
      }
    }
    if (!meta_pa) continue;
    if (z.buddy.init(arch::phys_to_virt(meta_pa), frames).is_error()) continue;
    z.records.init(arch::phys_to_virt(meta_pa + buddy_bytes), frames);
    for (size_t k = 0; k < free_set.n; k++) {
      Range fr = free_set.r[k];
      if (fr.start >= fr.end || fr.start < z.base || fr.end > z.end) continue;
      auto r =
          z.buddy.add_free_range((fr.start - z.base) / PAGE_SIZE, (fr.end - fr.start) / PAGE_SIZE);
      if (!z.lo || fr.start < z.lo) z.lo = fr.start;
      if (r.is_error()) panic("pmm: cannot donate %#lx..%#lx", fr.start, fr.end);
    }
    zone_count++;
  }
  if (frames_free() == 0) panic("pmm: no usable RAM");
}

namespace {
uintptr_t take_from_cache(FrameCache& c) {
  cached_total--;
  return c.frames[--c.count];
}

uintptr_t take_from_buddy(unsigned order) {
  for (size_t i = 0; i < zone_count; i++) {
    auto r = zones[i].buddy.alloc(order);
    if (r.ok()) return zones[i].base + r.value() * PAGE_SIZE;
  }
  return 0;
}

// This hart's cache first (order 0), then the buddy lists. Frames other
// harts keep cached are free too: when the lists cannot serve, a single
// frame comes from another hart's cache, and a larger block is tried again
// once every cache is given back to the lists (where its frames merge).
// Without this a hart ran out of memory while others kept up to 32 frames
// each (utest-channel at 4 harts: a child holding "every free frame" left
// some cached on other harts, and an allocation there succeeded).
uintptr_t take_block(unsigned order) {
  if (order == 0 && this_cache().count) return take_from_cache(this_cache());
  if (uintptr_t pa = take_from_buddy(order)) return pa;
  if (cached_total == 0) return 0;
  for (FrameCache& c : caches) {
    if (order == 0 && c.count) return take_from_cache(c);
    while (c.count) {
      uintptr_t pa = take_from_cache(c);
      Zone* z = zone_of(pa);
      if (z->buddy.free(z->index(pa), 0).is_error()) panic("pmm: buddy refused %#lx", pa);
    }
  }
  return take_from_buddy(order);
}

libk::Result<uintptr_t> alloc_locked(unsigned order, FrameUse use) {
  if (order > MAX_ORDER || use == FrameUse::Free || use >= FrameUse::Count_)
    return libk::err(ERR_INVALID_ARGS);
  uintptr_t pa = take_block(order);
  if (!pa) return libk::err(ERR_NO_MEMORY);
  Zone* z = zone_of(pa);
  z->records.mark(z->index(pa), order, use, reinterpret_cast<uintptr_t>(arch::phys_to_virt(pa)));
  return pa;
}
}  // namespace

libk::Result<uintptr_t> alloc(unsigned order, FrameUse use) {
  if (fail_alloc::should_fail()) return libk::err(ERR_NO_MEMORY);
  {
    SpinGuard g(lock);
    auto r = alloc_locked(order, use);
    if (r.ok() || r.error() != ERR_NO_MEMORY || !reclaim_hook) return r;
  }
  // Out of frames: ask the slab caches for their kept empty slabs, once.
  if (!reclaim_hook()) return libk::err(ERR_NO_MEMORY);
  SpinGuard g(lock);
  return alloc_locked(order, use);
}

void reclaimable_add(size_t n) { reclaimable.fetch_add(n, libk::MemoryOrder::Relaxed); }
void reclaimable_sub(size_t n) { reclaimable.fetch_sub(n, libk::MemoryOrder::Relaxed); }
void set_reclaim_hook(size_t (*hook)()) { reclaim_hook = hook; }

libk::Result<uintptr_t> alloc_zeroed(unsigned order, FrameUse use) {
  uintptr_t pa = TRY(alloc(order, use));
  memset(arch::phys_to_virt(pa), 0, PAGE_SIZE << order);
  return pa;
}

namespace {
// Why freeing (pa, order, use) is wrong, or nullptr. The record must name
// exactly this block and use, and the buddy must agree it is allocated.
const char* refusal_locked(uintptr_t pa, unsigned order, FrameUse use) {
  Zone* z = zone_of(pa);
  if (!z || pa < z->lo) return "not RAM the frame allocator manages";
  if (pa & (PAGE_SIZE - 1)) return "not page aligned";
  libk::FrameRecord r = z->records.get(z->index(pa));
  if (r.use == FrameUse::Free) return "the frame is free (a double free?)";
  if (r.head != reinterpret_cast<uintptr_t>(arch::phys_to_virt(pa)))
    return "the address is inside a block, not its start";
  if (r.order != order) return "the block has another order";
  if (r.use != use) return "the block is in use for something else";
  unsigned actual;
  if (!z->buddy.is_allocated_head(z->index(pa), &actual) || actual != order)
    return "the buddy allocator does not have it allocated";
  return nullptr;
}
}  // namespace

const char* free_refusal(uintptr_t pa, unsigned order, FrameUse use) {
  SpinGuard g(lock);
  return refusal_locked(pa, order, use);
}

void free(uintptr_t pa, unsigned order, FrameUse use) {
  SpinGuard g(lock);
  if (const char* why = refusal_locked(pa, order, use)) {
    libk::FrameRecord r;
    Zone* z = zone_of(pa);
    if (z) r = z->records.get(z->index(pa));
    panic("pmm: free of %#lx (order %u, %s): %s; its frame is %s (order %u, block %#lx)", pa, order,
          libk::frame_use_name(use), why, libk::frame_use_name(r.use), r.order, r.head);
  }
  Zone* z = zone_of(pa);
  z->records.clear(z->index(pa), order);
  if (order == 0) {
    FrameCache& c = this_cache();
    if (c.count < CACHE_SIZE) {
      c.frames[c.count++] = pa;
      cached_total++;
      return;
    }
  }
  if (z->buddy.free(z->index(pa), order).is_error()) panic("pmm: buddy refused %#lx", pa);
}

bool frame_record(uintptr_t pa, libk::FrameRecord* out) {
  Zone* z = zone_of(pa);
  if (!z || pa < z->lo) return false;
  *out = z->records.get(z->index(pa));
  return true;
}

bool is_ram(uintptr_t pa) {
  // Only RAM the allocator manages: the firmware's range is in the memory
  // node too, but PMP denies the kernel any access to it.
  for (size_t i = 0; i < zone_count; i++)
    if (pa >= zones[i].lo && pa < zones[i].end) return true;
  return false;
}

size_t frames_total() {
  size_t n = 0;
  for (size_t i = 0; i < zone_count; i++) n += zones[i].buddy.frames_total();
  return n;
}

size_t frames_free() {
  size_t n = libk::AtomicRef(cached_total).load(libk::MemoryOrder::Relaxed) +
             reclaimable.load(libk::MemoryOrder::Relaxed);
  for (size_t i = 0; i < zone_count; i++) n += zones[i].buddy.frames_free();
  return n;
}

bool check_invariants() {
  SpinGuard g(lock);
  for (size_t i = 0; i < zone_count; i++)
    if (!zones[i].buddy.check_invariants()) return false;
  return true;
}

void for_each_allocated(void (*fn)(void* ctx, uintptr_t pa, unsigned order, FrameUse use),
                        void* ctx) {
  for (size_t i = 0; i < zone_count; i++) {
    Zone& z = zones[i];
    z.buddy.for_each_allocated([&](size_t index, unsigned order) {
      libk::FrameRecord r = z.records.get(index);
      if (r.use != FrameUse::Free) fn(ctx, z.base + index * PAGE_SIZE, order, r.use);
    });
  }
}

}  // namespace pmm
