// Handle value encoding: round trips, stale and forged values are rejected,
// and generations never wrap (the last one retires its slot).
#include <doctest/doctest.h>
#include <libk/handle_value.h>

#include <initializer_list>

using namespace libk;

TEST_CASE("encode/decode round trip over every slot and many generations") {
  for (uint32_t index = 0; index < kHandleMaxSlots; index++) {
    for (uint64_t gen : {uint64_t{1}, uint64_t{2}, uint64_t{77}, uint64_t{1} << 18,
                         uint64_t{1} << 32, kHandleLastGeneration - 1, kHandleLastGeneration}) {
      uint64_t v = handle_encode(index, gen);
      CHECK(v != 0);
      CHECK((v >> 63) == 0);
      uint32_t i = 0;
      uint64_t g = 0;
      REQUIRE(handle_decode(v, &i, &g));
      CHECK(i == index);
      CHECK(g == gen);
    }
  }
}

TEST_CASE("the generation has 50 bits and values fill 63") {
  CHECK(kHandleGenerationBits >= 50);
  CHECK(kHandleLastGeneration == (uint64_t{1} << 50) - 1);
  CHECK(handle_encode(kHandleMaxSlots - 1, kHandleLastGeneration) == (uint64_t{1} << 63) - 1);
}

TEST_CASE("values no slot can have are rejected") {
  uint32_t i;
  uint64_t g;
  CHECK(!handle_decode(0, &i, &g));
  CHECK(!handle_decode(uint64_t{1} << 63 | handle_encode(3, 1), &i, &g));  // bit 63
  CHECK(!handle_decode(UINT64_MAX, &i, &g));
  CHECK(!handle_decode(uint64_t{1} << kHandleIndexBits, &i, &g));  // index part 0
  CHECK(!handle_decode(5, &i, &g));                                // generation 0
}

TEST_CASE("a closed slot's old value no longer matches") {
  uint64_t gen = 1;
  uint64_t old_value = handle_encode(42, gen);
  gen = handle_next_generation(gen);
  uint32_t i;
  uint64_t g;
  REQUIRE(handle_decode(old_value, &i, &g));
  CHECK(i == 42);
  CHECK(g != gen);  // the table compares generations: stale
}

TEST_CASE("a value from more than 32 bits is not its low half") {
  // The old 32-bit values wrapped their 18-bit generation after 262,143
  // closes; the same slot now gives a new value every time, far beyond that.
  uint64_t gen = 1;
  uint64_t first = handle_encode(7, gen);
  for (uint64_t n = 0; n < (uint64_t{1} << 19); n++) {
    gen = handle_next_generation(gen);
    REQUIRE(gen != 0);
    REQUIRE(handle_encode(7, gen) != first);
  }
  uint32_t i;
  uint64_t g;
  REQUIRE(handle_decode(first + (uint64_t{1} << 32), &i, &g));
  CHECK(i == 7);
  CHECK(g != 1);  // another generation of the slot: stale, not the original
}

TEST_CASE("generations never wrap: after the last one the slot is retired") {
  CHECK(handle_next_generation(kHandleFirstGeneration) == 2);
  CHECK(handle_next_generation(kHandleLastGeneration - 1) == kHandleLastGeneration);
  CHECK(handle_next_generation(kHandleLastGeneration) == 0);  // retired
  // Strictly increasing up to retirement: no generation repeats.
  uint64_t g = kHandleLastGeneration - 1000, steps = 0;
  for (uint64_t prev = g; (g = handle_next_generation(g)) != 0; prev = g, steps++)
    REQUIRE(g == prev + 1);
  CHECK(steps == 1000);
}

TEST_CASE("rights only shrink") {
  CHECK(rights_subset(0b0101, 0b0111));
  CHECK(rights_subset(0, 0b0111));
  CHECK(!rights_subset(0b1000, 0b0111));
  CHECK(!rights_subset(0b1111, 0b0111));
}
