// Result<T>, Result<void> and TRY: values and errors travel unchanged, a
// contained value is destroyed exactly once, move-only values work.
#include <doctest/doctest.h>
#include <libk/result.h>

#include "expect_assert.h"

using libk::err;
using libk::Result;

namespace {

// Counts live instances and catches a second destruction of the same object.
struct Tracked {
  static inline int live = 0;
  static inline int constructed = 0;
  static inline int destroyed = 0;
  int value;
  bool alive = true;

  explicit Tracked(int v) : value(v) { count_new(); }
  Tracked(const Tracked& o) : value(o.value) { count_new(); }
  Tracked(Tracked&& o) : value(o.value) {
    o.value = -1;
    count_new();
  }
  void count_new() {
    ++live;
    ++constructed;
  }
  ~Tracked() {
    REQUIRE(alive);  // destroyed twice
    alive = false;
    --live;
    ++destroyed;
  }
  static void reset_counts() {
    live = 0;
    constructed = 0;
    destroyed = 0;
  }
};

// Move-only: owns a heap int (ASan reports a leak or double free if Result
// mishandles it).
struct Unique {
  int* p;
  explicit Unique(int v) : p(new int(v)) {}
  Unique(Unique&& o) : p(o.p) { o.p = nullptr; }
  Unique(const Unique&) = delete;
  Unique& operator=(const Unique&) = delete;
  ~Unique() { delete p; }
};

Result<int> parse_positive(int x) {
  if (x <= 0) return err(ERR_INVALID_ARGS);
  return x;
}

Result<int> doubled(int x) {
  int v = TRY(parse_positive(x));
  return v * 2;
}

int steps_after_try = 0;
Result<void> check_all(int a, int b) {
  TRY(parse_positive(a));
  ++steps_after_try;
  TRY(parse_positive(b));
  ++steps_after_try;
  return libk::ok();
}

Result<void> void_fails(keel_status s) { return err(s); }
Result<int> propagate_void(keel_status s) {
  TRY(void_fails(s));
  return 7;
}

keel_status as_status(int x) {
  int v = TRY(parse_positive(x));
  return v == 5 ? KEEL_OK : ERR_OUT_OF_RANGE;
}

Result<Unique> make_unique_value(int v) {
  if (v < 0) return err(ERR_NO_MEMORY);
  return Unique(v);
}

Result<int> sum_unique(int a, int b) {
  Unique x = TRY(make_unique_value(a));
  Unique y = TRY(make_unique_value(b));
  return *x.p + *y.p;
}

Result<Tracked> make_tracked(int v) {
  if (v < 0) return err(ERR_NOT_FOUND);
  return Tracked(v);
}

}  // namespace

TEST_CASE("Result<int> holds a value or an error") {
  Result<int> good = parse_positive(3);
  CHECK(good.ok());
  CHECK_FALSE(good.is_error());
  CHECK(good.error() == KEEL_OK);
  CHECK(good.value() == 3);
  good.value() = 4;
  CHECK(good.release_value() == 4);

  Result<int> bad = parse_positive(-1);
  CHECK_FALSE(bad.ok());
  CHECK(bad.is_error());
  CHECK(bad.error() == ERR_INVALID_ARGS);
}

TEST_CASE("Result<void>") {
  Result<void> good = libk::ok();
  CHECK(good.ok());
  CHECK(good.error() == KEEL_OK);
  Result<void> bad = err(ERR_PEER_CLOSED);
  CHECK(bad.is_error());
  CHECK(bad.error() == ERR_PEER_CLOSED);
}

TEST_CASE("TRY yields the value or returns the error unchanged") {
  CHECK(doubled(21).value() == 42);
  CHECK(doubled(0).error() == ERR_INVALID_ARGS);

  steps_after_try = 0;
  CHECK(check_all(1, 2).ok());
  CHECK(steps_after_try == 2);
  steps_after_try = 0;
  CHECK(check_all(1, -2).error() == ERR_INVALID_ARGS);
  CHECK(steps_after_try == 1);  // returned at the second TRY
  steps_after_try = 0;
  CHECK(check_all(-1, 2).error() == ERR_INVALID_ARGS);
  CHECK(steps_after_try == 0);

  CHECK(propagate_void(ERR_TIMED_OUT).error() == ERR_TIMED_OUT);
  CHECK(propagate_void(ERR_CORRUPT).error() == ERR_CORRUPT);
}

TEST_CASE("TRY inside a function returning keel_status") {
  CHECK(as_status(5) == KEEL_OK);
  CHECK(as_status(6) == ERR_OUT_OF_RANGE);
  CHECK(as_status(-1) == ERR_INVALID_ARGS);
}

TEST_CASE("move-only values move through Result and TRY") {
  Result<Unique> r = make_unique_value(9);
  REQUIRE(r.ok());
  CHECK(*r.value().p == 9);
  Unique u = r.release_value();
  CHECK(*u.p == 9);
  CHECK(r.value().p == nullptr);  // moved out; still destroyed by r

  Result<Unique> moved = make_unique_value(1);
  Result<Unique> target(std::move(moved));
  CHECK(*target.value().p == 1);

  CHECK(sum_unique(2, 3).value() == 5);
  CHECK(sum_unique(2, -1).error() == ERR_NO_MEMORY);
  CHECK(sum_unique(-1, 3).error() == ERR_NO_MEMORY);
}

TEST_CASE("a contained value is destroyed exactly once") {
  Tracked::reset_counts();
  {
    Result<Tracked> r = make_tracked(5);
    CHECK(Tracked::live == 1);
    CHECK(r.value().value == 5);
  }
  CHECK(Tracked::live == 0);
  CHECK(Tracked::destroyed == Tracked::constructed);

  Tracked::reset_counts();
  {
    Result<Tracked> a = make_tracked(6);
    Result<Tracked> b(std::move(a));  // both hold an object now
    CHECK(Tracked::live == 2);
    CHECK(b.value().value == 6);
    CHECK(a.value().value == -1);
  }
  CHECK(Tracked::live == 0);
  CHECK(Tracked::destroyed == Tracked::constructed);
  CHECK(Tracked::destroyed >= 2);

  Tracked::reset_counts();
  {
    Result<Tracked> a = make_tracked(7);
    Tracked t = a.release_value();
    CHECK(t.value == 7);
    CHECK(Tracked::live == 2);
  }
  CHECK(Tracked::live == 0);
  CHECK(Tracked::destroyed == Tracked::constructed);

  Tracked::reset_counts();
  {
    Result<Tracked> e = make_tracked(-1);
    CHECK(e.error() == ERR_NOT_FOUND);
    Result<Tracked> e2(std::move(e));
    CHECK(e2.error() == ERR_NOT_FOUND);
  }
  CHECK(Tracked::constructed == 0);  // an error never constructs a value
  CHECK(Tracked::destroyed == 0);
}

TEST_CASE("misuse is caught") {
  CHECK_LIBK_ASSERT("ok_", {
    Result<int> r = parse_positive(-1);
    (void)r.value();
  });
  CHECK_LIBK_ASSERT("KEEL_OK", (void)Result<int>(err(KEEL_OK)));
}
