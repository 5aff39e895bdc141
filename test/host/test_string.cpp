// libk strings: str_eq, starts_with, glob_match (hand-picked edge cases and
// a randomized comparison against fnmatch), StringView, next_token and
// StaticString.
#include <doctest/doctest.h>
#include <fnmatch.h>
#include <libk/string.h>

#include <random>
#include <string>

#include "expect_assert.h"

using libk::glob_match;
using libk::StaticString;
using libk::StringView;

TEST_CASE("str_eq and starts_with") {
  CHECK(libk::str_eq("", ""));
  CHECK(libk::str_eq("abc", "abc"));
  CHECK_FALSE(libk::str_eq("abc", "abd"));
  CHECK_FALSE(libk::str_eq("abc", "ab"));
  CHECK_FALSE(libk::str_eq("ab", "abc"));
  CHECK_FALSE(libk::str_eq("", "a"));

  CHECK(libk::starts_with("kernel.sched", "kernel."));
  CHECK(libk::starts_with("abc", ""));
  CHECK(libk::starts_with("abc", "abc"));
  CHECK_FALSE(libk::starts_with("ab", "abc"));
  CHECK_FALSE(libk::starts_with("abc", "b"));
  CHECK_FALSE(libk::starts_with("", "a"));
}

TEST_CASE("glob_match edge cases") {
  // Empty pattern and empty text.
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("**", ""));
  CHECK_FALSE(glob_match("?", ""));
  CHECK_FALSE(glob_match("a", ""));
  // Literals must match the whole text.
  CHECK(glob_match("abc", "abc"));
  CHECK_FALSE(glob_match("abc", "abcd"));
  CHECK_FALSE(glob_match("abcd", "abc"));
  // '?' is exactly one char.
  CHECK(glob_match("a?c", "abc"));
  CHECK(glob_match("???", "xyz"));
  CHECK_FALSE(glob_match("???", "xy"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  // '*' is any run, including an empty one, anywhere.
  CHECK(glob_match("*", "anything at all"));
  CHECK(glob_match("a*", "a"));
  CHECK(glob_match("*a", "a"));
  CHECK(glob_match("a*b", "ab"));
  CHECK(glob_match("a*b", "axxxb"));
  CHECK_FALSE(glob_match("a*b", "axxxbc"));
  CHECK(glob_match("*b*", "abc"));
  CHECK_FALSE(glob_match("*d*", "abc"));
  CHECK(glob_match("a**b", "ab"));
  CHECK(glob_match("*?", "a"));
  CHECK_FALSE(glob_match("*?", ""));
  CHECK(glob_match("?*?", "ab"));
  CHECK_FALSE(glob_match("?*?", "a"));
  // Cases that need backtracking past a first candidate.
  CHECK(glob_match("*ab", "aab"));
  CHECK(glob_match("*aab", "aaab"));
  CHECK(glob_match("a*b*c", "abxbc"));
  CHECK(glob_match("a*b*c", "abcbc"));
  CHECK_FALSE(glob_match("a*b*c", "abcb"));
  CHECK(glob_match("*a*b*c*", "xxaxxbxxcxx"));
  CHECK_FALSE(glob_match("*a*b*c*", "xxcxxbxxaxx"));
  CHECK(glob_match("*.test", "sched.test.test"));
  // Pathological input stays fast (no exponential backtracking).
  std::string many_a(200, 'a');
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*b", many_a.c_str()));
  // Typical test=<glob> bootargs.
  CHECK(glob_match("sched.*", "sched.idle_refcount"));
  CHECK_FALSE(glob_match("sched.*", "mm.buddy_split"));
  CHECK(glob_match("*refcount*", "sched.idle_refcount_constant"));
  CHECK(glob_match("mm.buddy_?", "mm.buddy_1"));
  // No escaping and no character classes: these chars are literals.
  CHECK(glob_match("[ab]", "[ab]"));
  CHECK_FALSE(glob_match("[ab]", "a"));
  CHECK(glob_match("a\\b", "a\\b"));
}

TEST_CASE("glob_match agrees with fnmatch on random input") {
  // With no flags and only '*', '?' and letters, fnmatch(3) implements the
  // same language, so it serves as the reference.
  std::mt19937 rng(42);
  const char pattern_chars[] = "ab*?";
  const char text_chars[] = "ab";
  for (int i = 0; i < 200000; ++i) {
    std::string p, t;
    for (size_t n = rng() % 8; n > 0; --n) p += pattern_chars[rng() % 4];
    for (size_t n = rng() % 10; n > 0; --n) t += text_chars[rng() % 2];
    bool want = fnmatch(p.c_str(), t.c_str(), 0) == 0;
    INFO("pattern \"" << p << "\" text \"" << t << "\"");
    REQUIRE(glob_match(p.c_str(), t.c_str()) == want);
  }
}

static_assert(glob_match("k*.t?st", "kernel.test"));
static_assert(!glob_match("k*.t?st", "kernel.tst"));
static_assert(libk::str_eq("a", "a"));

TEST_CASE("StringView basics") {
  StringView empty;
  CHECK(empty.empty());
  CHECK(empty.size() == 0);
  CHECK(empty.data() != nullptr);
  CHECK(empty == "");

  StringView s = "hello world";
  CHECK(s.size() == 11);
  CHECK(s[0] == 'h');
  CHECK(s[10] == 'd');
  CHECK(s == "hello world");
  CHECK(s != "hello");
  CHECK(s.equals(StringView("hello world, more", 11)));
  CHECK(s.starts_with("hello"));
  CHECK(s.starts_with(""));
  CHECK_FALSE(s.starts_with("world"));
  CHECK_FALSE(StringView("he").starts_with("hello"));
  CHECK(s.ends_with("world"));
  CHECK_FALSE(s.ends_with("hello"));
  CHECK(s.find('o') == 4);
  CHECK(s.find('o', 5) == 7);
  CHECK(s.find('z') == StringView::npos);
  CHECK(s.find('h', 11) == StringView::npos);
  CHECK(s.substr(6) == "world");
  CHECK(s.substr(0, 5) == "hello");
  CHECK(s.substr(6, 100) == "world");
  CHECK(s.substr(11).empty());
  std::string rebuilt;
  for (char c : s) rebuilt += c;
  CHECK(rebuilt == "hello world");

  // A view into the middle of a larger buffer is not NUL-terminated.
  const char buf[] = "key=value;";
  StringView key(buf, 3);
  CHECK(key == "key");
  CHECK(key != "key=");
}

TEST_CASE("next_token splits and skips empty tokens") {
  StringView rest = "  test=sched.*   quiet  loglevel=3 ";
  CHECK(next_token(rest, ' ') == "test=sched.*");
  CHECK(next_token(rest, ' ') == "quiet");
  StringView kv = next_token(rest, ' ');
  CHECK(kv == "loglevel=3");
  CHECK(next_token(rest, ' ').empty());
  CHECK(next_token(rest, ' ').empty());  // stays empty
  CHECK(rest.empty());

  size_t eq = kv.find('=');
  CHECK(kv.substr(0, eq) == "loglevel");
  CHECK(kv.substr(eq + 1) == "3");

  StringView path = "/proc/12/status";
  CHECK(next_token(path, '/') == "proc");
  CHECK(next_token(path, '/') == "12");
  CHECK(next_token(path, '/') == "status");
  CHECK(next_token(path, '/').empty());

  StringView one = "single";
  CHECK(next_token(one, ',') == "single");
  CHECK(one.empty());
  StringView none = ",,,";
  CHECK(next_token(none, ',').empty());
}

TEST_CASE("StaticString builds text and reports truncation") {
  StaticString<16> s;
  CHECK(s.size() == 0);
  CHECK(std::string(s.c_str()) == "");
  CHECK(StaticString<16>::capacity() == 16);
  s.append("pid ").appendf("%d", 42).append(':').append(StringView("xyz", 2));
  CHECK(std::string(s.c_str()) == "pid 42:xy");
  CHECK(s.view() == "pid 42:xy");
  CHECK(s.size() == 9);
  CHECK_FALSE(s.truncated());

  s.appendf(" %s", "abcdefghij");  // 11 more chars, room for 7
  CHECK(s.size() == 16);
  CHECK(std::string(s.c_str()) == "pid 42:xy abcdef");
  CHECK(s.truncated());
  s.append('z');
  CHECK(s.size() == 16);
  CHECK(std::string(s.c_str()) == "pid 42:xy abcdef");

  s.clear();
  CHECK(s.size() == 0);
  CHECK_FALSE(s.truncated());
  s.appendf("%05x", 0xabu);
  CHECK(std::string(s.c_str()) == "000ab");

  StaticString<4> exact(StringView("abcd"));
  CHECK(std::string(exact.c_str()) == "abcd");
  CHECK_FALSE(exact.truncated());
  exact.append("");
  CHECK_FALSE(exact.truncated());
  exact.appendf("%s", "");
  CHECK_FALSE(exact.truncated());
  exact.appendf("%d", 1);
  CHECK(exact.truncated());
  CHECK(std::string(exact.c_str()) == "abcd");

  StaticString<4> cut(StringView("abcdef"));
  CHECK(std::string(cut.c_str()) == "abcd");
  CHECK(cut.truncated());
}

TEST_CASE("StringView bounds are checked") {
  CHECK_LIBK_ASSERT("i < size_", (void)StringView("abc")[3]);
  CHECK_LIBK_ASSERT("pos <= size_", (void)StringView("abc").substr(4));
}

TEST_CASE("parse_u64 reads decimal digits and refuses overflow") {
  uint64_t v = 7;
  const char* s = "123,every=4";
  CHECK(libk::parse_u64(s, &v) == s + 3);
  CHECK(v == 123);
  CHECK(libk::parse_u64("18446744073709551615", &v) != nullptr);
  CHECK(v == UINT64_MAX);
  v = 7;
  CHECK(libk::parse_u64("18446744073709551616", &v) == nullptr);
  CHECK(libk::parse_u64("99999999999999999999", &v) == nullptr);
  CHECK(libk::parse_u64("", &v) == nullptr);
  CHECK(libk::parse_u64("-1", &v) == nullptr);
  CHECK(libk::parse_u64(",5", &v) == nullptr);
  CHECK(v == 7);
  CHECK(libk::parse_u64("0", &v) != nullptr);
  CHECK(v == 0);
}
