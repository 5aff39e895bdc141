// Host tests of libk::SlabAllocator and libk::FrameRecords: what a block is
// comes from the out-of-band records, and no object contents (forged slab
// headers, real cache addresses, list pointers) change a lookup or a free.
//
// The "kernel" here is an arena of 4 KiB frames with a FrameRecords table, a
// bump-and-free-list block allocator as the slab backing, and a lookup that
// does what the kernel's kfree does: record -> slab head -> owning cache.
#include <doctest/doctest.h>
#include <libk/frame_record.h>
#include <libk/slab.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "expect_assert.h"

using libk::FrameRecord;
using libk::FrameRecords;
using libk::FrameUse;
using libk::SlabAllocator;

namespace {
constexpr size_t kFrame = 4096;

// Frames of RAM with their records, and blocks handed out naturally aligned.
struct Arena final : libk::SlabBacking {
  static constexpr size_t kFrames = 1024;
  uint8_t* base;
  std::vector<uint64_t> record_words;
  FrameRecords records;
  std::vector<bool> taken;
  size_t kept = 0, blocks = 0;
  int fail_after = -1;  // alloc_block fails when this reaches 0

  Arena() : record_words(kFrames), taken(kFrames, false) {
    base = static_cast<uint8_t*>(aligned_alloc(kFrame << 10, kFrames * kFrame));
    records.init(record_words.data(), kFrames);
  }
  ~Arena() { free(base); }

  libk::Result<void*> alloc_block(unsigned order) override {
    if (fail_after == 0) return libk::err(ERR_NO_MEMORY);
    if (fail_after > 0) fail_after--;
    size_t n = size_t{1} << order;
    for (size_t i = 0; i + n <= kFrames; i += n) {
      bool free_run = true;
      for (size_t k = 0; k < n; k++) free_run &= !taken[i + k];
      if (!free_run) continue;
      for (size_t k = 0; k < n; k++) taken[i + k] = true;
      uint8_t* block = base + i * kFrame;
      memset(block, 0xcc, n * kFrame);  // dirty, as recycled frames are
      records.mark(i, order, FrameUse::Slab, reinterpret_cast<uintptr_t>(block));
      blocks++;
      return static_cast<void*>(block);
    }
    return libk::err(ERR_NO_MEMORY);
  }
  void free_block(void* block, unsigned order) override {
    size_t i = index_of(block);
    REQUIRE(records.get(i).use == FrameUse::Slab);
    for (size_t k = 0; k < (size_t{1} << order); k++) taken[i + k] = false;
    records.clear(i, order);
    blocks--;
  }
  void kept_empty(unsigned, bool k) override { kept += k ? 1 : -1; }

  size_t index_of(const void* p) const {
    return static_cast<size_t>(static_cast<const uint8_t*>(p) - base) / kFrame;
  }
  // The kernel's kfree lookup: the record of p's frame, then the slab head.
  SlabAllocator* cache_of(const void* p) const {
    FrameRecord r = records.get(index_of(p));
    if (r.use != FrameUse::Slab) return nullptr;
    return SlabAllocator::owner_of_block(reinterpret_cast<void*>(r.head));
  }
  void* block_of(const void* p) const {
    return reinterpret_cast<void*>(records.get(index_of(p)).head);
  }
};

// Write forged slab headers over an object: the magic, `fake` as the cache,
// list pointers into it, every slot marked live, starting at `offset`.
void forge(void* obj, size_t size, size_t offset, const void* fake) {
  auto* b = static_cast<uint8_t*>(obj);
  for (size_t at = offset; at + sizeof(libk::Slab) <= size; at += sizeof(libk::Slab)) {
    libk::Slab h;
    memset(&h, 0xff, sizeof(h));
    h.magic = libk::Slab::kMagic;
    h.in_use = 1;
    h.cache = static_cast<SlabAllocator*>(const_cast<void*>(fake));
    h.prev = h.next = static_cast<libk::Slab*>(const_cast<void*>(fake));
    h.free_list = const_cast<void*>(fake);
    memcpy(b + at, &h, sizeof(h));
  }
}
}  // namespace

TEST_CASE("frame records: every frame of a block names its head, use and order") {
  std::vector<uint64_t> words(64);
  FrameRecords r;
  r.init(words.data(), 64);
  r.mark(8, 3, FrameUse::Payload, 0x123000);
  for (size_t i = 8; i < 16; i++) {
    FrameRecord x = r.get(i);
    CHECK(x.use == FrameUse::Payload);
    CHECK(x.order == 3);
    CHECK(x.head == 0x123000);
  }
  CHECK(r.get(7).use == FrameUse::Free);
  CHECK(r.get(16).use == FrameUse::Free);
  CHECK(r.get(64).use == FrameUse::Count_);  // out of range is never "free"
  r.clear(8, 3);
  CHECK(r.get(9).use == FrameUse::Free);
  CHECK_LIBK_ASSERT("index < frames_", r.mark(60, 3, FrameUse::Slab, 0x1000));  // past the end
  CHECK_LIBK_ASSERT("head", r.mark(0, 0, FrameUse::Slab, 0x1001));              // unaligned
  CHECK_LIBK_ASSERT("FrameUse::Free", r.mark(0, 0, FrameUse::Free, 0x1000));    // not a use
}

TEST_CASE("slab: objects come and go, counts exact, a kept empty slab") {
  Arena arena;
  SlabAllocator cache("widgets", 48);
  std::vector<void*> objs;
  for (int i = 0; i < 500; i++) {
    auto r = cache.alloc(arena);
    REQUIRE(r.ok());
    objs.push_back(r.value());
  }
  CHECK(cache.live() == 500);
  for (void* p : objs) CHECK(arena.cache_of(p) == &cache);
  for (void* p : objs) {
    REQUIRE(cache.free_refusal(arena.block_of(p), p) == nullptr);
    cache.free(arena.block_of(p), p, arena);
  }
  CHECK(cache.live() == 0);
  CHECK(cache.slab_count() == 0);
  CHECK(arena.kept == 1);
  CHECK(arena.blocks == 1);  // only the kept one
  CHECK(cache.release_empty(arena) == (size_t{1} << cache.order()));
  CHECK(arena.blocks == 0);
  CHECK(arena.kept == 0);
}

TEST_CASE("slab: refusals name what is wrong and change nothing") {
  Arena arena;
  SlabAllocator a("a", 64), b("b", 64);
  void* x = a.alloc(arena).value();
  void* y = b.alloc(arena).value();
  CHECK(a.free_refusal(arena.block_of(x), static_cast<char*>(x) + 8) != nullptr);  // interior
  CHECK(a.free_refusal(arena.block_of(y), y) != nullptr);                          // b's object
  CHECK(a.free_refusal(arena.block_of(x), x) == nullptr);
  a.free(arena.block_of(x), x, arena);
  CHECK(a.free_refusal(arena.block_of(x), x) != nullptr);  // double free
  CHECK(a.live() == 0);
  CHECK(b.live() == 1);
  CHECK_LIBK_ASSERT("found", a.free(arena.block_of(x), x, arena));  // the core refuses too
  b.free(arena.block_of(y), y, arena);
}

// The regression for the kernel panic and the silent frame leak: objects
// whose bytes imitate slab headers at every 8-byte offset, naming real
// caches, in every size class a message payload used to come from.
TEST_CASE("slab: forged headers inside objects are just bytes") {
  for (size_t size : {256u, 512u, 1024u, 2048u}) {
    CAPTURE(size);
    Arena arena;
    SlabAllocator victim("victim", size), other("other", 32);
    void* other_obj = other.alloc(arena).value();
    for (size_t offset = 0; offset < size; offset += 8) {
      CAPTURE(offset);
      std::vector<void*> objs;
      for (int i = 0; i < 24; i++) objs.push_back(victim.alloc(arena).value());
      for (size_t i = 0; i < objs.size(); i++)
        forge(objs[i], size, offset, i % 2 ? static_cast<void*>(&other) : &victim);
      for (void* p : objs) {
        REQUIRE(arena.cache_of(p) == &victim);
        REQUIRE(arena.cache_of(static_cast<char*>(p) + size - 1) == &victim);
        REQUIRE(victim.free_refusal(arena.block_of(p), p) == nullptr);
      }
      for (void* p : objs) victim.free(arena.block_of(p), p, arena);
      REQUIRE(victim.live() == 0);
    }
    CHECK(other.live() == 1);
    CHECK(other.free_refusal(arena.block_of(other_obj), other_obj) == nullptr);
    other.free(arena.block_of(other_obj), other_obj, arena);
    victim.release_empty(arena);
    other.release_empty(arena);
    CHECK(arena.blocks == 0);  // every frame came back: nothing was lost
  }
}

TEST_CASE("slab: a backing out of frames fails cleanly") {
  Arena arena;
  SlabAllocator cache("c", 1024);
  arena.fail_after = 1;
  std::vector<void*> objs;
  for (;;) {
    auto r = cache.alloc(arena);
    if (r.is_error()) {
      CHECK(r.error() == ERR_NO_MEMORY);
      break;
    }
    objs.push_back(r.value());
  }
  CHECK(objs.size() == cache.capacity());  // exactly one slab's worth
  for (void* p : objs) cache.free(arena.block_of(p), p, arena);
  cache.release_empty(arena);
  CHECK(arena.blocks == 0);
}
