// Bitmap / StaticBitmap: bit operations across word boundaries, searches,
// ranges, tail bits of external storage, bounds checks, and a randomized
// comparison against a plain bool array.
#include <doctest/doctest.h>
#include <libk/bitmap.h>

#include <random>
#include <vector>

#include "expect_assert.h"

using libk::Bitmap;
using libk::StaticBitmap;

TEST_CASE("words_for") {
  CHECK(Bitmap::words_for(0) == 0);
  CHECK(Bitmap::words_for(1) == 1);
  CHECK(Bitmap::words_for(64) == 1);
  CHECK(Bitmap::words_for(65) == 2);
  CHECK(Bitmap::words_for(128) == 2);
}

TEST_CASE("set, clear and test across word boundaries") {
  uint64_t words[3] = {};
  Bitmap b(words, 150);
  CHECK(b.size() == 150);
  for (size_t i : {0, 1, 63, 64, 65, 127, 128, 149}) {
    CHECK_FALSE(b.test(i));
    b.set(i);
    CHECK(b.test(i));
  }
  CHECK(words[0] == (1ull | 2ull | (1ull << 63)));
  CHECK(words[1] == (1ull | 2ull | (1ull << 63)));
  CHECK(words[2] == (1ull | (1ull << 21)));
  CHECK(b.count_set() == 8);
  b.clear(63);
  b.clear(64);
  b.clear(64);  // clearing a clear bit is harmless
  CHECK_FALSE(b.test(63));
  CHECK_FALSE(b.test(64));
  CHECK(b.test(65));
  CHECK(b.count_set() == 6);
  b.assign(10, true);
  CHECK(b.test(10));
  b.assign(10, false);
  CHECK_FALSE(b.test(10));
}

TEST_CASE("find_first_clear and find_first_set") {
  uint64_t words[3] = {};
  Bitmap b(words, 130);
  CHECK(b.find_first_set() == Bitmap::npos);
  CHECK(b.find_first_clear() == 0);
  CHECK(b.find_first_clear(129) == 129);
  CHECK(b.find_first_clear(130) == Bitmap::npos);  // from == size is allowed

  b.set(70);
  b.set(129);
  CHECK(b.find_first_set() == 70);
  CHECK(b.find_first_set(70) == 70);
  CHECK(b.find_first_set(71) == 129);
  CHECK(b.find_first_set(129) == 129);
  CHECK(b.find_first_set(130) == Bitmap::npos);

  b.set_all();
  CHECK(b.find_first_clear() == Bitmap::npos);
  b.clear(64);
  CHECK(b.find_first_clear() == 64);
  CHECK(b.find_first_clear(64) == 64);
  CHECK(b.find_first_clear(65) == Bitmap::npos);
  b.clear(0);
  CHECK(b.find_first_clear() == 0);
  CHECK(b.find_first_clear(1) == 64);
}

TEST_CASE("tail bits of external storage are ignored") {
  // Storage beyond the bitmap's size holds junk: it must not be found or
  // counted, and must not be modified.
  uint64_t words[2] = {~0ull, ~0ull};
  Bitmap b(words, 70);
  b.clear_all();
  CHECK(words[0] == 0);
  CHECK(words[1] == ~0ull << 6);  // bits 70..127 untouched
  CHECK(b.count_set() == 0);
  CHECK(b.find_first_set() == Bitmap::npos);
  b.set_all();
  CHECK(b.count_set() == 70);
  CHECK(b.find_first_clear() == Bitmap::npos);
  words[1] = 0x3f;  // only the 6 valid bits of the last word set
  CHECK(b.find_first_clear() == Bitmap::npos);
  words[1] = 0x1f;
  CHECK(b.find_first_clear() == 69);
}

TEST_CASE("set_range and clear_range") {
  uint64_t words[4] = {};
  Bitmap b(words, 256);
  b.set_range(3, 0);  // empty range: nothing
  CHECK(b.count_set() == 0);
  b.set_range(60, 8);  // straddles one boundary
  CHECK(b.count_set() == 8);
  CHECK(b.find_first_set() == 60);
  CHECK(b.find_first_clear(60) == 68);
  b.set_range(10, 200);  // spans several whole words
  CHECK(b.count_set() == 200);
  CHECK(b.find_first_set() == 10);
  CHECK(b.find_first_clear(10) == 210);
  CHECK(words[1] == ~0ull);
  CHECK(words[2] == ~0ull);
  b.clear_range(64, 64);  // exactly one whole word
  CHECK(words[1] == 0);
  CHECK(b.count_set() == 136);
  b.clear_range(0, 256);
  CHECK(b.count_set() == 0);
  b.set_range(0, 256);
  CHECK(b.count_set() == 256);
  b.clear_range(255, 1);
  CHECK(b.find_first_clear() == 255);
}

TEST_CASE("StaticBitmap has its own zeroed storage") {
  StaticBitmap<100> s;
  CHECK(s.size() == 100);
  CHECK(s.count_set() == 0);
  s.set(99);
  s.set(0);
  CHECK(s.count_set() == 2);
  CHECK(s.find_first_set(1) == 99);
  StaticBitmap<100> copy = s;  // a value type: the copy is independent
  copy.clear(99);
  CHECK(s.test(99));
  CHECK_FALSE(copy.test(99));
  Bitmap v = s.view();  // aliases s
  v.set(50);
  CHECK(s.test(50));
  CHECK(v.count_set() == 3);

  StaticBitmap<64> exact;
  exact.set_all();
  CHECK(exact.count_set() == 64);
  CHECK(exact.find_first_clear() == StaticBitmap<64>::npos);

  StaticBitmap<0> none;
  CHECK(none.find_first_clear() == StaticBitmap<0>::npos);
  CHECK(none.count_set() == 0);
}

TEST_CASE("randomized against a bool array") {
  std::mt19937 rng(1234);
  for (size_t bits : {1u, 63u, 64u, 65u, 200u, 513u}) {
    std::vector<uint64_t> storage(Bitmap::words_for(bits) + 1, 0xdeadbeefcafef00dull);
    Bitmap b(storage.data(), bits);
    std::vector<bool> model(bits);
    b.clear_all();
    for (int step = 0; step < 2000; ++step) {
      size_t i = rng() % bits;
      size_t n = rng() % (bits - i + 1);
      switch (rng() % 6) {
        case 0:
          b.set(i);
          model[i] = true;
          break;
        case 1:
          b.clear(i);
          model[i] = false;
          break;
        case 2:
          b.set_range(i, n);
          for (size_t k = i; k < i + n; ++k) model[k] = true;
          break;
        case 3:
          b.clear_range(i, n);
          for (size_t k = i; k < i + n; ++k) model[k] = false;
          break;
        default:
          break;
      }
      size_t from = rng() % (bits + 1);
      size_t want_set = Bitmap::npos, want_clear = Bitmap::npos, count = 0;
      for (size_t k = bits; k-- > from;) (model[k] ? want_set : want_clear) = k;
      for (bool v : model) count += v;
      REQUIRE(b.find_first_set(from) == want_set);
      REQUIRE(b.find_first_clear(from) == want_clear);
      REQUIRE(b.count_set() == count);
      REQUIRE(b.test(i) == model[i]);
    }
    CHECK(storage.back() == 0xdeadbeefcafef00dull);  // never wrote past the end
  }
}

TEST_CASE("out-of-range access is caught") {
  CHECK_LIBK_ASSERT("i < size()", {
    StaticBitmap<10> b;
    b.set(10);
  });
  CHECK_LIBK_ASSERT("i < size()", {
    StaticBitmap<10> b;
    b.clear(64);
  });
  CHECK_LIBK_ASSERT("i < size()", {
    StaticBitmap<10> b;
    (void)b.test(SIZE_MAX);
  });
  CHECK_LIBK_ASSERT("from <= size()", {
    StaticBitmap<10> b;
    (void)b.find_first_clear(11);
  });
  CHECK_LIBK_ASSERT("count <= size() - start", {
    StaticBitmap<10> b;
    b.set_range(5, 6);
  });
  CHECK_LIBK_ASSERT("start <= size()", {
    StaticBitmap<10> b;
    b.clear_range(11, 0);
  });
  CHECK_LIBK_ASSERT("count <= size() - start", {
    StaticBitmap<10> b;
    b.set_range(1, SIZE_MAX);  // start + count would wrap around
  });
}
