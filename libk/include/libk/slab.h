// SlabAllocator: fixed-size objects carved from blocks of whole frames.
//
// Each slab is one block of 2^order frames (order chosen so at least 8
// objects fit), with a header in front of object 0 holding the free list
// and a bitmap of live slots. The header is written only by this code and
// no object overlaps it; but nothing ever *finds* a header by looking at
// memory: the caller says which slab an address belongs to, from
// out-of-band frame records (libk/frame_record.h), so the bytes of any
// object (user-shaped message payloads above all) take no part in deciding
// what a block is.
//
// A free is checked against the bitmap before anything changes:
// free_refusal() names what is wrong with a pointer that is not a live
// object of this cache (interior pointer, double free, another cache's
// slab), and the kernel panics with that reason and the address.
//
// One empty slab is kept for reuse (its frames count as free for the
// backing), so a cache that goes empty and back costs no frame round trip;
// release_empty() gives it back when frames run short. Not thread-safe: the
// kernel's SlabCache holds a lock around every call.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

struct Slab;

// Where slab blocks come from. The kernel's backing is the frame allocator,
// which records each block as FrameUse::Slab with its head; a host test's is
// an arena with its own FrameRecords.
class SlabBacking {
 public:
  // 2^order frames, 4 KiB aligned; not zeroed.
  virtual Result<void*> alloc_block(unsigned order) = 0;
  virtual void free_block(void* block, unsigned order) = 0;
  // An empty slab was kept for reuse (kept) or taken back into use or given
  // back (!kept): its frames count as free meanwhile.
  virtual void kept_empty(unsigned order, bool kept) = 0;

 protected:
  ~SlabBacking() = default;
};

class SlabAllocator {
 public:
  static constexpr size_t kMaxSlots = 512;
  static constexpr size_t kFrameSize = 4096;
  static constexpr unsigned kMaxOrder = 10;

  // zero: hand out zeroed memory (typed caches construct instead).
  SlabAllocator(const char* name, size_t object_size, size_t align = 16, bool zero = true);
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  Result<void*> alloc(SlabBacking& backing);
  // The cache whose header starts the block at `block` (as frame records
  // name it); null if the block holds no live slab header.
  static SlabAllocator* owner_of_block(const void* block);
  // Why freeing p, inside the slab block starting at `block`, would be
  // wrong; nullptr when p is a live object of this cache.
  const char* free_refusal(const void* block, const void* p) const;
  // Free a live object (free_refusal() said nullptr for it).
  void free(void* block, void* p, SlabBacking& backing);
  // Is the block at `block` a slab of this cache (holding objects, or kept empty)?
  bool owns_block(const void* block) const;
  // Visit every slab block of this cache (holding objects, or kept empty).
  template <typename F>
  void for_each_block(F&& fn) const;
  // Give the kept empty slab back to the backing; the frames released.
  size_t release_empty(SlabBacking& backing);

  // Visit every live object (leak checks).
  template <typename F>
  void for_each_live(F&& fn);

  const char* name() const { return name_; }
  size_t object_size() const { return size_; }
  unsigned order() const { return order_; }
  size_t capacity() const { return capacity_; }
  size_t live() const { return live_; }
  size_t slab_count() const { return slabs_; }  // slabs holding objects
  size_t slab_frames() const { return slabs_ << order_; }

 private:
  friend struct Slab;
  static Slab* header(const void* block) { return static_cast<Slab*>(const_cast<void*>(block)); }
  char* object(Slab* s, size_t i) const;
  bool slot_of(const Slab* s, const void* p, size_t* slot) const;
  static void list_remove(Slab*& head, Slab* s);
  static void list_push(Slab*& head, Slab* s);
  template <typename F>
  void for_each_live_in(Slab* list, F& fn);

  const char* name_;
  bool zero_;
  size_t size_;      // object stride, aligned
  unsigned order_;   // slab block order
  size_t capacity_;  // objects per slab
  size_t header_;    // offset of object 0 in a slab
  size_t live_ = 0;
  size_t slabs_ = 0;
  Slab* partial_ = nullptr;  // slabs with at least one free slot (doubly linked)
  Slab* full_ = nullptr;     // slabs with none
  Slab* empty_ = nullptr;    // at most one empty slab kept for reuse
};

// The header at the front of every slab block.
struct Slab {
  static constexpr uint32_t kMagic = 0x51ab51ab;  // a consistency check, never a lookup
  uint32_t magic;
  uint32_t in_use;
  SlabAllocator* cache;
  Slab* prev;
  Slab* next;
  void* free_list;                               // singly linked through freed objects
  uint32_t fresh;                                // slots [fresh, capacity) were never handed out
  uint64_t live[SlabAllocator::kMaxSlots / 64];  // bit i set: slot i is allocated
};

template <typename F>
void SlabAllocator::for_each_block(F&& fn) const {
  for (Slab* list : {partial_, full_})
    for (Slab* s = list; s; s = s->next) fn(static_cast<void*>(s));
  if (empty_) fn(static_cast<void*>(empty_));
}

template <typename F>
void SlabAllocator::for_each_live_in(Slab* list, F& fn) {
  for (Slab* s = list; s; s = s->next)
    for (size_t i = 0; i < capacity_; i++)
      if (s->live[i / 64] & (uint64_t{1} << (i % 64))) fn(static_cast<void*>(object(s, i)));
}

template <typename F>
void SlabAllocator::for_each_live(F&& fn) {
  for_each_live_in(partial_, fn);
  for_each_live_in(full_, fn);
}

}  // namespace libk
