// libk::format against the host's snprintf: every flag combination, widths,
// precisions, length modifiers and edge values, plus truncation, NUL
// termination, cap 0, and the documented differences ((null), %p, unsupported
// conversions).
#include <doctest/doctest.h>
#include <libk/format.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace {

// Formats with both implementations into generous buffers and compares text
// and returned length.
template <typename... A>
void same_as_libc(const char* fmt, A... args) {
  char want[512];
  char got[512];
  int want_len = snprintf(want, sizeof want, fmt, args...);
  size_t got_len = libk::format(got, sizeof got, fmt, args...);
  INFO("format: \"" << fmt << "\"");
  REQUIRE(want_len >= 0);
  CHECK(std::string(got) == std::string(want));
  CHECK(got_len == static_cast<size_t>(want_len));
}

// Every format "%[flags][width][.precision]<len><conv>" over the given flag
// set, applied to each value.
template <typename V>
void all_combinations(const char* len, const char* convs, const char* flag_chars,
                      std::initializer_list<V> values) {
  const std::vector<std::string> widths = {"", "1", "5", "23"};
  const std::vector<std::string> precisions = {"", ".", ".0", ".1", ".4", ".25"};
  const std::string flags(flag_chars);
  for (const char* c = convs; *c; ++c) {
    for (unsigned mask = 0; mask < (1u << flags.size()); ++mask) {
      std::string f;
      for (size_t i = 0; i < flags.size(); ++i)
        if (mask & (1u << i)) f += flags[i];
      for (const auto& w : widths)
        for (const auto& p : precisions) {
          std::string fmt = "[%" + f + w + p + len + *c + "]";
          for (V v : values) same_as_libc(fmt.c_str(), v);
        }
    }
  }
}

}  // namespace

TEST_CASE("plain text and %%") {
  same_as_libc("");
  same_as_libc("hello, world");
  same_as_libc("100%% sure %%%%", 0);
  same_as_libc("%d%%%d", 1, 2);
}

TEST_CASE("signed conversions, all flags, widths and precisions") {
  all_combinations<int>("", "di", "-0+ ", {0, 1, -1, 7, -42, 12345, INT_MAX, INT_MIN});
}

TEST_CASE("unsigned conversions, all flags, widths and precisions") {
  all_combinations<unsigned>("", "uxXo", "-0#", {0u, 1u, 8u, 255u, 0xdeadbeefu, UINT_MAX});
  // '+' and ' ' have no effect on unsigned conversions.
  all_combinations<unsigned>("", "uxo", "+ ", {0u, 9u, UINT_MAX});
}

TEST_CASE("length modifiers") {
  all_combinations<int>("hh", "di", "-0+", {0, 127, -128, 300, -129});
  all_combinations<unsigned>("hh", "uxo", "#0", {0u, 255u, 256u, 0x1234u});
  all_combinations<int>("h", "di", "-+", {0, 32767, -32768, 70000});
  all_combinations<unsigned>("h", "uX", "#", {0u, 65535u, 65536u});
  all_combinations<long>("l", "di", "-0+ ", {0L, LONG_MAX, LONG_MIN, -5L});
  all_combinations<unsigned long>("l", "uxXo", "-0#", {0UL, ULONG_MAX, 0x123456789abcUL});
  all_combinations<long long>("ll", "di", "0+", {LLONG_MIN, LLONG_MAX, -1LL});
  all_combinations<unsigned long long>("ll", "uxo", "#", {ULLONG_MAX, 1ULL << 63});
  all_combinations<size_t>("z", "uxX", "-#", {size_t{0}, SIZE_MAX, size_t{4096}});
  all_combinations<intmax_t>("j", "d", "+ ", {INTMAX_MIN, INTMAX_MAX});
  all_combinations<uintmax_t>("j", "ux", "#", {UINTMAX_MAX});
  all_combinations<ptrdiff_t>("t", "di", "-+", {PTRDIFF_MIN, PTRDIFF_MAX, ptrdiff_t{-3}});
  same_as_libc("%zd %zd", static_cast<ptrdiff_t>(-9), static_cast<ptrdiff_t>(9));
  same_as_libc("%hhu %hu", 0x1ff, 0x1ffff);
}

TEST_CASE("%c and %s") {
  all_combinations<int>("", "c", "-", {'a', 'Z', ' ', '\x7f'});
  all_combinations<const char*>("", "s", "-",
                                {"", "x", "hello", "a longer string than most widths"});
  same_as_libc("%c%c%c", 'a', 'b', 'c');
  same_as_libc("[%s|%s]", "one", "two");
  same_as_libc("%c", 0);  // a NUL char is produced and counted
  char buf[8];
  CHECK(libk::format(buf, sizeof buf, "a%cb", 0) == 3);
  CHECK(buf[0] == 'a');
  CHECK(buf[1] == '\0');
  CHECK(buf[2] == 'b');
}

TEST_CASE("%s with a precision does not read past it") {
  const char unterminated[3] = {'a', 'b', 'c'};
  char buf[16];
  CHECK(libk::format(buf, sizeof buf, "%.3s|", unterminated) == 4);
  CHECK(std::string(buf) == "abc|");
  CHECK(libk::format(buf, sizeof buf, "%.*s|", 2, unterminated) == 3);
  CHECK(std::string(buf) == "ab|");
}

TEST_CASE("* width and precision") {
  for (int w : {-12, -1, 0, 1, 6, 30})
    for (int p : {-3, -1, 0, 2, 9}) {
      same_as_libc("[%*d]", w, -123);
      same_as_libc("[%.*d]", p, 45);
      same_as_libc("[%*.*x]", w, p, 0xabcu);
      same_as_libc("[%-*.*s]", w, p, "string");
      same_as_libc("[%0*d]", w, 77);
    }
}

TEST_CASE("%p prints 0x and lowercase hex") {
  int x = 0;
  void* ptrs[] = {&x, reinterpret_cast<void*>(0x1), reinterpret_cast<void*>(0xffffffffffffffffull),
                  reinterpret_cast<void*>(0x80001000)};
  for (void* p : ptrs) {
    same_as_libc("%p", p);
    same_as_libc("[%20p]", p);
    same_as_libc("[%-20p]", p);
  }
  char buf[32];
  CHECK(libk::format(buf, sizeof buf, "%p", static_cast<void*>(nullptr)) == 3);
  CHECK(std::string(buf) == "0x0");  // glibc would print "(nil)"
}

TEST_CASE("%s of null prints (null)") {
  const char* null_str = nullptr;
  char buf[32];
  CHECK(libk::format(buf, sizeof buf, "%s", null_str) == 6);
  CHECK(std::string(buf) == "(null)");
  CHECK(libk::format(buf, sizeof buf, "[%8s]", null_str) == 10);
  CHECK(std::string(buf) == "[  (null)]");
  CHECK(libk::format(buf, sizeof buf, "[%.3s]", null_str) == 5);
  CHECK(std::string(buf) == "[(nu]");
}

TEST_CASE("unsupported conversions are copied verbatim and keep arguments aligned") {
  // Built at run time: GCC's format check would (rightly) reject them.
  std::string f1 = "a%qb %d";
  std::string f2 = "x%";
  std::string f3 = "x%-08";
  std::string f4 = "%ls|%lc|%d";
  std::string f5 = "%f";
  char buf[64];
  CHECK(libk::format(buf, sizeof buf, f1.c_str(), 5) == 6);
  CHECK(std::string(buf) == "a%qb 5");
  CHECK(libk::format(buf, sizeof buf, f2.c_str(), 0) == 2);
  CHECK(std::string(buf) == "x%");
  CHECK(libk::format(buf, sizeof buf, f3.c_str(), 0) == 5);
  CHECK(std::string(buf) == "x%-08");
  CHECK(libk::format(buf, sizeof buf, f4.c_str(), L"wide", L'w', 42) == 10);
  CHECK(std::string(buf) == "%ls|%lc|42");
  CHECK(libk::format(buf, sizeof buf, f5.c_str(), 0) == 2);
  CHECK(std::string(buf) == "%f");
}

TEST_CASE("truncation: always NUL-terminated, returns the full length") {
  const std::string full = "value=-12345 name=kernel";
  for (size_t cap = 1; cap <= full.size() + 3; ++cap) {
    std::vector<char> buf(cap + 8, '#');  // canary beyond cap
    size_t n = libk::format(buf.data(), cap, "value=%d name=%s", -12345, "kernel");
    CHECK(n == full.size());
    size_t written = cap - 1 < full.size() ? cap - 1 : full.size();
    CHECK(std::string(buf.data()) == full.substr(0, written));
    CHECK(buf[written] == '\0');
    for (size_t i = cap; i < buf.size(); ++i) CHECK(buf[i] == '#');

    char want[64];
    snprintf(want, cap, "value=%d name=%s", -12345, "kernel");
    CHECK(std::string(buf.data()) == std::string(want));
  }
}

TEST_CASE("cap 0 writes nothing and still returns the length") {
  char canary = '#';
  CHECK(libk::format(&canary, 0, "%d-%s", 123, "abc") == 7);
  CHECK(canary == '#');
  CHECK(libk::format(nullptr, 0, "%08x", 1u) == 8);
}

namespace {
struct Collect {
  std::string text;
  static void put(void* ctx, char c) { static_cast<Collect*>(ctx)->text += c; }
};
}  // namespace

TEST_CASE("callback sink sees every char and the count matches") {
  Collect c;
  size_t n = libk::format_to(Collect::put, &c, "%s=%#x (%+d)%c", "flags", 0x2au, 7, '!');
  CHECK(c.text == "flags=0x2a (+7)!");
  CHECK(n == c.text.size());
  // Long output is not limited by any internal buffer.
  Collect big;
  n = libk::format_to(Collect::put, &big, "%300d|%-300s|", 5, "x");
  CHECK(n == 602);
  CHECK(big.text.size() == 602);
}
