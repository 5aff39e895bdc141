// Heap accounting shared by the slab caches and kmalloc: bytes handed out
// (object strides and large blocks) and frames in large kmalloc blocks.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace heap_stats {

void bytes_add(size_t n);
void bytes_sub(size_t n);
void large_frames_add(size_t n);  // kmalloc blocks bigger than a slab object
void large_frames_sub(size_t n);
size_t bytes_used();
size_t large_frames();
// Frames of slabs that hold objects, over every cache (kept empty slabs
// count as free, not here).
size_t slab_frames();

}  // namespace heap_stats
