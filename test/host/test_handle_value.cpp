// Handle value encoding: round trips, stale and forged values are rejected.
#include <doctest/doctest.h>
#include <libk/handle_value.h>

#include <initializer_list>

using namespace libk;

TEST_CASE("encode/decode round trip over every slot and many generations") {
  for (uint32_t index = 0; index < kHandleMaxSlots; index++) {
    for (uint32_t gen : {1u, 2u, 77u, kHandleGenerationMask}) {
      uint32_t v = handle_encode(index, gen);
      CHECK(v != 0);
      CHECK((v >> 31) == 0);
      uint32_t i = 0, g = 0;
      REQUIRE(handle_decode(v, &i, &g));
      CHECK(i == index);
      CHECK(g == gen);
    }
  }
}

TEST_CASE("values no slot can have are rejected") {
  uint32_t i, g;
  CHECK(!handle_decode(0, &i, &g));
  CHECK(!handle_decode(0x80000001u, &i, &g));         // sign bit
  CHECK(!handle_decode(1u << kHandleIndexBits, &i, &g));  // index part 0
  CHECK(!handle_decode(5, &i, &g));                    // generation 0
}

TEST_CASE("a closed slot's old value no longer matches") {
  uint32_t gen = 1;
  uint32_t old_value = handle_encode(42, gen);
  gen = handle_next_generation(gen);
  uint32_t i, g;
  REQUIRE(handle_decode(old_value, &i, &g));
  CHECK(i == 42);
  CHECK(g != gen);  // the table compares generations: stale
}

TEST_CASE("generations wrap without ever becoming 0") {
  uint32_t g = kHandleGenerationMask;
  g = handle_next_generation(g);
  CHECK(g == 1);
  for (int n = 0; n < 1000000; n++) {
    g = handle_next_generation(g);
    REQUIRE(g != 0);
  }
}

TEST_CASE("rights only shrink") {
  CHECK(rights_subset(0b0101, 0b0111));
  CHECK(rights_subset(0, 0b0111));
  CHECK(!rights_subset(0b1000, 0b0111));
  CHECK(!rights_subset(0b1111, 0b0111));
}
