// BuddyAllocator: see libk/buddy.h for the concept and the invariants.
#include <libk/buddy.h>

#include <new>

namespace libk {

static_assert(sizeof(uint32_t) == 4);

size_t BuddyAllocator::metadata_bytes(size_t frame_count) {
  static_assert(alignof(Frame) <= kMetadataAlign);
  static_assert(sizeof(Frame) == 12);
  if (frame_count > SIZE_MAX / sizeof(Frame)) return SIZE_MAX;
  return frame_count * sizeof(Frame);
}

Result<void> BuddyAllocator::init(void* meta, size_t frame_count) {
  // Start from "manages nothing" so that a failed init leaves a safe object.
  meta_ = nullptr;
  frame_count_ = 0;
  total_ = 0;
  free_ = 0;
  for (unsigned k = 0; k <= kMaxOrder; ++k) {
    head_[k] = kNil;
    nfree_[k] = 0;
  }
  if (frame_count > kMaxFrames) return err(ERR_OUT_OF_RANGE);
  if (frame_count == 0) return ok();
  if (meta == nullptr || reinterpret_cast<uintptr_t>(meta) % kMetadataAlign != 0)
    return err(ERR_INVALID_ARGS);

  Frame* frames = static_cast<Frame*>(meta);
  for (size_t i = 0; i < frame_count; ++i) new (&frames[i]) Frame{kNil, kNil, 0, kReserved};
  meta_ = frames;
  frame_count_ = frame_count;
  return ok();
}

void BuddyAllocator::push(size_t index, unsigned order) {
  Frame& f = meta_[index];
  f.prev = kNil;
  f.next = head_[order];
  if (f.next != kNil) meta_[f.next].prev = static_cast<uint32_t>(index);
  head_[order] = static_cast<uint32_t>(index);
  ++nfree_[order];
}

void BuddyAllocator::unlink(size_t index, unsigned order) {
  Frame& f = meta_[index];
  if (f.prev == kNil)
    head_[order] = f.next;
  else
    meta_[f.prev].next = f.next;
  if (f.next != kNil) meta_[f.next].prev = f.prev;
  f.next = f.prev = kNil;
  --nfree_[order];
}

void BuddyAllocator::release(size_t index, unsigned order) {
  free_ += size_t{1} << order;
  while (order < kMaxOrder) {
    size_t buddy = index ^ (size_t{1} << order);
    if (buddy >= frame_count_) break;
    const Frame& b = meta_[buddy];
    if (b.state != kFreeHead || b.order != order) break;
    unlink(buddy, order);
    // The merged block starts at the lower of the two; the upper head becomes
    // an interior frame of it.
    if (buddy < index) {
      meta_[index].state = kInterior;
      index = buddy;
    } else {
      meta_[buddy].state = kInterior;
    }
    ++order;
  }
  meta_[index].state = kFreeHead;
  meta_[index].order = static_cast<uint8_t>(order);
  push(index, order);
}

Result<void> BuddyAllocator::add_free_range(size_t first, size_t count) {
  if (first > frame_count_ || count > frame_count_ - first) return err(ERR_INVALID_ARGS);
  const size_t end = first + count;
  for (size_t i = first; i < end; ++i)
    if (meta_[i].state != kReserved) return err(ERR_INVALID_ARGS);

  for (size_t i = first; i < end; ++i) meta_[i].state = kInterior;
  // Cut the range into the largest aligned blocks it contains; release()
  // merges each with free neighbours (including earlier donations).
  size_t i = first;
  while (i < end) {
    unsigned k = kMaxOrder;
    while (k > 0 && ((i & ((size_t{1} << k) - 1)) != 0 || end - i < (size_t{1} << k))) --k;
    release(i, k);
    i += size_t{1} << k;
  }
  total_ += count;
  return ok();
}

Result<size_t> BuddyAllocator::alloc(unsigned order) {
  if (order > kMaxOrder) return err(ERR_INVALID_ARGS);
  unsigned k = order;
  while (k <= kMaxOrder && head_[k] == kNil) ++k;
  if (k > kMaxOrder) return err(ERR_NO_MEMORY);

  size_t index = head_[k];
  unlink(index, k);
  // Split: keep the lower half, put the upper half on the next list down.
  while (k > order) {
    --k;
    size_t upper = index + (size_t{1} << k);
    meta_[upper].state = kFreeHead;
    meta_[upper].order = static_cast<uint8_t>(k);
    push(upper, k);
  }
  meta_[index].state = kAllocHead;
  meta_[index].order = static_cast<uint8_t>(order);
  free_ -= size_t{1} << order;
  return index;
}

Result<void> BuddyAllocator::free(size_t index, unsigned order) {
  if (index >= frame_count_ || order > kMaxOrder) return err(ERR_INVALID_ARGS);
  const Frame& f = meta_[index];
  if (f.state != kAllocHead || f.order != order) return err(ERR_INVALID_ARGS);
  release(index, order);
  return ok();
}

bool BuddyAllocator::is_allocated_head(size_t index, unsigned* order_out) const {
  if (index >= frame_count_) return false;
  const Frame& f = meta_[index];
  if (f.state != kAllocHead) return false;
  if (order_out) *order_out = f.order;
  return true;
}

bool BuddyAllocator::check_invariants() const {
  if (meta_ == nullptr) {
    if (frame_count_ != 0 || total_ != 0 || free_ != 0) return false;
    for (unsigned k = 0; k <= kMaxOrder; ++k)
      if (head_[k] != kNil || nfree_[k] != 0) return false;
    return true;
  }
  if (total_ > frame_count_ || free_ > total_) return false;

  // 1. Each free list: in range, free heads of the right order, prev links
  //    mirror next links (which also rules out cycles), length == nfree_.
  for (unsigned k = 0; k <= kMaxOrder; ++k) {
    size_t n = 0;
    uint32_t prev = kNil;
    for (uint32_t i = head_[k]; i != kNil; i = meta_[i].next) {
      if (i >= frame_count_ || n >= frame_count_) return false;
      const Frame& f = meta_[i];
      if (f.state != kFreeHead || f.order != k || f.prev != prev) return false;
      prev = i;
      ++n;
    }
    if (n != nfree_[k]) return false;
  }

  // 2. Linear walk: the frames partition into reserved frames and blocks,
  //    each block a head followed by only interior frames, aligned and in
  //    range. Count what is found and compare with the counters.
  size_t total = 0, free_frames = 0;
  size_t heads[kMaxOrder + 1] = {};
  size_t i = 0;
  while (i < frame_count_) {
    const Frame& f = meta_[i];
    if (f.state == kReserved) {
      ++i;
      continue;
    }
    if (f.state != kFreeHead && f.state != kAllocHead) return false;  // orphan interior
    if (f.order > kMaxOrder) return false;
    const unsigned k = f.order;
    const size_t size = size_t{1} << k;
    if ((i & (size - 1)) != 0 || size > frame_count_ - i) return false;
    for (size_t j = i + 1; j < i + size; ++j)
      if (meta_[j].state != kInterior) return false;
    total += size;
    if (f.state == kFreeHead) {
      free_frames += size;
      ++heads[k];
      if (k < kMaxOrder) {  // a free buddy of the same order should have merged
        size_t b = i ^ size;
        if (b < frame_count_ && meta_[b].state == kFreeHead && meta_[b].order == k) return false;
      }
    }
    i += size;
  }
  if (total != total_ || free_frames != free_) return false;
  for (unsigned k = 0; k <= kMaxOrder; ++k)
    if (heads[k] != nfree_[k]) return false;
  return true;
}

}  // namespace libk
