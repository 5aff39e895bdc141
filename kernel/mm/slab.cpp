#include "slab.h"

#include <arch/memlayout.h>

#include "lib/panic.h"
#include "mm/fail_alloc.h"
#include "mm/heap_stats.h"
#include "mm/pmm.h"

SlabCache* SlabCache::first_ = nullptr;

namespace {
// Slab blocks come from the frame allocator, recorded as FrameUse::Slab.
class FrameBacking final : public libk::SlabBacking {
 public:
  libk::Result<void*> alloc_block(unsigned order) override {
    uintptr_t pa = TRY(pmm::alloc(order, pmm::FrameUse::Slab));
    return arch::phys_to_virt(pa);
  }
  void free_block(void* block, unsigned order) override {
    pmm::free(arch::virt_to_phys(block), order, pmm::FrameUse::Slab);
  }
  void kept_empty(unsigned order, bool kept) override {
    if (kept)
      pmm::reclaimable_add(size_t{1} << order);
    else
      pmm::reclaimable_sub(size_t{1} << order);
  }
};
FrameBacking backing;
}  // namespace

SlabCache::SlabCache(const char* name, size_t object_size, size_t align, bool zero)
    : libk::SlabAllocator(name, object_size, align, zero) {
  next_ = first_;
  first_ = this;
}

libk::Result<void*> SlabCache::alloc() {
  if (fail_alloc::should_fail()) return libk::err(ERR_NO_MEMORY);
  SpinGuard g(lock_);
  void* p = TRY(libk::SlabAllocator::alloc(backing));
  heap_stats::bytes_add(object_size());
  return p;
}

void* SlabCache::slab_block_of(const void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a < arch::DIRECT_MAP_BASE || a >= arch::DIRECT_MAP_BASE + arch::DIRECT_MAP_SIZE)
    return nullptr;
  libk::FrameRecord r;
  if (!pmm::frame_record(a - arch::DIRECT_MAP_BASE, &r) || r.use != pmm::FrameUse::Slab)
    return nullptr;
  return reinterpret_cast<void*>(r.head);
}

SlabCache* SlabCache::cache_of(const void* p) {
  void* block = slab_block_of(p);
  if (!block) return nullptr;
  libk::SlabAllocator* a = libk::SlabAllocator::owner_of_block(block);
  return a ? from(a) : nullptr;
}

const char* SlabCache::free_refusal(const void* p) {
  void* block = slab_block_of(p);
  if (!block) return "it is not inside a slab";
  SpinGuard g(lock_);
  return libk::SlabAllocator::free_refusal(block, p);
}

void SlabCache::free(void* p) {
  void* block = slab_block_of(p);
  const char* why = "it is not inside a slab";
  if (block) {
    SpinGuard g(lock_);
    why = libk::SlabAllocator::free_refusal(block, p);
    if (!why) {
      libk::SlabAllocator::free(block, p, backing);
      heap_stats::bytes_sub(object_size());
      return;
    }
  }
  SlabCache* owner = cache_of(p);
  panic("slab %s: free of %p refused: %s (its block %p belongs to %s)", name(), p, why, block,
        owner ? owner->name() : "no cache");
}

void SlabCache::for_each_live(void (*fn)(void*, SlabCache&, void*), void* ctx) {
  SpinGuard g(lock_);
  libk::SlabAllocator::for_each_live([&](void* obj) { fn(ctx, *this, obj); });
}

bool SlabCache::owns_block(const void* block) {
  SpinGuard g(lock_);
  return libk::SlabAllocator::owns_block(block);
}

void SlabCache::for_each_block(void (*fn)(void*, void*), void* ctx) {
  SpinGuard g(lock_);
  libk::SlabAllocator::for_each_block([&](void* block) { fn(ctx, block); });
}

size_t SlabCache::reclaim_all() {
  size_t n = 0;
  for (SlabCache* c = first_; c; c = c->next_) {
    // A cache whose lock is held (perhaps by our own caller, out of frames
    // in the middle of its alloc) is skipped.
    if (!c->lock_.try_lock()) continue;
    n += c->release_empty(backing);
    c->lock_.unlock();
  }
  return n;
}
