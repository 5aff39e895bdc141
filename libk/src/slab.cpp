// SlabAllocator: see libk/slab.h.
#include <libk/slab.h>
#include <libk/string.h>

namespace libk {

SlabAllocator::SlabAllocator(const char* name, size_t object_size, size_t align, bool zero)
    : name_(name), zero_(zero) {
  if (align < 16) align = 16;
  size_ = (object_size + align - 1) & ~(align - 1);
  header_ = (sizeof(Slab) + align - 1) & ~(align - 1);
  order_ = 0;
  while (((kFrameSize << order_) - header_) / size_ < 8 && order_ < kMaxOrder) order_++;
  capacity_ = ((kFrameSize << order_) - header_) / size_;
  if (capacity_ > kMaxSlots) capacity_ = kMaxSlots;
}

char* SlabAllocator::object(Slab* s, size_t i) const {
  return reinterpret_cast<char*>(s) + header_ + i * size_;
}

void SlabAllocator::list_remove(Slab*& head, Slab* s) {
  if (s->prev)
    s->prev->next = s->next;
  else
    head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}

void SlabAllocator::list_push(Slab*& head, Slab* s) {
  s->prev = nullptr;
  s->next = head;
  if (head) head->prev = s;
  head = s;
}

Result<void*> SlabAllocator::alloc(SlabBacking& backing) {
  if (!partial_) {
    Slab* s = empty_;
    if (s) {  // the kept empty slab: no frame round trip
      empty_ = nullptr;
      backing.kept_empty(order_, false);
    } else {
      s = static_cast<Slab*>(TRY(backing.alloc_block(order_)));
      memset(s, 0, sizeof(Slab));
      s->magic = Slab::kMagic;
      s->cache = this;
      // No free list is built: fresh slots are handed out in order, so a new
      // slab costs the same whatever its capacity.
    }
    slabs_++;
    list_push(partial_, s);
  }
  Slab* s = partial_;
  void** obj;
  if (s->free_list) {
    obj = static_cast<void**>(s->free_list);
    s->free_list = *obj;
  } else {
    obj = reinterpret_cast<void**>(object(s, s->fresh++));
  }
  size_t slot = static_cast<size_t>(reinterpret_cast<char*>(obj) - object(s, 0)) / size_;
  s->live[slot / 64] |= uint64_t{1} << (slot % 64);
  s->in_use++;
  if (s->in_use == capacity_) {
    list_remove(partial_, s);
    list_push(full_, s);
  }
  live_++;
  if (zero_) memset(obj, 0, size_);
  return static_cast<void*>(obj);
}

SlabAllocator* SlabAllocator::owner_of_block(const void* block) {
  const Slab* s = header(block);
  return s->magic == Slab::kMagic ? s->cache : nullptr;
}

bool SlabAllocator::slot_of(const Slab* s, const void* p, size_t* slot) const {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uintptr_t first = reinterpret_cast<uintptr_t>(s) + header_;
  if (a < first || (a - first) % size_ || (a - first) / size_ >= capacity_) return false;
  *slot = (a - first) / size_;
  return true;
}

const char* SlabAllocator::free_refusal(const void* block, const void* p) const {
  const Slab* s = header(block);
  if (s->magic != Slab::kMagic) return "its block holds no slab header";
  if (s->cache != this) return "it belongs to another cache";
  size_t slot;
  if (!slot_of(s, p, &slot)) return "it is not the start of an object";
  if (!(s->live[slot / 64] & (uint64_t{1} << (slot % 64))))
    return "it is not allocated (a double free?)";
  return nullptr;
}

void SlabAllocator::free(void* block, void* p, SlabBacking& backing) {
  Slab* s = header(block);
  size_t slot = 0;
  bool found = slot_of(s, p, &slot);
  uint64_t bit = uint64_t{1} << (slot % 64);
  LIBK_ASSERT(found && s->cache == this && (s->live[slot / 64] & bit));
  s->live[slot / 64] &= ~bit;
  bool was_full = s->in_use == capacity_;
  *static_cast<void**>(p) = s->free_list;
  s->free_list = p;
  s->in_use--;
  live_--;
  if (was_full) {
    list_remove(full_, s);
    list_push(partial_, s);
  }
  if (s->in_use != 0) return;
  list_remove(partial_, s);
  slabs_--;
  if (!empty_) {
    // Keep one empty slab, so a cache that goes empty and back (one message
    // sent and read) costs no frame round trip.
    s->free_list = nullptr;
    s->fresh = 0;
    empty_ = s;
    backing.kept_empty(order_, true);
  } else {
    s->magic = 0;
    backing.free_block(s, order_);
  }
}

bool SlabAllocator::owns_block(const void* block) const {
  if (block == empty_) return block != nullptr;
  for (Slab* list : {partial_, full_})
    for (Slab* s = list; s; s = s->next)
      if (s == block) return true;
  return false;
}

size_t SlabAllocator::release_empty(SlabBacking& backing) {
  Slab* s = empty_;
  if (!s) return 0;
  empty_ = nullptr;
  s->magic = 0;
  backing.kept_empty(order_, false);
  backing.free_block(s, order_);
  return size_t{1} << order_;
}

}  // namespace libk
