// Slab caches: fixed-size objects carved from naturally aligned frame blocks.
//
// Each slab is one buddy block (order chosen so at least 8 objects fit) with
// a header at its start; an object's slab is found by rounding its address
// down to the block size. A per-slab bitmap of live slots makes a double free
// or a pointer into the wrong cache a detected error, not silent corruption.
// An empty slab goes straight back to the frame allocator, so frames_free and
// the live counts return exactly to their baseline when the objects do.
//
// Every cache is registered by name; kstat shows objects_<name> for each.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

#include <new>
#include <utility>

#include "lib/spinlock.h"

struct Slab;

class SlabCache {
 public:
  // zero: hand out zeroed memory (typed caches construct instead).
  SlabCache(const char* name, size_t object_size, size_t align = 16, bool zero = true);
  SlabCache(const SlabCache&) = delete;
  SlabCache& operator=(const SlabCache&) = delete;

  libk::Result<void*> alloc();
  // ERR_INVALID_ARGS (and nothing changes) if p is not a live object of this cache.
  libk::Result<void> free(void* p);
  bool owns_live(const void* p);

  const char* name() const { return name_; }
  size_t object_size() const { return size_; }
  size_t live() const { return live_; }
  size_t slab_count() const { return slabs_; }  // slabs holding objects
  size_t slab_frames() const { return slabs_ << order_; }

  // Visit every live object (leak checks).
  void for_each_live(void (*fn)(void* ctx, SlabCache& cache, void* obj), void* ctx);

  static SlabCache* first() { return first_; }
  // Give every cache's kept empty slab back to the frame allocator (it asks
  // when it runs out). Returns the frames released.
  static size_t reclaim_all();
  SlabCache* next() const { return next_; }
  static SlabCache* cache_of(const void* p);  // the cache a live object belongs to
  [[noreturn]] void panic_bad_free(const void* p);

 private:
  friend struct Slab;
  Slab* new_slab();
  size_t release_empty();

  const char* name_;
  bool zero_;
  size_t size_;        // object stride, aligned
  unsigned order_;     // slab block order
  size_t capacity_;    // objects per slab
  size_t header_;      // offset of object 0 in a slab
  size_t live_ = 0;
  size_t slabs_ = 0;
  Slab* partial_ = nullptr;  // slabs with at least one free slot (doubly linked)
  Slab* full_ = nullptr;     // slabs with none
  Slab* empty_ = nullptr;    // at most one empty slab kept for reuse (its frames count as free)
  Spinlock lock_;
  SlabCache* next_;          // registry of all caches
  static SlabCache* first_;
};

// A cache of T that constructs and destroys in place.
template <typename T>
class TypedCache : public SlabCache {
 public:
  explicit TypedCache(const char* name) : SlabCache(name, sizeof(T), alignof(T), false) {}
  template <typename... Args>
  libk::Result<T*> create(Args&&... args) {
    void* p = TRY(alloc());
    return new (p) T(std::forward<Args>(args)...);
  }
  void destroy(T* obj) {
    obj->~T();
    if (free(obj).is_error()) panic_bad_free(obj);
  }
};
