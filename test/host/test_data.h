// Helpers shared by the host tests of parsers of untrusted binary data
// (DTB, ELF, boot image): reading test files, exact-size heap copies so that
// ASan sees any overread, and little-endian field writers for building
// malformed inputs by hand.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using Bytes = std::vector<uint8_t>;

inline Bytes read_file(const std::string& path) {
  Bytes out;
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(f != nullptr, "cannot open " << path);
  uint8_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return out;
}

inline void write_file(const std::string& path, const Bytes& b) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE_MESSAGE(f != nullptr, "cannot create " << path);
  if (!b.empty()) REQUIRE(std::fwrite(b.data(), 1, b.size(), f) == b.size());
  std::fclose(f);
}

// A file from test/host/data (or from $KEEL_TEST_DATA_DIR when set; the
// tests run with test/host as their working directory).
inline Bytes load_data(const char* name) {
  const char* dir = std::getenv("KEEL_TEST_DATA_DIR");
  return read_file(std::string(dir != nullptr ? dir : "data") + "/" + name);
}

// A heap copy of exactly `len` bytes, so reading one byte more is an ASan error.
struct Exact {
  std::unique_ptr<uint8_t[]> p;
  size_t len;
  Exact(const uint8_t* src, size_t n) : p(new uint8_t[n == 0 ? 1 : n]), len(n) {
    if (n != 0) std::memcpy(p.get(), src, n);
  }
  explicit Exact(const Bytes& b) : Exact(b.data(), b.size()) {}
};

// A small deterministic generator for corruption tests (xorshift64).
struct XorShift {
  uint64_t x;
  uint64_t operator()() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
};

// Little-endian fields (ELF, boot image).
namespace le {
inline void put16(Bytes& b, size_t off, uint16_t v) {
  for (size_t i = 0; i < 2; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
inline void put32(Bytes& b, size_t off, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
inline void put64(Bytes& b, size_t off, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
inline uint64_t get64(const Bytes& b, size_t off) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t(b[off + i]) << (8 * i);
  return v;
}
}  // namespace le
