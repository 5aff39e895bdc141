// In-kernel tests. KTEST(name) { ... } registers a test in the .ktest linker
// section; the bootarg test=<glob> runs the matching ones and prints TAP.
//
// Every test is also a leak test: the runner snapshots every kstat counter
// before it and requires them all back at their baseline afterwards (a test
// that deliberately keeps something must release it before returning).
#pragma once
#include <stdint.h>

#include "lib/kprintf.h"
#include "mm/kstat.h"

namespace ktest {

struct TestCase {
  const char* name;
  void (*fn)();
  const char* file;
  int line;
};

// Record a failed expectation (the test goes on; KT_ASSERT returns).
void fail(const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
bool current_failed();

// Fail (naming each counter and its drift) unless every kstat counter
// equals its value in `base`.
void expect_baseline(const kstat::Snapshot& base, const char* file, int line);

// Run the tests whose names match `glob`; returns true if all passed.
// Prints "Bail out!" and fails if nothing matches.
bool run(const char* glob);

}  // namespace ktest

#define KTEST_CONCAT2(a, b) a##b
#define KTEST_CONCAT(a, b) KTEST_CONCAT2(a, b)

// The .ktest section holds pointers (8 bytes, 8-aligned, never padded), so
// the runner can walk it as an array.
#define KTEST(test_name)                                                                         \
  static void KTEST_CONCAT(ktest_fn_, __LINE__)();                                               \
  static const ::ktest::TestCase KTEST_CONCAT(ktest_case_, __LINE__) = {                         \
      test_name, &KTEST_CONCAT(ktest_fn_, __LINE__), __FILE__, __LINE__};                        \
  [[gnu::used, gnu::section(".ktest.case")]] static const ::ktest::TestCase* const KTEST_CONCAT( \
      ktest_ptr_, __LINE__) = &KTEST_CONCAT(ktest_case_, __LINE__);                              \
  static void KTEST_CONCAT(ktest_fn_, __LINE__)()

#define KT_EXPECT(cond)                                          \
  do {                                                           \
    if (!(cond)) ::ktest::fail(__FILE__, __LINE__, "%s", #cond); \
  } while (0)

#define KT_EXPECT_EQ(a, b)                                                     \
  do {                                                                         \
    auto _ka = (a);                                                            \
    auto _kb = (b);                                                            \
    if (!(_ka == _kb))                                                         \
      ::ktest::fail(__FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b,     \
                    static_cast<long long>(_ka), static_cast<long long>(_kb)); \
  } while (0)

#define KT_EXPECT_BASELINE(snapshot) ::ktest::expect_baseline((snapshot), __FILE__, __LINE__)

#define KT_ASSERT(cond)                               \
  do {                                                \
    if (!(cond)) {                                    \
      ::ktest::fail(__FILE__, __LINE__, "%s", #cond); \
      return;                                         \
    }                                                 \
  } while (0)

// Assert a Result is ok; evaluates to its value.
#define KT_TRY(expr)                                                                            \
  ({                                                                                            \
    auto _kr = (expr);                                                                          \
    if (_kr.is_error()) {                                                                       \
      ::ktest::fail(__FILE__, __LINE__, "%s failed: %s", #expr, keel_status_name(_kr.error())); \
      return;                                                                                   \
    }                                                                                           \
    _kr.release_value();                                                                        \
  })
