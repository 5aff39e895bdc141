// Host tests of libk::BuddyAllocator on abstract frame indices.
//
// The allocator's results are checked against an independent model: a plain
// per-frame ownership array (who holds each frame) and a brute-force
// computation of the canonical buddy decomposition of a set of free frames.
#include <doctest/doctest.h>
#include <libk/buddy.h>
#include <stdint.h>

#include <algorithm>
#include <memory>
#include <vector>

using libk::BuddyAllocator;
constexpr unsigned kMax = BuddyAllocator::kMaxOrder;

namespace {

// Deterministic PRNG (splitmix64): same sequence on every platform.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

// An allocator with its own metadata buffer.
struct Arena {
  std::vector<uint32_t> storage;  // uint32_t: satisfies kMetadataAlign
  BuddyAllocator a;
  size_t n;
  explicit Arena(size_t frames) : n(frames) {
    static_assert(alignof(uint32_t) >= BuddyAllocator::kMetadataAlign);
    storage.assign(BuddyAllocator::metadata_bytes(frames) / 4 + 1, 0xA5A5A5A5u);
    REQUIRE(a.init(storage.data(), frames).ok());
  }
  unsigned char* meta_bytes() { return reinterpret_cast<unsigned char*>(storage.data()); }
  size_t meta_size() const { return BuddyAllocator::metadata_bytes(n); }
};

using Blocks = std::vector<size_t>;  // free block count per order

Blocks snapshot(const BuddyAllocator& a) {
  Blocks b(kMax + 1);
  for (unsigned k = 0; k <= kMax; ++k) b[k] = a.free_blocks(k);
  return b;
}

// Canonical buddy decomposition of the free frames: greedily, from the
// largest order down, every aligned block lying entirely in free frames and
// not already covered is one free block.
Blocks expected_blocks(const std::vector<bool>& is_free) {
  const size_t n = is_free.size();
  std::vector<bool> covered(n, false);
  Blocks b(kMax + 1, 0);
  for (int k = kMax; k >= 0; --k) {
    const size_t size = size_t{1} << k;
    for (size_t s = 0; s + size <= n; s += size) {
      bool all = true;
      for (size_t j = s; j < s + size && all; ++j) all = is_free[j] && !covered[j];
      if (!all) continue;
      ++b[k];
      for (size_t j = s; j < s + size; ++j) covered[j] = true;
    }
  }
  return b;
}

size_t sum_frames(const Blocks& b) {
  size_t t = 0;
  for (unsigned k = 0; k <= kMax; ++k) t += b[k] << k;
  return t;
}

// 3000 frames, donated as [0, 1000) and [1300, 3000): a reserved hole
// [1000, 1300) in the middle (like a firmware or kernel image region).
constexpr size_t kFrames = 3000;
constexpr size_t kHoleFirst = 1000, kHoleEnd = 1300;

void donate_with_hole(BuddyAllocator& a) {
  REQUIRE(a.add_free_range(0, kHoleFirst).ok());
  REQUIRE(a.add_free_range(kHoleEnd, kFrames - kHoleEnd).ok());
}

std::vector<bool> donated_map_with_hole() {
  std::vector<bool> m(kFrames, true);
  for (size_t i = kHoleFirst; i < kHoleEnd; ++i) m[i] = false;
  return m;
}

}  // namespace

TEST_CASE("buddy: a fresh allocator owns nothing") {
  CHECK(BuddyAllocator::metadata_bytes(0) == 0);
  CHECK(BuddyAllocator::metadata_bytes(1000) == 1000 * 12);

  BuddyAllocator unused;  // never initialized: everything fails cleanly
  CHECK(unused.check_invariants());
  CHECK(unused.alloc(0).error() == ERR_NO_MEMORY);
  CHECK(unused.free(0, 0).error() == ERR_INVALID_ARGS);
  CHECK(unused.add_free_range(0, 1).error() == ERR_INVALID_ARGS);

  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  CHECK(a.frame_count() == kFrames);
  CHECK(a.frames_total() == 0);
  CHECK(a.frames_free() == 0);
  for (unsigned k = 0; k <= kMax; ++k) CHECK(a.free_blocks(k) == 0);
  CHECK(a.alloc(0).error() == ERR_NO_MEMORY);
  CHECK(!a.is_allocated_head(0));
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: init rejects bad metadata and too many frames") {
  BuddyAllocator a;
  alignas(8) static unsigned char buf[64 * 12 + 8];
  CHECK(a.init(buf + 1, 64).error() == ERR_INVALID_ARGS);
  CHECK(a.init(nullptr, 64).error() == ERR_INVALID_ARGS);
  // More than 2^32 - 1 frames cannot be indexed: refused before touching meta.
  CHECK(a.init(buf, BuddyAllocator::kMaxFrames + 1).error() == ERR_OUT_OF_RANGE);
  // A failed init leaves an allocator that manages nothing.
  CHECK(a.frame_count() == 0);
  CHECK(a.add_free_range(0, 1).error() == ERR_INVALID_ARGS);
  CHECK(a.alloc(0).error() == ERR_NO_MEMORY);
  CHECK(a.check_invariants());
  // And it can be initialized properly afterwards.
  REQUIRE(a.init(buf, 64).ok());
  REQUIRE(a.add_free_range(0, 64).ok());
  CHECK(a.free_blocks(6) == 1);
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: donation builds the largest aligned blocks") {
  SUBCASE("unaligned small range") {
    Arena ar(16);
    REQUIRE(ar.a.add_free_range(1, 7).ok());  // [1,8) = {1} + {2,3} + {4..7}
    CHECK(ar.a.frames_total() == 7);
    CHECK(ar.a.frames_free() == 7);
    CHECK(ar.a.free_blocks(0) == 1);
    CHECK(ar.a.free_blocks(1) == 1);
    CHECK(ar.a.free_blocks(2) == 1);
    CHECK(ar.a.free_blocks(3) == 0);
    CHECK(ar.a.check_invariants());
    // Donating frame 0 completes an aligned block of 8.
    REQUIRE(ar.a.add_free_range(0, 1).ok());
    CHECK(ar.a.free_blocks(0) == 0);
    CHECK(ar.a.free_blocks(1) == 0);
    CHECK(ar.a.free_blocks(2) == 0);
    CHECK(ar.a.free_blocks(3) == 1);
    CHECK(ar.a.frames_free() == 8);
    CHECK(ar.a.check_invariants());
  }
  SUBCASE("pieces donated separately merge up to max order") {
    Arena ar(4096);
    REQUIRE(ar.a.add_free_range(512, 512).ok());
    REQUIRE(ar.a.add_free_range(0, 300).ok());
    REQUIRE(ar.a.add_free_range(300, 212).ok());
    CHECK(ar.a.free_blocks(kMax) == 1);
    for (unsigned k = 0; k < kMax; ++k) CHECK(ar.a.free_blocks(k) == 0);
    CHECK(ar.a.frames_free() == 1024);
    CHECK(ar.a.check_invariants());
  }
  SUBCASE("aligned multiple of the max block") {
    Arena ar(5 * 1024 + 77);
    REQUIRE(ar.a.add_free_range(1024, 4 * 1024).ok());
    CHECK(ar.a.free_blocks(kMax) == 4);
    for (unsigned k = 0; k < kMax; ++k) CHECK(ar.a.free_blocks(k) == 0);
    CHECK(ar.a.check_invariants());
  }
  SUBCASE("arena with a hole matches the canonical decomposition") {
    Arena ar(kFrames);
    donate_with_hole(ar.a);
    const size_t donated = kFrames - (kHoleEnd - kHoleFirst);
    CHECK(ar.a.frames_total() == donated);
    CHECK(ar.a.frames_free() == donated);
    Blocks want = expected_blocks(donated_map_with_hole());
    CHECK(sum_frames(want) == donated);
    CHECK(snapshot(ar.a) == want);
    // Spot check by hand: no aligned 1024 block fits ([1024,2048) has the
    // hole, [2048,3072) passes the end); [0,512), [1536,2048) and [2048,2560)
    // are order 9 (the last two are not buddies: 1536 ^ 512 == 1024).
    CHECK(ar.a.free_blocks(kMax) == 0);
    CHECK(ar.a.free_blocks(9) == 3);
    CHECK(ar.a.check_invariants());
  }
}

TEST_CASE("buddy: blocks stay inside a non-power-of-two arena") {
  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  REQUIRE(a.add_free_range(0, kFrames).ok());
  // 3000 = 2048 + 512 + 256 + 128 + 32 + 16 + 8: two max-order blocks only.
  CHECK(a.free_blocks(kMax) == 2);
  std::vector<std::pair<size_t, unsigned>> got;
  for (int k = kMax; k >= 0; --k) {
    for (;;) {
      auto r = a.alloc(static_cast<unsigned>(k));
      if (r.is_error()) {
        CHECK(r.error() == ERR_NO_MEMORY);
        break;
      }
      const size_t idx = r.value();
      CHECK(idx % (size_t{1} << k) == 0);
      CHECK(idx + (size_t{1} << k) <= kFrames);
      got.push_back({idx, static_cast<unsigned>(k)});
      REQUIRE(a.check_invariants());
    }
  }
  CHECK(a.frames_free() == 0);
  size_t sum = 0;
  for (auto& [idx, k] : got) sum += size_t{1} << k;
  CHECK(sum == kFrames);
  CHECK(got.size() == 8);  // 2 * 1024 + 512 + 256 + 128 + 32 + 16 + 8
  for (auto& [idx, k] : got) REQUIRE(a.free(idx, k).ok());
  CHECK(a.free_blocks(kMax) == 2);
  CHECK(a.frames_free() == kFrames);
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: allocate every frame, free in random order, coalesce back") {
  for (uint64_t seed : {1ull, 2ull, 42ull, 0xDEADBEEFull, 12345678901ull}) {
    CAPTURE(seed);
    Arena ar(kFrames);
    BuddyAllocator& a = ar.a;
    donate_with_hole(a);
    const size_t donated = a.frames_total();
    const Blocks after_donation = snapshot(a);

    std::vector<bool> seen(kFrames, false);
    std::vector<size_t> held;
    for (;;) {
      auto r = a.alloc(0);
      if (r.is_error()) {
        CHECK(r.error() == ERR_NO_MEMORY);
        break;
      }
      const size_t idx = r.value();
      REQUIRE(idx < kFrames);
      REQUIRE(!(idx >= kHoleFirst && idx < kHoleEnd));  // never a reserved frame
      REQUIRE(!seen[idx]);                              // never handed out twice
      seen[idx] = true;
      held.push_back(idx);
      REQUIRE(held.size() <= donated);
    }
    CHECK(held.size() == donated);
    CHECK(a.frames_free() == 0);
    CHECK(a.frames_total() == donated);
    for (unsigned k = 0; k <= kMax; ++k) CHECK(a.free_blocks(k) == 0);
    CHECK(a.check_invariants());

    // Fisher-Yates shuffle with the seeded PRNG, then free.
    Rng rng(seed);
    for (size_t i = held.size(); i > 1; --i) std::swap(held[i - 1], held[rng.below(i)]);
    size_t freed = 0;
    for (size_t idx : held) {
      REQUIRE(a.free(idx, 0).ok());
      ++freed;
      REQUIRE(a.frames_free() == freed);
      if (freed % 97 == 0) REQUIRE(a.check_invariants());
    }
    CHECK(a.frames_free() == donated);
    CHECK(snapshot(a) == after_donation);
    CHECK(a.check_invariants());
  }
}

TEST_CASE("buddy: aligned arena coalesces to exactly N/1024 max blocks") {
  for (uint64_t seed : {7ull, 99ull, 2024ull}) {
    CAPTURE(seed);
    constexpr size_t N = 8 * 1024;
    Arena ar(N);
    BuddyAllocator& a = ar.a;
    REQUIRE(a.add_free_range(0, N).ok());
    CHECK(a.free_blocks(kMax) == N / 1024);

    std::vector<size_t> held;
    for (;;) {
      auto r = a.alloc(0);
      if (r.is_error()) break;
      held.push_back(r.value());
    }
    REQUIRE(held.size() == N);
    Rng rng(seed);
    for (size_t i = held.size(); i > 1; --i) std::swap(held[i - 1], held[rng.below(i)]);
    for (size_t idx : held) REQUIRE(a.free(idx, 0).ok());

    CHECK(a.free_blocks(kMax) == N / 1024);
    for (unsigned k = 0; k < kMax; ++k) CHECK(a.free_blocks(k) == 0);
    CHECK(a.frames_free() == N);
    CHECK(a.check_invariants());
    // And the max-order blocks are really there: 8 allocations of 1024 succeed.
    for (size_t i = 0; i < N / 1024; ++i) REQUIRE(a.alloc(kMax).ok());
    CHECK(a.alloc(0).error() == ERR_NO_MEMORY);
  }
}

TEST_CASE("buddy: mixed-order churn keeps every invariant") {
  for (uint64_t seed : {3ull, 17ull, 0xC0FFEEull}) {
    CAPTURE(seed);
    Arena ar(kFrames);
    BuddyAllocator& a = ar.a;
    donate_with_hole(a);
    const size_t donated = a.frames_total();
    const Blocks after_donation = snapshot(a);
    const std::vector<bool> donated_map = donated_map_with_hole();

    struct Live {
      size_t idx;
      unsigned order;
    };
    std::vector<Live> live;
    std::vector<bool> owned(kFrames, false);  // model: frames held by live blocks
    size_t held_frames = 0;
    Rng rng(seed);

    for (int op = 0; op < 6000; ++op) {
      const bool do_alloc = live.empty() || rng.below(100) < 55;
      if (do_alloc) {
        // Mostly small orders, sometimes large ones.
        unsigned order = rng.below(4) == 0 ? static_cast<unsigned>(rng.below(kMax + 1))
                                           : static_cast<unsigned>(rng.below(3));
        const Blocks before = snapshot(a);
        const size_t free_before = a.frames_free();
        auto r = a.alloc(order);
        if (r.is_error()) {
          REQUIRE(r.error() == ERR_NO_MEMORY);
          // Only allowed when no block of this order or larger is free.
          for (unsigned k = order; k <= kMax; ++k) REQUIRE(before[k] == 0);
          REQUIRE(a.frames_free() == free_before);
          REQUIRE(snapshot(a) == before);
        } else {
          const size_t idx = r.value();
          const size_t size = size_t{1} << order;
          REQUIRE(idx % size == 0);
          REQUIRE(idx + size <= kFrames);
          for (size_t j = idx; j < idx + size; ++j) {
            REQUIRE(donated_map[j]);  // never a reserved frame
            REQUIRE(!owned[j]);       // never overlaps a live block
            owned[j] = true;
          }
          unsigned got_order = 99;
          REQUIRE(a.is_allocated_head(idx, &got_order));
          REQUIRE(got_order == order);
          live.push_back({idx, order});
          held_frames += size;
        }
      } else {
        const size_t pick = rng.below(live.size());
        const Live l = live[pick];
        REQUIRE(a.free(l.idx, l.order).ok());
        for (size_t j = l.idx; j < l.idx + (size_t{1} << l.order); ++j) owned[j] = false;
        held_frames -= size_t{1} << l.order;
        live[pick] = live.back();
        live.pop_back();
        REQUIRE(!a.is_allocated_head(l.idx));
      }
      REQUIRE(a.check_invariants());
      REQUIRE(a.frames_total() == donated);
      REQUIRE(a.frames_free() == donated - held_frames);
    }

    // for_each_allocated reports exactly the live blocks.
    std::vector<std::pair<size_t, unsigned>> reported, expected;
    a.for_each_allocated([&](size_t idx, unsigned order) { reported.push_back({idx, order}); });
    for (auto& l : live) expected.push_back({l.idx, l.order});
    std::sort(expected.begin(), expected.end());
    CHECK(reported == expected);  // reported in increasing index order

    // The free blocks now are the canonical decomposition of the free frames.
    std::vector<bool> is_free(kFrames);
    for (size_t i = 0; i < kFrames; ++i) is_free[i] = donated_map[i] && !owned[i];
    CHECK(snapshot(a) == expected_blocks(is_free));

    for (auto& l : live) REQUIRE(a.free(l.idx, l.order).ok());
    CHECK(a.frames_free() == donated);
    CHECK(snapshot(a) == after_donation);
    CHECK(a.check_invariants());
    size_t n = 0;
    a.for_each_allocated([&](size_t, unsigned) { ++n; });
    CHECK(n == 0);
  }
}

TEST_CASE("buddy: bad frees are refused and change nothing") {
  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  donate_with_hole(a);

  auto blk = a.alloc(3);
  REQUIRE(blk.ok());
  const size_t b = blk.value();
  auto one = a.alloc(0);
  REQUIRE(one.ok());
  const size_t o = one.value();

  const size_t free_before = a.frames_free();
  const size_t total_before = a.frames_total();
  const Blocks before = snapshot(a);
  auto unchanged = [&] {
    CHECK(a.frames_free() == free_before);
    CHECK(a.frames_total() == total_before);
    CHECK(snapshot(a) == before);
    CHECK(a.check_invariants());
    CHECK(a.is_allocated_head(b));
    CHECK(a.is_allocated_head(o));
  };

  SUBCASE("non-head frame of an allocated block") {
    CHECK(a.free(b + 1, 3).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b + 7, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b + 4, 2).error() == ERR_INVALID_ARGS);
    unchanged();
  }
  SUBCASE("wrong order") {
    CHECK(a.free(b, 2).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b, 4).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.free(o, 1).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b, kMax + 1).error() == ERR_INVALID_ARGS);
    CHECK(a.free(b, ~0u).error() == ERR_INVALID_ARGS);
    unchanged();
  }
  SUBCASE("out of range") {
    CHECK(a.free(kFrames, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.free(kFrames + 1024, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.free(SIZE_MAX, 0).error() == ERR_INVALID_ARGS);
    unchanged();
  }
  SUBCASE("reserved frame") {
    CHECK(a.free(kHoleFirst, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.free(1024, 0).error() == ERR_INVALID_ARGS);  // aligned, in the hole
    CHECK(a.free(1024, 3).error() == ERR_INVALID_ARGS);
    unchanged();
  }
  SUBCASE("frame that is free and never allocated") {
    // Find a free block head and an interior frame of one by asking the
    // allocator for a block and giving it back.
    auto t = a.alloc(2);
    REQUIRE(t.ok());
    const size_t h = t.value();
    REQUIRE(a.free(h, 2).ok());
    CHECK(a.frames_free() == free_before);
    CHECK(a.free(h, 2).error() == ERR_INVALID_ARGS);
    CHECK(a.free(h + 1, 0).error() == ERR_INVALID_ARGS);
    unchanged();
  }
  SUBCASE("double free") {
    REQUIRE(a.free(o, 0).ok());
    const size_t f1 = a.frames_free();
    const Blocks s1 = snapshot(a);
    CHECK(f1 == free_before + 1);
    CHECK(a.free(o, 0).error() == ERR_INVALID_ARGS);
    CHECK(a.frames_free() == f1);
    CHECK(snapshot(a) == s1);
    REQUIRE(a.free(b, 3).ok());
    CHECK(a.free(b, 3).error() == ERR_INVALID_ARGS);
    CHECK(a.frames_free() == free_before + 9);
    CHECK(a.check_invariants());
    // Everything is back: the free blocks are those right after donation.
    CHECK(snapshot(a) == expected_blocks(donated_map_with_hole()));
  }
}

TEST_CASE("buddy: bad allocation orders fail cleanly") {
  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  donate_with_hole(a);
  const Blocks before = snapshot(a);
  const size_t free_before = a.frames_free();
  CHECK(a.alloc(kMax + 1).error() == ERR_INVALID_ARGS);
  CHECK(a.alloc(64).error() == ERR_INVALID_ARGS);
  CHECK(a.alloc(~0u).error() == ERR_INVALID_ARGS);
  CHECK(snapshot(a) == before);
  CHECK(a.frames_free() == free_before);
  CHECK(a.check_invariants());
  CHECK(a.alloc(kMax).error() == ERR_NO_MEMORY);  // legal order, but no such block here
  CHECK(a.alloc(kMax - 1).ok());
}

TEST_CASE("buddy: bad donations fail cleanly") {
  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  REQUIRE(a.add_free_range(100, 100).ok());  // [100, 200)
  const Blocks before = snapshot(a);
  auto unchanged = [&] {
    CHECK(a.frames_total() == 100);
    CHECK(a.frames_free() == 100);
    CHECK(snapshot(a) == before);
    CHECK(a.check_invariants());
  };

  CHECK(a.add_free_range(150, 100).error() == ERR_INVALID_ARGS);    // overlaps the tail
  CHECK(a.add_free_range(50, 51).error() == ERR_INVALID_ARGS);      // overlaps the head
  CHECK(a.add_free_range(100, 100).error() == ERR_INVALID_ARGS);    // identical
  CHECK(a.add_free_range(199, 1).error() == ERR_INVALID_ARGS);      // one frame
  CHECK(a.add_free_range(0, kFrames).error() == ERR_INVALID_ARGS);  // covers it
  CHECK(a.add_free_range(2990, 11).error() == ERR_INVALID_ARGS);    // past the end
  CHECK(a.add_free_range(kFrames, 1).error() == ERR_INVALID_ARGS);
  CHECK(a.add_free_range(kFrames + 1, 0).error() == ERR_INVALID_ARGS);
  CHECK(a.add_free_range(10, SIZE_MAX).error() == ERR_INVALID_ARGS);  // overflow
  CHECK(a.add_free_range(SIZE_MAX, 2).error() == ERR_INVALID_ARGS);
  unchanged();
  CHECK(a.add_free_range(300, 0).ok());  // empty range: no-op
  unchanged();

  // The refused ranges changed nothing: their non-overlapping parts are
  // still reserved and can be donated now.
  REQUIRE(a.add_free_range(200, 50).ok());
  REQUIRE(a.add_free_range(2990, 10).ok());
  CHECK(a.frames_total() == 160);

  // A range overlapping an allocated block is refused too.
  auto r = a.alloc(0);
  REQUIRE(r.ok());
  CHECK(a.add_free_range(r.value(), 1).error() == ERR_INVALID_ARGS);
  CHECK(a.frames_total() == 160);
  CHECK(a.frames_free() == 159);
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: fragmentation gives ERR_NO_MEMORY despite free frames") {
  Arena ar(64);
  BuddyAllocator& a = ar.a;
  REQUIRE(a.add_free_range(0, 16).ok());
  std::vector<size_t> held;
  for (int i = 0; i < 16; ++i) {
    auto r = a.alloc(0);
    REQUIRE(r.ok());
    held.push_back(r.value());
  }
  std::sort(held.begin(), held.end());
  for (size_t i = 0; i < 16; ++i) CHECK(held[i] == i);
  // Free every even frame: 8 free frames, no two of them buddies.
  for (size_t i = 0; i < 16; i += 2) REQUIRE(a.free(i, 0).ok());
  CHECK(a.frames_free() == 8);
  CHECK(a.free_blocks(0) == 8);
  for (unsigned order = 1; order <= 3; ++order) {
    CHECK(a.alloc(order).error() == ERR_NO_MEMORY);
    CHECK(a.frames_free() == 8);
    CHECK(a.free_blocks(0) == 8);
  }
  CHECK(a.check_invariants());
  // Freeing frame 1 merges {0,1}; then an order-1 block exists.
  REQUIRE(a.free(1, 0).ok());
  CHECK(a.free_blocks(1) == 1);
  auto r = a.alloc(1);
  REQUIRE(r.ok());
  CHECK(r.value() == 0);
  CHECK(a.alloc(1).error() == ERR_NO_MEMORY);
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: split and merge by hand") {
  Arena ar(16);
  BuddyAllocator& a = ar.a;
  REQUIRE(a.add_free_range(0, 16).ok());
  CHECK(a.free_blocks(4) == 1);
  auto r = a.alloc(0);
  REQUIRE(r.ok());
  CHECK(r.value() == 0);
  // 16 split into 8 + 4 + 2 + 1 + (1 allocated).
  CHECK(a.free_blocks(3) == 1);
  CHECK(a.free_blocks(2) == 1);
  CHECK(a.free_blocks(1) == 1);
  CHECK(a.free_blocks(0) == 1);
  CHECK(a.free_blocks(4) == 0);
  auto s = a.alloc(0);  // takes the free buddy
  REQUIRE(s.ok());
  CHECK(s.value() == 1);
  CHECK(a.free_blocks(0) == 0);
  REQUIRE(a.free(0, 0).ok());
  CHECK(a.free_blocks(0) == 1);  // buddy 1 is allocated: no merge
  REQUIRE(a.free(1, 0).ok());
  CHECK(a.free_blocks(4) == 1);  // merged all the way up
  for (unsigned k = 0; k < 4; ++k) CHECK(a.free_blocks(k) == 0);
  CHECK(a.check_invariants());
}

TEST_CASE("buddy: check_invariants detects corrupt metadata") {
  Arena ar(kFrames);
  BuddyAllocator& a = ar.a;
  donate_with_hole(a);
  REQUIRE(a.check_invariants());
  const size_t bytes = ar.meta_size();
  std::vector<unsigned char> saved(ar.meta_bytes(), ar.meta_bytes() + bytes);

  SUBCASE("metadata out of step with the counters") {
    REQUIRE(a.alloc(0).ok());
    REQUIRE(a.check_invariants());
    std::vector<unsigned char> after(ar.meta_bytes(), ar.meta_bytes() + bytes);
    std::copy(saved.begin(), saved.end(), ar.meta_bytes());  // roll back the metadata only
    CHECK(!a.check_invariants());
    std::copy(after.begin(), after.end(), ar.meta_bytes());
    CHECK(a.check_invariants());
  }
  SUBCASE("garbage metadata: no crash, no hang, reported") {
    for (int fill : {0x00, 0xFF, 0x01, 0x02, 0x03, 0x5A}) {
      CAPTURE(fill);
      std::fill(ar.meta_bytes(), ar.meta_bytes() + bytes, static_cast<unsigned char>(fill));
      CHECK(!a.check_invariants());
      size_t n = 0;
      a.for_each_allocated([&](size_t idx, unsigned) {
        CHECK(idx < kFrames);
        ++n;
      });
      (void)n;
    }
    Rng rng(5);
    for (int round = 0; round < 20; ++round) {
      std::copy(saved.begin(), saved.end(), ar.meta_bytes());
      for (int flips = 0; flips < 4; ++flips)
        ar.meta_bytes()[rng.below(bytes)] ^= 1u << rng.below(8);
      (void)a.check_invariants();  // must return (either way), under ASan/UBSan
    }
    std::copy(saved.begin(), saved.end(), ar.meta_bytes());
    CHECK(a.check_invariants());
  }
}
