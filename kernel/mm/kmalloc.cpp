#include "kmalloc.h"

#include <arch/memlayout.h>
#include <libk/string.h>

#include "lib/panic.h"
#include "mm/heap_stats.h"
#include "mm/pmm.h"
#include "mm/slab.h"

namespace {
SlabCache size_classes[] = {
    {"kmalloc_16", 16},   {"kmalloc_32", 32},   {"kmalloc_64", 64},     {"kmalloc_128", 128},
    {"kmalloc_256", 256}, {"kmalloc_512", 512}, {"kmalloc_1024", 1024}, {"kmalloc_2048", 2048},
};
constexpr size_t LARGEST_CLASS = 2048;

unsigned order_for(size_t size) {
  unsigned order = 0;
  while ((arch::PAGE_SIZE << order) < size) order++;
  return order;
}

bool is_size_class(const SlabCache* c) {
  for (const SlabCache& k : size_classes)
    if (c == &k) return true;
  return false;
}

// What p is, from the frame records: a large block (its order), or an object
// of one of the size classes (its cache); the reason otherwise.
struct Found {
  const char* refusal = nullptr;
  SlabCache* cache = nullptr;
  uintptr_t large_pa = 0;
  unsigned order = 0;
};

Found find(const void* p) {
  Found f;
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  libk::FrameRecord r;
  if (a < arch::DIRECT_MAP_BASE || a >= arch::DIRECT_MAP_BASE + arch::DIRECT_MAP_SIZE ||
      !pmm::frame_record(a - arch::DIRECT_MAP_BASE, &r)) {
    f.refusal = "it is not in RAM the kernel allocates";
    return f;
  }
  if (r.use == pmm::FrameUse::Heap) {
    if (a != r.head) f.refusal = "it points inside a large block";
    f.large_pa = a - arch::DIRECT_MAP_BASE;
    f.order = r.order;
    return f;
  }
  if (r.use != pmm::FrameUse::Slab) {
    f.refusal = "its frame is not kmalloc's";
    return f;
  }
  f.cache = SlabCache::cache_of(p);
  if (!f.cache || !is_size_class(f.cache))
    f.refusal = "it belongs to a slab cache that is not kmalloc's";
  return f;
}
}  // namespace

libk::Result<void*> kmalloc(size_t size) {
  if (size == 0) return libk::err(ERR_INVALID_ARGS);
  if (size <= LARGEST_CLASS) {
    for (SlabCache& c : size_classes)
      if (size <= c.object_size()) return c.alloc();
  }
  if (size > (arch::PAGE_SIZE << pmm::MAX_ORDER)) return libk::err(ERR_NO_MEMORY);
  unsigned order = order_for(size);
  uintptr_t pa = TRY(pmm::alloc_zeroed(order, pmm::FrameUse::Heap));
  heap_stats::bytes_add(arch::PAGE_SIZE << order);
  heap_stats::large_frames_add(size_t{1} << order);
  return arch::phys_to_virt(pa);
}

const char* kfree_refusal(const void* p) {
  Found f = find(p);
  if (f.refusal) return f.refusal;
  if (f.cache) return f.cache->free_refusal(p);
  return pmm::free_refusal(f.large_pa, f.order, pmm::FrameUse::Heap);
}

void kfree(void* p) {
  Found f = find(p);
  if (f.refusal) {
    libk::FrameRecord r;
    uintptr_t a = reinterpret_cast<uintptr_t>(p);
    bool ram = a >= arch::DIRECT_MAP_BASE && pmm::frame_record(a - arch::DIRECT_MAP_BASE, &r);
    panic("kfree of %p refused: %s (its frame is %s)", p, f.refusal,
          ram ? libk::frame_use_name(r.use) : "not RAM");
  }
  if (f.cache) return f.cache->free(p);  // panics itself on a double free
  pmm::free(f.large_pa, f.order, pmm::FrameUse::Heap);
  heap_stats::bytes_sub(arch::PAGE_SIZE << f.order);
  heap_stats::large_frames_sub(size_t{1} << f.order);
}

namespace kmalloc_audit {
void for_each_live(void (*fn)(void*, void*, size_t, const char*), void* ctx) {
  struct Visit {
    void (*fn)(void*, void*, size_t, const char*);
    void* ctx;
  } v{fn, ctx};
  for (SlabCache& c : size_classes)
    c.for_each_live(
        [](void* vv, SlabCache& cache, void* obj) {
          auto* w = static_cast<Visit*>(vv);
          w->fn(w->ctx, obj, cache.object_size(), cache.name());
        },
        &v);
  pmm::for_each_allocated(
      [](void* vv, uintptr_t pa, unsigned order, pmm::FrameUse use) {
        auto* w = static_cast<Visit*>(vv);
        if (use == pmm::FrameUse::Heap)
          w->fn(w->ctx, arch::phys_to_virt(pa), arch::PAGE_SIZE << order, "kmalloc large block");
      },
      &v);
}
}  // namespace kmalloc_audit
