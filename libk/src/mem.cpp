// The C memory and string functions for freestanding builds (hosted builds
// use libc's). GCC emits calls to memcpy/memset/memmove/memcmp on its own,
// for struct copies and zeroing, so these must exist even if no code calls
// them by name.
//
// Copies and fills go a 64-bit word at a time when source and destination
// share their alignment mod 8, since RISC-V cores may trap (and OpenSBI then
// emulates, very slowly) on misaligned word access; otherwise bytewise.
#include <libk/string.h>
#include <stdint.h>

// GCC recognises byte loops as memcpy/memset/strlen and would compile these
// very functions into calls to themselves; this attribute turns that off.
#define NO_LOOP_IDIOMS [[gnu::optimize("no-tree-loop-distribute-patterns")]]
#define LIBK_MEM_FN extern "C" NO_LOOP_IDIOMS

namespace {

// A word load/store that may alias any object, as memcpy's must.
using Word = uint64_t __attribute__((may_alias));
constexpr size_t kWord = sizeof(uint64_t);

bool same_alignment(const void* a, const void* b) {
  return ((reinterpret_cast<uintptr_t>(a) ^ reinterpret_cast<uintptr_t>(b)) % kWord) == 0;
}
bool word_aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kWord == 0; }

// Safe for overlap when dst < src: every byte is read before any write at or
// above it.
NO_LOOP_IDIOMS void copy_forward(unsigned char* d, const unsigned char* s, size_t n) {
  if (same_alignment(d, s)) {
    for (; n > 0 && !word_aligned(d); --n) *d++ = *s++;
    auto* dw = reinterpret_cast<Word*>(d);
    auto* sw = reinterpret_cast<const Word*>(s);
    for (; n >= 4 * kWord; n -= 4 * kWord, dw += 4, sw += 4) {
      Word a = sw[0], b = sw[1], c = sw[2], e = sw[3];
      dw[0] = a;
      dw[1] = b;
      dw[2] = c;
      dw[3] = e;
    }
    for (; n >= kWord; n -= kWord) *dw++ = *sw++;
    d = reinterpret_cast<unsigned char*>(dw);
    s = reinterpret_cast<const unsigned char*>(sw);
  }
  for (; n > 0; --n) *d++ = *s++;
}

// Safe for overlap when dst > src: copies from the end down.
NO_LOOP_IDIOMS void copy_backward(unsigned char* d, const unsigned char* s, size_t n) {
  d += n;
  s += n;
  if (same_alignment(d, s)) {
    for (; n > 0 && !word_aligned(d); --n) *--d = *--s;
    auto* dw = reinterpret_cast<Word*>(d);
    auto* sw = reinterpret_cast<const Word*>(s);
    for (; n >= kWord; n -= kWord) *--dw = *--sw;
    d = reinterpret_cast<unsigned char*>(dw);
    s = reinterpret_cast<const unsigned char*>(sw);
  }
  for (; n > 0; --n) *--d = *--s;
}

}  // namespace

LIBK_MEM_FN void* memcpy(void* dst, const void* src, size_t n) {
  copy_forward(static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), n);
  return dst;
}

LIBK_MEM_FN void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  // Compare as integers: the buffers may be unrelated objects.
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n)
    copy_forward(d, s, n);  // dst before src, or no overlap
  else
    copy_backward(d, s, n);
  return dst;
}

LIBK_MEM_FN void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto byte = static_cast<unsigned char>(c);
  for (; n > 0 && !word_aligned(d); --n) *d++ = byte;
  auto* dw = reinterpret_cast<Word*>(d);
  const Word fill = byte * 0x0101010101010101ull;
  for (; n >= 4 * kWord; n -= 4 * kWord, dw += 4) {
    dw[0] = fill;
    dw[1] = fill;
    dw[2] = fill;
    dw[3] = fill;
  }
  for (; n >= kWord; n -= kWord) *dw++ = fill;
  d = reinterpret_cast<unsigned char*>(dw);
  for (; n > 0; --n) *d++ = byte;
  return dst;
}

LIBK_MEM_FN int memcmp(const void* a, const void* b, size_t n) {
  auto* p = static_cast<const unsigned char*>(a);
  auto* q = static_cast<const unsigned char*>(b);
  if (same_alignment(p, q)) {
    for (; n > 0 && !word_aligned(p); --n, ++p, ++q)
      if (*p != *q) return *p - *q;
    // Skip equal words; the bytewise loop below finds the first difference.
    for (; n >= kWord && *reinterpret_cast<const Word*>(p) == *reinterpret_cast<const Word*>(q);
         n -= kWord, p += kWord, q += kWord) {
    }
  }
  for (; n > 0; --n, ++p, ++q)
    if (*p != *q) return *p - *q;
  return 0;
}

LIBK_MEM_FN size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

LIBK_MEM_FN int strcmp(const char* a, const char* b) {
  for (; *a != '\0' && *a == *b; ++a, ++b) {
  }
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

LIBK_MEM_FN int strncmp(const char* a, const char* b, size_t n) {
  for (; n > 0; --n, ++a, ++b) {
    if (*a != *b || *a == '\0')
      return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
  }
  return 0;
}
