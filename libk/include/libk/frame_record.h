// FrameRecords: what every page frame is, kept out of band.
//
// The kernel never decides what a block of memory is from bytes inside it:
// object contents (message payloads above all) are user-shaped. Instead the
// frame allocator keeps one 8-byte record per frame, beside its buddy
// metadata, written only when a block is handed out or taken back:
//
//   bits 0..3   FrameUse: what the block is for (Free when not allocated)
//   bits 4..7   order of the block the frame belongs to
//   bits 12..63 address of the block's first byte (4 KiB aligned)
//
// Every frame of a block carries the same record, so any address inside a
// block leads to the block's head and use in one lookup: kfree() of a slab
// object finds its slab this way, and nothing a user can write takes part.
// The orphan audit walks the records to account for every allocated frame
// by owner.
#pragma once
#include <libk/assert.h>
#include <libk/atomic.h>
#include <stddef.h>
#include <stdint.h>

#include <new>

namespace libk {

enum class FrameUse : uint8_t {
  Free = 0,     // not allocated (in the buddy lists or a per-hart cache)
  Slab,         // a slab of some SlabCache (objects, kmalloc classes, payload classes)
  Heap,         // a large kmalloc block
  Payload,      // a message payload too big for the payload slabs
  PageTable,    // a page-table page of the kernel or of an address space
  KernelStack,  // a page of a task's kernel stack
  User,         // a page an address space maps and owns
  Test,         // taken by a kernel test (must be back when it ends)
  Count_,
};

constexpr const char* frame_use_name(FrameUse u) {
  switch (u) {
    case FrameUse::Free:
      return "free";
    case FrameUse::Slab:
      return "slab";
    case FrameUse::Heap:
      return "kmalloc block";
    case FrameUse::Payload:
      return "message payload";
    case FrameUse::PageTable:
      return "page table";
    case FrameUse::KernelStack:
      return "kernel stack";
    case FrameUse::User:
      return "user page";
    case FrameUse::Test:
      return "test";
    case FrameUse::Count_:
      break;
  }
  return "invalid";
}

struct FrameRecord {
  FrameUse use = FrameUse::Free;
  unsigned order = 0;
  uintptr_t head = 0;  // the block's first byte, in the owner's address space
};

class FrameRecords {
 public:
  static constexpr size_t kBytesPerFrame = 8;
  static constexpr size_t kFrameSize = 4096;
  static_assert(static_cast<unsigned>(FrameUse::Count_) <= 16, "the use must fit 4 bits");

  constexpr FrameRecords() = default;

  // Manage `frames` records in `mem` (kBytesPerFrame each, 8-byte aligned);
  // every frame starts Free.
  void init(void* mem, size_t frames) {
    words_ = static_cast<Atomic<uint64_t>*>(mem);
    frames_ = frames;
    for (size_t i = 0; i < frames; i++) new (&words_[i]) Atomic<uint64_t>(0);
  }

  // The block of 2^order frames starting at `index` is now `use`, its first
  // byte at `head` (4 KiB aligned).
  void mark(size_t index, unsigned order, FrameUse use, uintptr_t head) {
    LIBK_ASSERT(order < 16 && (head & (kFrameSize - 1)) == 0 && use != FrameUse::Free);
    LIBK_ASSERT(index < frames_ && (size_t{1} << order) <= frames_ - index);
    uint64_t w = head | (uint64_t{order} << 4) | static_cast<uint64_t>(use);
    for (size_t i = 0; i < (size_t{1} << order); i++) store(index + i, w);
  }

  // The block is free again.
  void clear(size_t index, unsigned order) {
    LIBK_ASSERT(index < frames_ && (size_t{1} << order) <= frames_ - index);
    for (size_t i = 0; i < (size_t{1} << order); i++) store(index + i, 0);
  }

  FrameRecord get(size_t index) const {
    if (index >= frames_) return FrameRecord{FrameUse::Count_, 0, 0};
    uint64_t w = words_[index].load(MemoryOrder::Relaxed);
    return FrameRecord{static_cast<FrameUse>(w & 15), static_cast<unsigned>((w >> 4) & 15),
                       static_cast<uintptr_t>(w & ~uint64_t{kFrameSize - 1})};
  }

  size_t frames() const { return frames_; }

 private:
  // Stores are atomic so that a lookup racing an allocation elsewhere reads
  // either the old record or the new one, never a torn mix.
  void store(size_t i, uint64_t w) { words_[i].store(w, MemoryOrder::Relaxed); }

  Atomic<uint64_t>* words_ = nullptr;
  size_t frames_ = 0;
};

}  // namespace libk
