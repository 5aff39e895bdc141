#include "heap_stats.h"

#include <libk/atomic.h>

#include "mm/slab.h"

namespace heap_stats {
namespace {
libk::Atomic<size_t> used, large;
}
void bytes_add(size_t n) { used.fetch_add(n, libk::MemoryOrder::Relaxed); }
void bytes_sub(size_t n) { used.fetch_sub(n, libk::MemoryOrder::Relaxed); }
void large_frames_add(size_t n) { large.fetch_add(n, libk::MemoryOrder::Relaxed); }
void large_frames_sub(size_t n) { large.fetch_sub(n, libk::MemoryOrder::Relaxed); }
size_t large_frames() { return large.load(libk::MemoryOrder::Relaxed); }
size_t bytes_used() { return used.load(libk::MemoryOrder::Relaxed); }
size_t slab_frames() {
  size_t n = 0;
  for (SlabCache* c = SlabCache::first(); c; c = c->next()) n += c->slab_frames();
  return n;
}
}  // namespace heap_stats
