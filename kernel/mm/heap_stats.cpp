#include "heap_stats.h"

#include "mm/slab.h"

namespace heap_stats {
namespace {
size_t used, large;
}
void bytes_add(size_t n) { __atomic_fetch_add(&used, n, __ATOMIC_RELAXED); }
void bytes_sub(size_t n) { __atomic_fetch_sub(&used, n, __ATOMIC_RELAXED); }
void large_frames_add(size_t n) { __atomic_fetch_add(&large, n, __ATOMIC_RELAXED); }
void large_frames_sub(size_t n) { __atomic_fetch_sub(&large, n, __ATOMIC_RELAXED); }
size_t large_frames() { return __atomic_load_n(&large, __ATOMIC_RELAXED); }
size_t bytes_used() { return __atomic_load_n(&used, __ATOMIC_RELAXED); }
size_t slab_frames() {
  size_t n = 0;
  for (SlabCache* c = SlabCache::first(); c; c = c->next()) n += c->slab_frames();
  return n;
}
}  // namespace heap_stats
