// Slab caches: the kernel's typed object allocator. libk::SlabAllocator
// carves objects from frame blocks; SlabCache adds the lock, the frame
// allocator as backing, a registry of every cache (kstat shows
// objects_<name> for each) and the panic on a bad free.
//
// Which slab (and so which cache) an object belongs to is read from the
// frame allocator's out-of-band records (FrameUse::Slab, the block's head),
// never from memory near the object: cache_of() and free() cannot be
// steered by any object's contents. A free of anything but a live object of
// the cache panics with the address, the cache and what is wrong.
//
// Each cache keeps at most one empty slab for reuse; its frames count as
// free (frames_free includes them) and the frame allocator takes them back
// the moment it runs short, so counters return exactly to their baseline.
#pragma once
#include <arch/spinlock.h>
#include <libk/result.h>
#include <libk/slab.h>
#include <stddef.h>
#include <stdint.h>

#include <new>
#include <utility>

class SlabCache : private libk::SlabAllocator {
 public:
  // zero: hand out zeroed memory (typed caches construct instead).
  SlabCache(const char* name, size_t object_size, size_t align = 16, bool zero = true);
  SlabCache(const SlabCache&) = delete;
  SlabCache& operator=(const SlabCache&) = delete;

  libk::Result<void*> alloc();
  // Panics unless p is a live object of this cache.
  void free(void* p);
  // Why free(p) would panic, or nullptr (tests check refusals this way).
  const char* free_refusal(const void* p);
  bool owns_live(const void* p) { return free_refusal(p) == nullptr; }

  using libk::SlabAllocator::name;
  using libk::SlabAllocator::object_size;
  size_t live() const { return libk::SlabAllocator::live(); }
  size_t slab_count() const { return libk::SlabAllocator::slab_count(); }
  size_t slab_frames() const { return libk::SlabAllocator::slab_frames(); }

  // Visit every live object (leak checks), under the cache's lock.
  void for_each_live(void (*fn)(void* ctx, SlabCache& cache, void* obj), void* ctx);
  // Is the block starting at `block` one of this cache's slabs?
  bool owns_block(const void* block);
  // Visit every slab block of this cache, under its lock (the audit).
  void for_each_block(void (*fn)(void* ctx, void* block), void* ctx);

  static SlabCache* first() { return first_; }
  SlabCache* next() const { return next_; }
  // The cache p's slab belongs to, from the frame records; null if p is not
  // inside a slab block.
  static SlabCache* cache_of(const void* p);
  // Give every cache's kept empty slab back to the frame allocator (it asks
  // when it runs out). Returns the frames released.
  static size_t reclaim_all();

 private:
  static SlabCache* from(libk::SlabAllocator* a) { return static_cast<SlabCache*>(a); }
  // The head of the slab block holding p (from the frame records), or null.
  static void* slab_block_of(const void* p);

  Spinlock lock_{LockRank::Slab, "slab"};
  SlabCache* next_;  // registry of all caches
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
    free(obj);
  }
};
