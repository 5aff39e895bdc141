#include "slab.h"

#include <libk/string.h>

#include "arch/riscv64/memlayout.h"
#include "lib/panic.h"
#include "mm/heap_stats.h"
#include "mm/pmm.h"

SlabCache* SlabCache::first_ = nullptr;

namespace {
constexpr size_t MAX_SLOTS = 512;
constexpr uint32_t SLAB_MAGIC = 0x51ab51ab;
}  // namespace

struct Slab {
  uint32_t magic;
  uint32_t in_use;
  SlabCache* cache;
  Slab* prev;
  Slab* next;
  void* free_list;                // singly linked through freed objects
  uint32_t fresh;                 // slots [fresh, capacity) were never handed out
  uint64_t live[MAX_SLOTS / 64];  // bit i set: slot i is allocated

  char* object(size_t i) { return reinterpret_cast<char*>(this) + cache->header_ + i * cache->size_; }
};

namespace {
void list_remove(Slab*& head, Slab* s) {
  if (s->prev) s->prev->next = s->next;
  else head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}
void list_push(Slab*& head, Slab* s) {
  s->prev = nullptr;
  s->next = head;
  if (head) head->prev = s;
  head = s;
}
}  // namespace

SlabCache::SlabCache(const char* name, size_t object_size, size_t align, bool zero)
    : name_(name), zero_(zero) {
  if (align < 16) align = 16;
  size_ = (object_size + align - 1) & ~(align - 1);
  header_ = (sizeof(Slab) + align - 1) & ~(align - 1);
  order_ = 0;
  while (((arch::PAGE_SIZE << order_) - header_) / size_ < 8 && order_ < pmm::MAX_ORDER) order_++;
  capacity_ = ((arch::PAGE_SIZE << order_) - header_) / size_;
  if (capacity_ > MAX_SLOTS) capacity_ = MAX_SLOTS;
  next_ = first_;
  first_ = this;
}

Slab* SlabCache::new_slab() {
  auto frame = pmm::alloc(order_);
  if (frame.is_error()) return nullptr;
  Slab* s = arch::phys_to_virt<Slab>(frame.value());
  memset(s, 0, sizeof(Slab));
  s->magic = SLAB_MAGIC;
  s->cache = this;
  // No free list is built: fresh slots are handed out in order, so a new
  // slab costs the same whatever its capacity.
  slabs_++;
  heap_stats::slab_frames_add(1ull << order_);
  return s;
}

libk::Result<void*> SlabCache::alloc() {
  SpinGuard g(lock_);
  if (!partial_) {
    Slab* s = empty_;
    if (s) {  // the kept empty slab: no frame allocator round trip
      empty_ = nullptr;
      pmm::reclaimable_sub(size_t{1} << order_);
      slabs_++;
      heap_stats::slab_frames_add(size_t{1} << order_);
    } else {
      s = new_slab();
      if (!s) return libk::err(ERR_NO_MEMORY);
    }
    list_push(partial_, s);
  }
  Slab* s = partial_;
  void** obj;
  if (s->free_list) {
    obj = static_cast<void**>(s->free_list);
    s->free_list = *obj;
  } else {
    obj = reinterpret_cast<void**>(s->object(s->fresh++));
  }
  size_t slot = (reinterpret_cast<char*>(obj) - s->object(0)) / size_;
  s->live[slot / 64] |= 1ull << (slot % 64);
  s->in_use++;
  if (s->in_use == capacity_) {
    list_remove(partial_, s);
    list_push(full_, s);
  }
  live_++;
  heap_stats::bytes_add(size_);
  if (zero_) memset(obj, 0, size_);
  return static_cast<void*>(obj);
}

SlabCache* SlabCache::cache_of(const void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a < arch::DIRECT_MAP_BASE || a >= arch::DIRECT_MAP_BASE + arch::DIRECT_MAP_SIZE)
    return nullptr;
  uintptr_t pa = a - arch::DIRECT_MAP_BASE;
  // Try each possible slab size: the header sits at the block's start, and
  // says (magic, cache, order) whether the block really is a slab of that size.
  for (unsigned order = 0; order <= pmm::MAX_ORDER; order++) {
    uintptr_t block = pa & ~((arch::PAGE_SIZE << order) - 1);
    if (!pmm::is_ram(block)) return nullptr;
    Slab* s = arch::phys_to_virt<Slab>(block);
    if (s->magic == SLAB_MAGIC && s->cache && s->cache->order_ == order) return s->cache;
  }
  return nullptr;
}

bool SlabCache::owns_live(const void* p) {
  SpinGuard g(lock_);
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uintptr_t block_size = arch::PAGE_SIZE << order_;
  Slab* s = reinterpret_cast<Slab*>(a & ~(block_size - 1));
  if (s->magic != SLAB_MAGIC || s->cache != this) return false;
  uintptr_t first = reinterpret_cast<uintptr_t>(s->object(0));
  if (a < first || (a - first) % size_ || (a - first) / size_ >= capacity_) return false;
  size_t slot = (a - first) / size_;
  return s->live[slot / 64] & (1ull << (slot % 64));
}

libk::Result<void> SlabCache::free(void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a < arch::DIRECT_MAP_BASE || a >= arch::DIRECT_MAP_BASE + arch::DIRECT_MAP_SIZE)
    return libk::err(ERR_INVALID_ARGS);
  // The block must be RAM (so its header is mapped) and its header must
  // name this cache before anything else in it is trusted.
  uintptr_t block_pa = (a - arch::DIRECT_MAP_BASE) & ~((arch::PAGE_SIZE << order_) - 1);
  if (!pmm::is_ram(block_pa)) return libk::err(ERR_INVALID_ARGS);
  SpinGuard g(lock_);
  Slab* s = arch::phys_to_virt<Slab>(block_pa);
  if (s->magic != SLAB_MAGIC || s->cache != this) return libk::err(ERR_INVALID_ARGS);
  uintptr_t first = reinterpret_cast<uintptr_t>(s->object(0));
  if (a < first || (a - first) % size_ || (a - first) / size_ >= capacity_)
    return libk::err(ERR_INVALID_ARGS);
  size_t slot = (a - first) / size_;
  uint64_t bit = 1ull << (slot % 64);
  if (!(s->live[slot / 64] & bit)) return libk::err(ERR_INVALID_ARGS);  // double free
  s->live[slot / 64] &= ~bit;
  bool was_full = s->in_use == capacity_;
  *static_cast<void**>(p) = s->free_list;
  s->free_list = p;
  s->in_use--;
  live_--;
  heap_stats::bytes_sub(size_);
  if (was_full) {
    list_remove(full_, s);
    list_push(partial_, s);
  }
  if (s->in_use == 0) {
    list_remove(partial_, s);
    slabs_--;
    heap_stats::slab_frames_sub(1ull << order_);
    if (!empty_) {
      // Keep one empty slab, so a cache that goes empty and back (one
      // message sent and read) costs no frame allocator round trip. Its
      // frames count as free: reclaim() gives them back on demand.
      s->free_list = nullptr;
      s->fresh = 0;
      empty_ = s;
      pmm::reclaimable_add(size_t{1} << order_);
    } else {
      s->magic = 0;
      if (pmm::free(block_pa, order_).is_error()) panic("slab %s: cannot free its block", name_);
    }
  }
  return libk::ok();
}

void SlabCache::panic_bad_free(const void* p) {
  panic("slab %s: destroy of %p, which is not a live object of this cache", name_, p);
}

size_t SlabCache::release_empty() {
  if (!lock_.try_lock()) return 0;  // busy (maybe our own caller): skip it
  Slab* s = empty_;
  empty_ = nullptr;
  lock_.unlock();
  if (!s) return 0;
  s->magic = 0;
  pmm::reclaimable_sub(size_t{1} << order_);
  if (pmm::free(arch::virt_to_phys(s), order_).is_error()) panic("slab %s: bad empty slab", name_);
  return size_t{1} << order_;
}

size_t SlabCache::reclaim_all() {
  size_t n = 0;
  for (SlabCache* c = first_; c; c = c->next_) n += c->release_empty();
  return n;
}

void SlabCache::for_each_live(void (*fn)(void*, SlabCache&, void*), void* ctx) {
  for (Slab* list : {partial_, full_}) {
    for (Slab* s = list; s; s = s->next) {
      for (size_t i = 0; i < capacity_; i++)
        if (s->live[i / 64] & (1ull << (i % 64))) fn(ctx, *this, s->object(i));
    }
  }
}
