#include "kmalloc.h"

#include <libk/string.h>

#include "arch/riscv64/memlayout.h"
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
}  // namespace

libk::Result<void*> kmalloc(size_t size) {
  if (size == 0) return libk::err(ERR_INVALID_ARGS);
  if (size <= LARGEST_CLASS) {
    for (SlabCache& c : size_classes)
      if (size <= c.object_size()) return c.alloc();
  }
  if (size > (arch::PAGE_SIZE << pmm::MAX_ORDER)) return libk::err(ERR_NO_MEMORY);
  unsigned order = order_for(size);
  uintptr_t pa = TRY(pmm::alloc_zeroed(order));
  heap_stats::bytes_add(arch::PAGE_SIZE << order);
  heap_stats::large_frames_add(size_t{1} << order);
  return arch::phys_to_virt(pa);
}

libk::Result<void> kfree(void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a < arch::DIRECT_MAP_BASE || a >= arch::DIRECT_MAP_BASE + arch::DIRECT_MAP_SIZE)
    return libk::err(ERR_INVALID_ARGS);
  // Slab objects never start on a page boundary (the slab header is there),
  // so a page-aligned pointer is a large block.
  if ((a & (arch::PAGE_SIZE - 1)) == 0) {
    uintptr_t pa = a - arch::DIRECT_MAP_BASE;
    unsigned order;
    if (!pmm::allocated_order(pa, &order)) return libk::err(ERR_INVALID_ARGS);
    // A slab block also starts page aligned: refuse to free one through kfree.
    if (SlabCache::cache_of(p)) return libk::err(ERR_INVALID_ARGS);
    TRY(pmm::free(pa, order));
    heap_stats::bytes_sub(arch::PAGE_SIZE << order);
    heap_stats::large_frames_sub(size_t{1} << order);
    return libk::ok();
  }
  SlabCache* c = SlabCache::cache_of(p);
  for (SlabCache& k : size_classes)
    if (c == &k) return k.free(p);
  return libk::err(ERR_INVALID_ARGS);
}
