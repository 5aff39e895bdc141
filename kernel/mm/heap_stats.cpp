#include "heap_stats.h"

namespace heap_stats {
namespace {
size_t used, frames, large;
}
void bytes_add(size_t n) { __atomic_fetch_add(&used, n, __ATOMIC_RELAXED); }
void bytes_sub(size_t n) { __atomic_fetch_sub(&used, n, __ATOMIC_RELAXED); }
void slab_frames_add(size_t n) { __atomic_fetch_add(&frames, n, __ATOMIC_RELAXED); }
void slab_frames_sub(size_t n) { __atomic_fetch_sub(&frames, n, __ATOMIC_RELAXED); }
void large_frames_add(size_t n) { __atomic_fetch_add(&large, n, __ATOMIC_RELAXED); }
void large_frames_sub(size_t n) { __atomic_fetch_sub(&large, n, __ATOMIC_RELAXED); }
size_t large_frames() { return __atomic_load_n(&large, __ATOMIC_RELAXED); }
size_t bytes_used() { return __atomic_load_n(&used, __ATOMIC_RELAXED); }
size_t slab_frames() { return __atomic_load_n(&frames, __ATOMIC_RELAXED); }
}  // namespace heap_stats
