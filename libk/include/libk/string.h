// Strings without libc: the C memory/string functions, a few comparisons,
// glob matching, StringView and a fixed-capacity StaticString.
//
// The C functions (memcpy, ...) come from the host libc in hosted builds
// (LIBK_HOSTED, the native test binaries) and from libk/src/mem.cpp in
// freestanding builds; the compiler also emits calls to them for struct
// copies and zeroing, so the freestanding build must always link mem.cpp.
// Everything in namespace libk is header-only and identical in both builds.
// No function here accepts a null C string.
#pragma once
#include <libk/assert.h>
#include <libk/format.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if LIBK_HOSTED
#include <string.h>
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
}
#endif

namespace libk {

constexpr size_t cstr_len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

constexpr bool str_eq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

constexpr bool starts_with(const char* s, const char* prefix) {
  for (; *prefix != '\0'; ++s, ++prefix)
    if (*s != *prefix) return false;
  return true;
}

// Decimal digits at the start of s into *out. Returns where the digits end,
// or nullptr (and *out untouched) if s starts with no digit or the value
// does not fit 64 bits.
constexpr const char* parse_u64(const char* s, uint64_t* out) {
  uint64_t v = 0;
  const char* p = s;
  for (; *p >= '0' && *p <= '9'; ++p) {
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return nullptr;
    v = v * 10 + d;
  }
  if (p == s) return nullptr;
  *out = v;
  return p;
}

// Whole-string match where '*' matches any run of chars (including none) and
// '?' exactly one; every other char matches itself. There is no escaping.
// Iterative with one backtrack point (the latest '*'), so it needs no stack
// and takes O(len(pattern) * len(text)) time at worst: on failure after a
// '*', retrying from that '*' with one more char swallowed is enough, since
// a later '*' can absorb anything an earlier one could.
constexpr bool glob_match(const char* pattern, const char* text) {
  const char* star = nullptr;  // latest '*' seen in pattern
  const char* resume = text;   // text position that '*' will swallow next
  while (*text != '\0') {
    if (*pattern == '*') {
      star = pattern++;
      resume = text;
    } else if (*pattern != '\0' && (*pattern == '?' || *pattern == *text)) {
      ++pattern;
      ++text;
    } else if (star != nullptr) {
      pattern = star + 1;
      text = ++resume;
    } else {
      return false;
    }
  }
  while (*pattern == '*') ++pattern;
  return *pattern == '\0';
}

// A borrowed, not necessarily NUL-terminated, run of chars. The viewed chars
// must outlive the view.
class StringView {
 public:
  static constexpr size_t npos = SIZE_MAX;

  constexpr StringView() = default;
  constexpr StringView(const char* s) : data_(s), size_(cstr_len(s)) {}
  constexpr StringView(const char* s, size_t n) : data_(s), size_(n) {}

  constexpr const char* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr char operator[](size_t i) const {
    LIBK_ASSERT(i < size_);
    return data_[i];
  }
  constexpr const char* begin() const { return data_; }
  constexpr const char* end() const { return data_ + size_; }

  constexpr bool equals(StringView o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (data_[i] != o.data_[i]) return false;
    return true;
  }
  constexpr bool starts_with(StringView prefix) const {
    return prefix.size_ <= size_ && StringView(data_, prefix.size_).equals(prefix);
  }
  constexpr bool ends_with(StringView suffix) const {
    return suffix.size_ <= size_ &&
           StringView(data_ + size_ - suffix.size_, suffix.size_).equals(suffix);
  }

  // Index of the first `c` at or after `from`, or npos.
  constexpr size_t find(char c, size_t from = 0) const {
    for (size_t i = from; i < size_; ++i)
      if (data_[i] == c) return i;
    return npos;
  }

  // The chars [pos, pos + n), clipped to the end; pos may equal size().
  constexpr StringView substr(size_t pos, size_t n = npos) const {
    LIBK_ASSERT(pos <= size_);
    size_t rest = size_ - pos;
    return StringView(data_ + pos, n < rest ? n : rest);
  }

  friend constexpr bool operator==(StringView a, StringView b) { return a.equals(b); }

 private:
  const char* data_ = "";
  size_t size_ = 0;
};

// Splits off the next token of `rest` delimited by `sep`, advancing `rest`
// past it. Runs of separators count as one and empty tokens are skipped (as
// on a command line), so an empty result means no tokens are left:
//   for (StringView t; !(t = next_token(rest, ' ')).empty();) ...
constexpr StringView next_token(StringView& rest, char sep) {
  size_t start = 0;
  while (start < rest.size() && rest[start] == sep) ++start;
  size_t end = rest.find(sep, start);
  if (end == StringView::npos) end = rest.size();
  StringView token = rest.substr(start, end - start);
  rest = rest.substr(end);
  return token;
}

// Up to N chars in inline storage, always NUL-terminated. Appending past the
// capacity keeps what fits and sets truncated(), so callers can build text
// without checking every step and still learn that something was lost.
template <size_t N>
class StaticString {
 public:
  constexpr StaticString() = default;
  explicit StaticString(StringView s) { append(s); }

  const char* c_str() const { return buf_; }
  StringView view() const { return StringView(buf_, len_); }
  size_t size() const { return len_; }
  static constexpr size_t capacity() { return N; }
  bool truncated() const { return truncated_; }

  void clear() {
    len_ = 0;
    buf_[0] = '\0';
    truncated_ = false;
  }

  StaticString& append(char c) { return append(StringView(&c, 1)); }
  StaticString& append(StringView s) {
    size_t n = s.size() <= N - len_ ? s.size() : N - len_;
    for (size_t i = 0; i < n; ++i) buf_[len_ + i] = s[i];
    len_ += n;
    buf_[len_] = '\0';
    truncated_ |= n < s.size();
    return *this;
  }

  __attribute__((format(printf, 2, 3))) StaticString& appendf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = N - len_;
    size_t n = vformat(buf_ + len_, room + 1, fmt, ap);
    va_end(ap);
    len_ += n <= room ? n : room;
    truncated_ |= n > room;
    return *this;
  }

 private:
  char buf_[N + 1] = {};
  size_t len_ = 0;
  bool truncated_ = false;
};

}  // namespace libk
