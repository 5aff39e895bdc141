// Bitmaps: an array of bits packed into 64-bit words, bit i in word i / 64 at
// position i % 64.
//
// Bitmap works on storage it does not own (a uint64_t array and a bit count,
// e.g. frame-allocator metadata carved out at boot); StaticBitmap<N> carries
// its own storage. Both share one implementation, BitmapOps.
//
// Invariants:
//  - Every index passed in is < size(); a range [start, start + count) lies
//    within [0, size()). Violations hit LIBK_ASSERT rather than scribbling
//    past the storage.
//  - Bits of the last word beyond size() are never read as part of the
//    bitmap (every reader masks them), so external storage needs no special
//    tail initialisation; writers leave them untouched.
#pragma once
#include <libk/assert.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

namespace detail {

template <typename Self>
class BitmapOps {
 public:
  static constexpr size_t npos = SIZE_MAX;  // "no such bit"
  static constexpr size_t kWordBits = 64;

  static constexpr size_t words_for(size_t bits) {
    return bits / kWordBits + (bits % kWordBits != 0);
  }

  size_t size() const { return self().bit_count(); }

  bool test(size_t i) const {
    LIBK_ASSERT(i < size());
    return (words()[i / kWordBits] >> (i % kWordBits)) & 1;
  }
  void set(size_t i) {
    LIBK_ASSERT(i < size());
    words()[i / kWordBits] |= bit(i);
  }
  void clear(size_t i) {
    LIBK_ASSERT(i < size());
    words()[i / kWordBits] &= ~bit(i);
  }
  void assign(size_t i, bool value) { value ? set(i) : clear(i); }

  void set_range(size_t start, size_t count) { fill(start, count, true); }
  void clear_range(size_t start, size_t count) { fill(start, count, false); }
  void set_all() { fill(0, size(), true); }
  void clear_all() { fill(0, size(), false); }

  // First clear/set bit at an index >= from, or npos. `from` may equal size().
  size_t find_first_clear(size_t from = 0) const { return find(from, true); }
  size_t find_first_set(size_t from = 0) const { return find(from, false); }

  size_t count_set() const {
    size_t n = 0;
    for (size_t w = 0; w < words_for(size()); ++w)
      n += static_cast<size_t>(__builtin_popcountll(word(w, false)));
    return n;
  }

 private:
  const Self& self() const { return static_cast<const Self&>(*this); }
  uint64_t* words() { return static_cast<Self&>(*this).word_data(); }
  const uint64_t* words() const { return self().word_data(); }

  static constexpr uint64_t bit(size_t i) { return uint64_t{1} << (i % kWordBits); }
  // Bits [lo, hi) of a word, 0 <= lo < hi <= 64.
  static constexpr uint64_t mask(size_t lo, size_t hi) {
    uint64_t upto_hi = hi == kWordBits ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
    return upto_hi & ~((uint64_t{1} << lo) - 1);
  }

  // Word w, inverted if asked, with bits beyond size() forced to 0.
  uint64_t word(size_t w, bool invert) const {
    uint64_t v = invert ? ~words()[w] : words()[w];
    size_t valid = size() - w * kWordBits;
    return valid < kWordBits ? v & mask(0, valid) : v;
  }

  size_t find(size_t from, bool invert) const {
    LIBK_ASSERT(from <= size());
    if (from == size()) return npos;
    size_t w = from / kWordBits;
    uint64_t v = word(w, invert) & mask(from % kWordBits, kWordBits);
    const size_t nwords = words_for(size());
    while (v == 0) {
      if (++w == nwords) return npos;
      v = word(w, invert);
    }
    return w * kWordBits + static_cast<size_t>(__builtin_ctzll(v));
  }

  void fill(size_t start, size_t count, bool value) {
    LIBK_ASSERT(start <= size() && count <= size() - start);
    size_t end = start + count;
    while (start < end) {
      size_t w = start / kWordBits;
      size_t lo = start % kWordBits;
      size_t hi = end - w * kWordBits < kWordBits ? end - w * kWordBits : kWordBits;
      uint64_t m = mask(lo, hi);
      words()[w] = value ? words()[w] | m : words()[w] & ~m;
      start = w * kWordBits + hi;
    }
  }
};

}  // namespace detail

// A bitmap over caller-owned storage of at least words_for(bits) words.
class Bitmap : public detail::BitmapOps<Bitmap> {
 public:
  constexpr Bitmap() = default;
  constexpr Bitmap(uint64_t* words, size_t bits) : words_(words), bits_(bits) {}

 private:
  friend class detail::BitmapOps<Bitmap>;
  size_t bit_count() const { return bits_; }
  uint64_t* word_data() { return words_; }
  const uint64_t* word_data() const { return words_; }

  uint64_t* words_ = nullptr;
  size_t bits_ = 0;
};

// A bitmap of N bits with inline storage, initially all clear.
template <size_t N>
class StaticBitmap : public detail::BitmapOps<StaticBitmap<N>> {
 public:
  constexpr StaticBitmap() = default;

  // A Bitmap aliasing this storage, for code written against Bitmap.
  Bitmap view() { return Bitmap(words_, N); }

 private:
  friend class detail::BitmapOps<StaticBitmap<N>>;
  static constexpr size_t kWords = detail::BitmapOps<StaticBitmap<N>>::words_for(N);
  size_t bit_count() const { return N; }
  uint64_t* word_data() { return words_; }
  const uint64_t* word_data() const { return words_; }

  uint64_t words_[kWords > 0 ? kWords : 1] = {};
};

}  // namespace libk
