// BuddyAllocator: a binary buddy allocator of page frames, by frame index.
//
// Concept. Frames are numbered 0 .. frame_count-1. A block of order k is 2^k
// frames starting at an index that is a multiple of 2^k (alignment is relative
// to index 0; the caller maps index 0 to whatever physical address it likes).
// The buddy of the order-k block at h is the block at h ^ 2^k; two free buddies
// of the same order always merge into one block of order k+1 (up to kMaxOrder).
// alloc() takes the smallest free block big enough and splits it; free()
// merges repeatedly with the buddy. Both are O(kMaxOrder).
//
// The allocator never touches the frames it manages. All bookkeeping lives in
// a caller-supplied metadata array with one 12-byte record per frame:
//   - the head frame of every block (free or allocated) records the block's
//     order and whether it is free or allocated;
//   - every other frame of a block is "interior";
//   - frames never donated are "reserved" and are never part of any block.
// Free blocks of order k sit on a doubly linked list linked by 32-bit frame
// index, so a buddy can be unlinked in O(1) when it merges.
//
// Invariants (verified by check_invariants()):
//   - every free/allocated block is aligned to its order, lies inside
//     [0, frame_count), covers only donated frames, and no two blocks overlap;
//   - free list k holds exactly the free heads of order k, doubly linked;
//   - no two free buddies of the same order below kMaxOrder coexist;
//   - frames_total() == frames donated, frames_free() == frames in free
//     blocks, free_blocks(k) == length of free list k.
//
// Limits: frame indices are 32-bit, so frame_count <= kMaxFrames
// (2^32 - 1 frames, i.e. just under 16 TiB of 4 KiB frames); init() checks it.
// Not thread-safe: the caller holds the lock.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

class BuddyAllocator {
 public:
  static constexpr unsigned kMaxOrder = 10;          // blocks of 2^0 .. 2^10 frames
  static constexpr size_t kMaxFrames = 0xFFFFFFFFu;  // index 0xFFFFFFFF is "nil"

  // Bytes of metadata needed to manage `frame_count` frames, and the
  // alignment the metadata pointer must have.
  static size_t metadata_bytes(size_t frame_count);
  static constexpr size_t kMetadataAlign = 4;

  // An allocator that manages no frames until init(). Constant-initialized,
  // so it can be a global.
  constexpr BuddyAllocator() {
    for (auto& h : head_) h = kNil;
  }

  // Manage frames [0, frame_count). `meta` points to at least
  // metadata_bytes(frame_count) bytes aligned to kMetadataAlign; it must
  // outlive the allocator. Every frame starts reserved (not free, not counted).
  // ERR_OUT_OF_RANGE if frame_count > kMaxFrames; ERR_INVALID_ARGS if meta is
  // null (with frame_count > 0) or misaligned. On error the allocator manages
  // no frames (every later call fails cleanly).
  Result<void> init(void* meta, size_t frame_count);

  // Donate frames [first, first+count) as usable RAM: they become free, are
  // counted in frames_total()/frames_free(), and merge with free neighbours
  // into the largest aligned blocks. count == 0 is a no-op. A range that is
  // out of bounds or contains any frame that is not reserved (already donated)
  // returns ERR_INVALID_ARGS and changes nothing. O(count).
  Result<void> add_free_range(size_t first, size_t count);

  // Allocate a naturally aligned block of 2^order frames and return the index
  // of its first frame. ERR_INVALID_ARGS if order > kMaxOrder; ERR_NO_MEMORY
  // if no free block of that order or larger exists (nothing changes).
  Result<size_t> alloc(unsigned order);

  // Free a block returned by alloc(order). ERR_INVALID_ARGS, changing nothing,
  // if index is out of range or is not the head of an allocated block
  // (interior frame, free block, double free, reserved frame) or if order is
  // not the order it was allocated with.
  Result<void> free(size_t index, unsigned order);

  size_t frame_count() const { return frame_count_; }
  size_t frames_total() const { return total_; }  // frames donated
  size_t frames_free() const { return free_; }    // frames in free blocks
  size_t free_blocks(unsigned order) const {      // free blocks of this order
    return order <= kMaxOrder ? nfree_[order] : 0;
  }

  // Walk all metadata and verify every invariant listed above. Robust against
  // arbitrary corrupt metadata: never reads outside the array, never loops.
  bool check_invariants() const;

  // Call fn(index, order) for every allocated block, in increasing index order.
  template <typename F>
  void for_each_allocated(F&& fn) const;

  // True if index is the head of an allocated block; stores its order.
  bool is_allocated_head(size_t index, unsigned* order_out = nullptr) const;

 private:
  enum State : uint8_t { kReserved = 0, kInterior = 1, kFreeHead = 2, kAllocHead = 3 };
  static constexpr uint32_t kNil = 0xFFFFFFFFu;

  struct Frame {
    uint32_t next;  // free list links (valid only for kFreeHead)
    uint32_t prev;
    uint8_t order;  // block order (valid only for heads)
    uint8_t state;  // State
  };

  void push(size_t index, unsigned order);
  void unlink(size_t index, unsigned order);
  // Make [index, index+2^order) (all frames interior or the head) a free block
  // and merge it with its buddies as far as possible.
  void release(size_t index, unsigned order);

  Frame* meta_ = nullptr;
  size_t frame_count_ = 0;
  size_t total_ = 0;
  size_t free_ = 0;
  uint32_t head_[kMaxOrder + 1] = {};  // free list heads (kNil = empty)
  size_t nfree_[kMaxOrder + 1] = {};
};

template <typename F>
void BuddyAllocator::for_each_allocated(F&& fn) const {
  size_t i = 0;
  while (i < frame_count_) {
    const Frame& f = meta_[i];
    if ((f.state == kFreeHead || f.state == kAllocHead) && f.order <= kMaxOrder) {
      if (f.state == kAllocHead) fn(i, static_cast<unsigned>(f.order));
      i += size_t{1} << f.order;
    } else {
      ++i;  // reserved (interior frames are reached only if metadata is corrupt)
    }
  }
}

}  // namespace libk
