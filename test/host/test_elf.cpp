// Host tests of the ELF64 executable reader (libk/elf.h).
//
// Images are assembled in memory by ElfBuilder (ELF header + program headers
// + payload), so every field can be set to any value; a real executable
// built by the cross compiler (data/tiny.elf, see data/README.md) must give
// its exact readelf values. Every image is parsed from a heap copy of
// exactly its size, so ASan reports any read past the end. Corrupted images
// must fail or yield a result that still satisfies every documented
// invariant (re-checked independently by check_invariants()).
#include <doctest/doctest.h>
#include <libk/elf.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "test_data.h"

using libk::ElfImage;
using libk::ElfSegment;
using libk::parse_elf;

using le::put16;
using le::put32;
using le::put64;

namespace {
Bytes load(const char* name) { return load_data(name); }

constexpr uint64_t kUserBase = 0x10000;
constexpr uint64_t kUserEnd = 0x4000000000;  // Sv39 lower half
constexpr uint64_t kPage = 4096;

// ELF constants, spelled out independently of elf.cpp.
constexpr uint32_t PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4,
                   PT_SHLIB = 5, PT_PHDR = 6, PT_TLS = 7, PT_GNU_STACK = 0x6474e551,
                   PT_GNU_RELRO = 0x6474e552, PT_RISCV_ATTRIBUTES = 0x70000003;
constexpr uint32_t PF_X = 1, PF_W = 2, PF_R = 4;

struct Phdr {
  uint32_t type = PT_LOAD;
  uint32_t flags = PF_R;
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = kPage;
};

// Assembles an ELF64 file: header at 0, program headers at `phoff`, the
// rest filled with a byte pattern (the "payload"). Every field is public.
struct ElfBuilder {
  uint8_t ei_class = 2, ei_data = 1, ei_version = 1;
  uint16_t type = 2, machine = 243;
  uint32_t version = 1;
  uint64_t entry = 0;
  uint64_t phoff = 64;
  uint32_t flags = 0x5;  // RVC, double-float ABI (what gcc emits)
  uint16_t ehsize = 64, phentsize = 56, shentsize = 64;
  int phnum = -1;  // -1: ph.size()
  std::vector<Phdr> ph;
  uint64_t shoff = 0;  // section header table (contents are payload bytes)
  uint16_t shnum = 0;
  size_t file_size = 0;  // grown to hold the program header table if smaller

  Bytes build() const {
    size_t need = size_t(phoff) + ph.size() * 56;
    Bytes b(file_size > need ? file_size : need);
    for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(0x13 + i * 7);  // payload pattern
    std::memset(b.data(), 0, 64);
    b[0] = 0x7f;
    b[1] = 'E';
    b[2] = 'L';
    b[3] = 'F';
    b[4] = ei_class;
    b[5] = ei_data;
    b[6] = ei_version;
    put16(b, 16, type);
    put16(b, 18, machine);
    put32(b, 20, version);
    put64(b, 24, entry);
    put64(b, 32, phoff);
    put64(b, 40, shoff);
    put32(b, 48, flags);
    put16(b, 52, ehsize);
    put16(b, 54, phentsize);
    put16(b, 56, uint16_t(phnum >= 0 ? phnum : int(ph.size())));
    put16(b, 58, shentsize);
    put16(b, 60, shnum);
    put16(b, 62, shnum > 0 ? uint16_t(shnum - 1) : 0);
    for (size_t i = 0; i < ph.size(); ++i) {
      size_t o = size_t(phoff) + i * 56;
      put32(b, o, ph[i].type);
      put32(b, o + 4, ph[i].flags);
      put64(b, o + 8, ph[i].offset);
      put64(b, o + 16, ph[i].vaddr);
      put64(b, o + 24, ph[i].paddr);
      put64(b, o + 32, ph[i].filesz);
      put64(b, o + 40, ph[i].memsz);
      put64(b, o + 48, ph[i].align);
    }
    return b;
  }
};

// The baseline: like a real static executable. Phdr indices: 0 attributes,
// 1 text (R+X), 2 data+bss (R+W), 3 note, 4 GNU stack. Three section headers
// end the file (0x380..0x440), so every byte up to the end is needed.
constexpr size_t kText = 1, kData = 2;
constexpr size_t kSampleSize = 0x440;
ElfBuilder sample() {
  ElfBuilder e;
  e.entry = 0x400100;
  e.file_size = kSampleSize;
  e.shoff = 0x380;
  e.shnum = 3;
  e.ph.push_back({PT_RISCV_ATTRIBUTES, PF_R, 0x340, 0, 0, 0x20, 0, 1});
  e.ph.push_back({PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x400000, 0x300, 0x300, 0x1000});
  e.ph.push_back({PT_LOAD, PF_R | PF_W, 0x300, 0x401300, 0x401300, 0x40, 0x3000, 0x1000});
  e.ph.push_back({PT_NOTE, PF_R, 0x200, 0x400200, 0x400200, 0x20, 0x20, 4});
  e.ph.push_back({PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 0x10});
  return e;
}

keel_status status(const Bytes& b, uint64_t base = kUserBase, uint64_t end = kUserEnd) {
  Exact e(b);
  auto r = parse_elf(e.p.get(), e.len, base, end);
  return r.error();
}
keel_status status(const ElfBuilder& e, uint64_t base = kUserBase, uint64_t end = kUserEnd) {
  return status(e.build(), base, end);
}

// Every documented invariant of a successful result, checked from scratch.
void check_invariants(const ElfImage& img, size_t size, uint64_t base, uint64_t end) {
  REQUIRE(img.segment_count >= 1);
  REQUIRE(img.segment_count <= ElfImage::kMaxSegments);
  bool entry_ok = false;
  for (size_t i = 0; i < img.segment_count; ++i) {
    const ElfSegment& s = img.segments[i];
    REQUIRE(s.memsz > 0);
    REQUIRE(s.filesz <= s.memsz);
    REQUIRE(s.offset <= size);
    REQUIRE(s.filesz <= size - s.offset);
    REQUIRE(s.vaddr >= base);
    REQUIRE(s.vaddr < end);
    REQUIRE(s.memsz <= end - s.vaddr);
    REQUIRE(s.vaddr % kPage == s.offset % kPage);
    REQUIRE((s.perms & ~uint32_t(libk::ELF_R | libk::ELF_W | libk::ELF_X)) == 0);
    REQUIRE((s.perms & libk::ELF_R) != 0);
    REQUIRE_FALSE(((s.perms & libk::ELF_W) != 0 && (s.perms & libk::ELF_X) != 0));
    if (i > 0) {
      const ElfSegment& p = img.segments[i - 1];
      REQUIRE(s.vaddr / kPage > (p.vaddr + p.memsz - 1) / kPage);
    }
    if ((s.perms & libk::ELF_X) != 0 && img.entry >= s.vaddr && img.entry - s.vaddr < s.memsz)
      entry_ok = true;
  }
  REQUIRE(entry_ok);
  REQUIRE(img.entry % 2 == 0);
}

}  // namespace

// ---------------------------------------------------------------------------
// Valid images

TEST_CASE("sample image: segments, perms, entry") {
  Bytes b = sample().build();
  Exact e(b);
  auto r = parse_elf(e.p.get(), e.len, kUserBase, kUserEnd);
  REQUIRE(r.ok());
  const ElfImage& img = r.value();
  CHECK(img.entry == 0x400100);
  REQUIRE(img.segment_count == 2);
  CHECK(img.segments[0].vaddr == 0x400000);
  CHECK(img.segments[0].memsz == 0x300);
  CHECK(img.segments[0].offset == 0);
  CHECK(img.segments[0].filesz == 0x300);
  CHECK(img.segments[0].perms == (libk::ELF_R | libk::ELF_X));
  CHECK(img.segments[1].vaddr == 0x401300);
  CHECK(img.segments[1].memsz == 0x3000);
  CHECK(img.segments[1].offset == 0x300);
  CHECK(img.segments[1].filesz == 0x40);
  CHECK(img.segments[1].perms == (libk::ELF_R | libk::ELF_W));
  check_invariants(img, b.size(), kUserBase, kUserEnd);
}

TEST_CASE("permission bits are converted, not copied") {
  // PF_R is 4 and PF_X is 1; ELF_R is 1 and ELF_X is 4.
  struct Case {
    uint32_t pf;
    uint32_t perms;
  };
  for (Case c : {Case{PF_R, libk::ELF_R}, Case{PF_R | PF_W, libk::ELF_R | libk::ELF_W},
                 Case{PF_R | PF_X, libk::ELF_R | libk::ELF_X}}) {
    ElfBuilder e = sample();
    e.ph[kData].flags = c.pf;
    auto b = e.build();
    auto r = parse_elf(b.data(), b.size(), kUserBase, kUserEnd);
    REQUIRE(r.ok());
    CHECK(r.value().segments[1].perms == c.perms);
  }
}

TEST_CASE("real executable built by the cross compiler (data/tiny.elf)") {
  Bytes b = load("tiny.elf");
  CHECK(b.size() == 1744);
  Exact e(b);
  auto r = parse_elf(e.p.get(), e.len, kUserBase, kUserEnd);
  REQUIRE(r.ok());
  const ElfImage& img = r.value();
  CHECK(img.entry == 0x400120);
  REQUIRE(img.segment_count == 2);
  const ElfSegment& text = img.segments[0];
  CHECK(text.vaddr == 0x400000);
  CHECK(text.offset == 0);
  CHECK(text.filesz == 0x166);
  CHECK(text.memsz == 0x166);
  CHECK(text.perms == (libk::ELF_R | libk::ELF_X));
  const ElfSegment& data = img.segments[1];
  CHECK(data.vaddr == 0x401168);
  CHECK(data.offset == 0x168);
  CHECK(data.filesz == 8);
  CHECK(data.memsz == 0x2008);
  CHECK(data.perms == (libk::ELF_R | libk::ELF_W));
  check_invariants(img, b.size(), kUserBase, kUserEnd);
  // The initialised `counter = 1` is the data segment's file content.
  CHECK(b[data.offset] == 1);
  for (size_t i = 1; i < 8; ++i) CHECK(b[data.offset + i] == 0);

  // The same file with a user range that excludes part of it.
  CHECK(parse_elf(e.p.get(), e.len, 0x401000, kUserEnd).error() == ERR_CORRUPT);
  CHECK(parse_elf(e.p.get(), e.len, kUserBase, 0x402000).error() == ERR_CORRUPT);
  CHECK(parse_elf(e.p.get(), e.len, kUserBase, 0x404000).ok());  // ends at 0x403170
  CHECK(parse_elf(e.p.get(), e.len, 0x400000, 0x404000).ok());
}

TEST_CASE("boundaries that are still valid") {
  SUBCASE("segment ends exactly at the end of the file and of user space") {
    ElfBuilder e = sample();
    e.ph[kData].filesz = 0x140;  // 0x300 + 0x140 == file size
    e.ph[kData].memsz = 0x140;
    e.ph[kData].vaddr = kUserEnd - 0x1000 + 0x300;
    CHECK(status(e) == KEEL_OK);
    e.ph[kData].memsz = 0xd00;  // up to kUserEnd exactly
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("segment starts at user_base") {
    ElfBuilder e = sample();
    e.ph[kText].vaddr = kUserBase;
    e.entry = kUserBase;
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("entry at the first and the last even byte of the text") {
    ElfBuilder e = sample();
    e.entry = 0x400000;
    CHECK(status(e) == KEEL_OK);
    e.entry = 0x4002fe;
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("next segment on the very next page") {
    ElfBuilder e = sample();
    e.ph[kText].memsz = 0x1000;  // text ends at 0x401000 (exclusive)
    e.ph[kData].vaddr = 0x401300;
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("p_align 0, 1, 4096, 64 KiB (when congruent)") {
    for (uint64_t a : {uint64_t(0), uint64_t(1), uint64_t(0x1000), uint64_t(0x10000)}) {
      ElfBuilder e = sample();
      e.ph[kText].align = a;
      CHECK_MESSAGE(status(e) == KEEL_OK, "align " << a);
    }
  }
  SUBCASE("ignored program header types, even with nonsense fields") {
    for (uint32_t t : {PT_NULL, PT_NOTE, PT_SHLIB, PT_PHDR, PT_TLS, PT_GNU_STACK, PT_GNU_RELRO,
                       PT_RISCV_ATTRIBUTES, 0x12345678u}) {
      ElfBuilder e = sample();
      e.ph[0] = Phdr{t, 0xffffffff, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, 3};
      CHECK_MESSAGE(status(e) == KEEL_OK, "type " << t);
    }
  }
  SUBCASE("exactly 64 program headers and exactly 8 PT_LOAD") {
    ElfBuilder e = sample();
    e.file_size = 0x10000;
    e.ph.erase(e.ph.begin() + kData);  // keep text (index 1)
    for (int i = 0; i < 7; ++i) {
      uint64_t page = 0x2000 * uint64_t(i + 1);
      e.ph.push_back({PT_LOAD, PF_R | PF_W, page, 0x400000 + page, 0, 0x100, 0x100, 0x1000});
    }
    while (e.ph.size() < 64) e.ph.push_back({PT_NOTE, PF_R, 0, 0, 0, 0, 0, 4});
    e.phoff = 0x3000;  // a table far from the header is fine
    auto b = e.build();
    auto r = parse_elf(b.data(), b.size(), kUserBase, kUserEnd);
    REQUIRE(r.ok());
    CHECK(r.value().segment_count == 8);
    check_invariants(r.value(), b.size(), kUserBase, kUserEnd);
  }
  SUBCASE("program header table ends exactly at the end of the file") {
    ElfBuilder e = sample();
    e.phoff = kSampleSize;
    e.file_size = 0;  // build() sizes the file to the table's end
    CHECK(e.build().size() == kSampleSize + 5 * 56);
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("e_flags other than RVE do not matter") {
    for (uint32_t f : {0u, 1u, 4u, 0x10u, 0xfffffff7u}) {
      ElfBuilder e = sample();
      e.flags = f;
      CHECK_MESSAGE(status(e) == KEEL_OK, "flags " << f);
    }
  }
}

// ---------------------------------------------------------------------------
// Each check, one malformation at a time

TEST_CASE("bad arguments") {
  Bytes b = sample().build();
  CHECK(parse_elf(nullptr, b.size(), kUserBase, kUserEnd).error() == ERR_INVALID_ARGS);
  CHECK(parse_elf(b.data(), b.size(), kUserEnd, kUserEnd).error() == ERR_INVALID_ARGS);
  CHECK(parse_elf(b.data(), b.size(), kUserEnd, kUserBase).error() == ERR_INVALID_ARGS);
  CHECK(parse_elf(b.data(), b.size(), kUserBase + 1, kUserEnd).error() == ERR_INVALID_ARGS);
  CHECK(parse_elf(b.data(), b.size(), kUserBase, kUserEnd - 1).error() == ERR_INVALID_ARGS);
  // The widest range is fine.
  CHECK(parse_elf(b.data(), b.size(), 0, ~uint64_t(0) & ~(kPage - 1)).ok());
}

TEST_CASE("ELF header checks") {
  const Bytes good = sample().build();
  REQUIRE(status(good) == KEEL_OK);
  Bytes b;

  for (size_t i = 0; i < 4; ++i) {  // magic
    b = good;
    b[i] ^= 0x20;
    CHECK_MESSAGE(status(b) == ERR_CORRUPT, "magic byte " << i);
  }
  b = good;  // ELFCLASS32 is a real class, just not ours
  b[4] = 1;
  CHECK(status(b) == ERR_UNSUPPORTED);
  for (uint8_t c : {0, 3, 0xff}) {
    b = good;
    b[4] = c;
    CHECK(status(b) == ERR_CORRUPT);
  }
  b = good;  // big endian
  b[5] = 2;
  CHECK(status(b) == ERR_UNSUPPORTED);
  for (uint8_t d : {0, 3}) {
    b = good;
    b[5] = d;
    CHECK(status(b) == ERR_CORRUPT);
  }
  for (uint8_t v : {0, 2}) {  // EI_VERSION
    b = good;
    b[6] = v;
    CHECK(status(b) == ERR_CORRUPT);
  }
  b = good;  // OS ABI and padding are not checked
  b[7] = 3;
  b[15] = 0xff;
  CHECK(status(b) == KEEL_OK);

  ElfBuilder e = sample();
  e.type = 3;  // ET_DYN: PIE or shared object
  CHECK(status(e) == ERR_UNSUPPORTED);
  e.type = 1;  // ET_REL
  CHECK(status(e) == ERR_UNSUPPORTED);
  e.type = 4;  // ET_CORE
  CHECK(status(e) == ERR_UNSUPPORTED);
  for (uint16_t t : {0, 5, 0xfe00, 0xffff}) {
    e.type = t;
    CHECK_MESSAGE(status(e) == ERR_CORRUPT, "e_type " << t);
  }

  e = sample();
  e.machine = 62;  // x86-64
  CHECK(status(e) == ERR_UNSUPPORTED);
  e.machine = 0;
  CHECK(status(e) == ERR_UNSUPPORTED);

  e = sample();
  e.version = 0;
  CHECK(status(e) == ERR_CORRUPT);
  e.version = 2;
  CHECK(status(e) == ERR_CORRUPT);

  e = sample();
  e.flags = 0x5 | 0x8;  // EF_RISCV_RVE
  CHECK(status(e) == ERR_UNSUPPORTED);

  e = sample();
  e.ehsize = 52;
  CHECK(status(e) == ERR_CORRUPT);
  e.ehsize = 65;
  CHECK(status(e) == ERR_CORRUPT);
  e = sample();
  e.phentsize = 32;
  CHECK(status(e) == ERR_CORRUPT);
  e.phentsize = 57;
  CHECK(status(e) == ERR_CORRUPT);
}

TEST_CASE("program header table bounds and count") {
  ElfBuilder e = sample();
  e.phnum = 0;
  CHECK(status(e) == ERR_CORRUPT);
  e.phnum = 65;
  CHECK(status(e) == ERR_OUT_OF_RANGE);
  e.phnum = 0xffff;  // PN_XNUM (count in section 0) is not supported either
  CHECK(status(e) == ERR_OUT_OF_RANGE);
  e.phnum = 6;                  // one more than the file holds, table runs into the payload
  CHECK(status(e) == KEEL_OK);  // ... which is fine: the extra entry is payload bytes
  e.phnum = 64;                 // 64 * 56 bytes from 64 run past the 0x440-byte file
  CHECK(status(e) == ERR_CORRUPT);

  e = sample();
  e.phoff = 0;  // overlapping the ELF header
  CHECK(status(e) == ERR_CORRUPT);
  e.phoff = 63;  // overlapping only e_shstrndx's high byte, otherwise valid
  CHECK(status(e) == ERR_CORRUPT);
  e.phoff = 64;
  CHECK(status(e) == KEEL_OK);
  Bytes b = sample().build();
  put64(b, 32, 63);
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, b.size() - 5 * 56 + 1);  // last entry one byte short
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, b.size() - 5 * 56);  // exactly fits (contents are payload: no PT_LOAD)
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, b.size());
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, b.size() + 1);
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, ~uint64_t(0) - 100);  // phoff + table wraps around 2^64
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, 32, ~uint64_t(0));
  CHECK(status(b) == ERR_CORRUPT);
}

TEST_CASE("section header table bounds") {
  ElfBuilder e = sample();
  e.shoff = 0;
  e.shnum = 0;
  CHECK(status(e) == KEEL_OK);  // none at all is fine
  e.shentsize = 0;              // ... and then e_shentsize does not matter
  CHECK(status(e) == KEEL_OK);
  e.shnum = 3;  // entries but no table
  CHECK(status(e) == ERR_CORRUPT);

  e = sample();
  e.shnum = 0;  // extended numbering (count in section 0)
  CHECK(status(e) == ERR_UNSUPPORTED);
  e = sample();
  e.shentsize = 40;
  CHECK(status(e) == ERR_CORRUPT);
  e.shentsize = 65;
  CHECK(status(e) == ERR_CORRUPT);
  e = sample();
  e.shnum = 4;  // one entry past the end
  CHECK(status(e) == ERR_CORRUPT);
  for (uint64_t off : {uint64_t(8), uint64_t(63), uint64_t(0x381), uint64_t(kSampleSize),
                       ~uint64_t(0) - 0x40, ~uint64_t(0)}) {
    e = sample();
    e.shoff = off;
    CHECK_MESSAGE(status(e) == ERR_CORRUPT, "e_shoff " << off);
  }
  e = sample();  // the table may sit anywhere after the header
  e.shoff = 64;
  CHECK(status(e) == KEEL_OK);
  e.shnum = 1;
  e.shoff = kSampleSize - 64;
  CHECK(status(e) == KEEL_OK);
}

TEST_CASE("segment kinds and counts") {
  SUBCASE("no PT_LOAD") {
    ElfBuilder e = sample();
    e.ph[kText].type = PT_NOTE;
    e.ph[kData].type = PT_NOTE;
    CHECK(status(e) == ERR_CORRUPT);
  }
  SUBCASE("nine PT_LOAD") {
    ElfBuilder e = sample();
    e.file_size = 0x20000;
    for (int i = 0; i < 7; ++i) {
      uint64_t page = 0x2000 * uint64_t(i + 3);
      e.ph.push_back({PT_LOAD, PF_R, page, 0x400000 + page, 0, 0x10, 0x10, 0x1000});
    }
    CHECK(status(e) == ERR_OUT_OF_RANGE);
    e.ph.pop_back();
    CHECK(status(e) == KEEL_OK);
  }
  SUBCASE("PT_INTERP or PT_DYNAMIC: needs a dynamic linker") {
    for (uint32_t t : {PT_INTERP, PT_DYNAMIC}) {
      ElfBuilder e = sample();
      e.ph[3].type = t;
      CHECK(status(e) == ERR_UNSUPPORTED);
      e.ph[kText].memsz = 0;  // kinds are checked before segment details
      CHECK(status(e) == ERR_UNSUPPORTED);
      e.ph.push_back(e.ph[kData]);  // ... and before the PT_LOAD limit
      for (int i = 0; i < 8; ++i) e.ph.push_back(e.ph[kData]);
      CHECK(status(e) == ERR_UNSUPPORTED);
    }
  }
}

TEST_CASE("PT_LOAD field checks") {
  auto with = [](auto&& edit) {
    ElfBuilder e = sample();
    edit(e.ph[kData], e);
    return status(e);
  };
  using P = Phdr&;
  using E = ElfBuilder&;
  // Sizes.
  CHECK(with([](P p, E) { p.memsz = 0, p.filesz = 0; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.filesz = p.memsz + 1; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.filesz = 0; }) == KEEL_OK);  // pure bss
  // File range.
  CHECK(with([](P p, E) { p.filesz = 0x141; }) == ERR_CORRUPT);  // one past the end
  CHECK(with([](P p, E) { p.filesz = 0x140; }) == KEEL_OK);
  CHECK(with([](P p, E) {
          p.offset = 0x2300;  // past the file, even with nothing to read
          p.filesz = 0;
        }) == ERR_CORRUPT);
  CHECK(with([](P p, E) {  // offset + filesz wraps to a small number
          p.offset = 0xfffffffffffff300;
          p.filesz = 0x1000;
          p.memsz = 0x3000;
        }) == ERR_CORRUPT);
  CHECK(with([](P p, E) {
          p.filesz = ~uint64_t(0) - 0x2ff;  // 0x300 + filesz == 2^64
          p.memsz = ~uint64_t(0);
        }) == ERR_CORRUPT);
  // Address range (the text segment is the lowest, so it can go below base).
  for (uint64_t va : {kUserBase - 0x1000, uint64_t(0)}) {
    ElfBuilder e = sample();
    e.ph[kText].vaddr = va;
    e.entry = va + 0x100;
    CHECK_MESSAGE(status(e) == ERR_CORRUPT, "text at " << va);
    e.ph[kText].vaddr = kUserBase;
    e.entry = kUserBase + 0x100;
    CHECK(status(e) == KEEL_OK);
  }
  CHECK(with([](P p, E) { p.vaddr = kUserEnd + 0x300; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.vaddr = kUserEnd - 0x1000 + 0x300, p.memsz = 0xd01; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.vaddr = 0xfffffffffffff300; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.memsz = ~uint64_t(0); }) == ERR_CORRUPT);
  // Wrap-around with a range reaching the top of the address space.
  {
    ElfBuilder e = sample();
    e.ph[kData].vaddr = 0xffffffffffffe300;
    e.ph[kData].memsz = 0x2000;  // ends at 2^64 + 0x300
    CHECK(status(e, 0, 0xfffffffffffff000) == ERR_CORRUPT);
    e.ph[kData].memsz = 0xd00;
    CHECK(status(e, 0, 0xfffffffffffff000) == KEEL_OK);
  }
  // Alignment.
  CHECK(with([](P p, E) { p.vaddr += 8; }) == ERR_CORRUPT);  // vaddr % 4096 != offset % 4096
  CHECK(with([](P p, E) { p.offset = 0x308; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.vaddr = 0x402300; }) == KEEL_OK);  // any page, same page offset
  for (uint64_t a : {uint64_t(3), uint64_t(0x1800), uint64_t(0x1001), ~uint64_t(0)})
    CHECK_MESSAGE(with([a](P p, E) { p.align = a; }) == ERR_CORRUPT, "align " << a);
  CHECK(with([](P p, E) { p.align = 0x10000; }) == ERR_CORRUPT);  // 0x1300 vs 0x300 mod 64K
  CHECK(with([](P p, E) { p.align = 0x10000, p.vaddr = 0x410300; }) == KEEL_OK);
  CHECK(with([](P p, E) { p.align = uint64_t(1) << 63; }) == ERR_CORRUPT);
  // vaddr - offset is 0x401000 = 4096 * 5 * 5 * 41: congruent modulo 0x5000,
  // so only the power-of-two rule rejects that.
  CHECK(with([](P p, E) { p.align = 0x5000; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.align = 0x1000 * 41; }) == ERR_CORRUPT);
  // With p_align 0 or 1 the page rule still applies.
  CHECK(with([](P p, E) { p.align = 1, p.vaddr += 8; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.align = 0, p.offset -= 0x100; }) == ERR_CORRUPT);
  // Permissions.
  CHECK(with([](P p, E) { p.flags = PF_W; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.flags = 0; }) == ERR_CORRUPT);
  CHECK(with([](P p, E e) {
          p.flags = PF_X;
          e.entry = 0x401300;
        }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.flags = PF_R | 8; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.flags = PF_R | 0x80000000u; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.flags = PF_R | 0x00100000u; }) == ERR_CORRUPT);
  CHECK(with([](P p, E) { p.flags = PF_R | PF_W | PF_X; }) == ERR_ACCESS_DENIED);
  CHECK(with([](P p, E) { p.flags = PF_W | PF_X; }) == ERR_CORRUPT);  // no R comes first
  {
    ElfBuilder e = sample();  // W+X on the text segment too
    e.ph[kText].flags = PF_R | PF_W | PF_X;
    CHECK(status(e) == ERR_ACCESS_DENIED);
  }
}

TEST_CASE("segment order and page overlap") {
  SUBCASE("unsorted") {
    ElfBuilder e = sample();
    std::swap(e.ph[kText], e.ph[kData]);
    CHECK(status(e) == ERR_CORRUPT);
  }
  SUBCASE("sharing a page") {
    ElfBuilder e = sample();
    e.ph[kData].vaddr = 0x400300;  // text ends at 0x400300, same page
    CHECK(status(e) == ERR_CORRUPT);
    e.ph[kText].memsz = 0x1000;  // text ends at 0x401000; data starts on that page
    e.ph[kData].vaddr = 0x401300;
    CHECK(status(e) == KEEL_OK);
    e.ph[kText].memsz = 0x1001;  // text's last byte is on data's first page
    CHECK(status(e) == ERR_CORRUPT);
  }
  SUBCASE("same vaddr, fully overlapping") {
    ElfBuilder e = sample();
    e.ph[kData].vaddr = 0x400300;
    e.ph[kData].offset = 0x300;
    e.ph[kText].memsz = 0x2000;
    CHECK(status(e) == ERR_CORRUPT);
  }
  SUBCASE("a later segment inside an earlier one's pages") {
    ElfBuilder e = sample();
    e.ph[kText].memsz = 0x10000;
    CHECK(status(e) == ERR_CORRUPT);
  }
}

TEST_CASE("entry point") {
  ElfBuilder e = sample();
  e.entry = 0x401300;  // in the data segment (not executable)
  CHECK(status(e) == ERR_CORRUPT);
  e.entry = 0x400300;  // one past the text
  CHECK(status(e) == ERR_CORRUPT);
  e.entry = 0x3ffffe;  // just before it
  CHECK(status(e) == ERR_CORRUPT);
  e.entry = 0x400101;  // odd
  CHECK(status(e) == ERR_CORRUPT);
  e.entry = 0;
  CHECK(status(e) == ERR_CORRUPT);
  e.entry = 0x4002fe;
  CHECK(status(e) == KEEL_OK);
}

// ---------------------------------------------------------------------------
// Robustness: truncation, byte flips, random field corruption

TEST_CASE("every truncation is rejected") {
  for (const Bytes& b : {sample().build(), load("tiny.elf")}) {
    REQUIRE(status(b) == KEEL_OK);
    for (size_t len = 0; len < b.size(); ++len) {
      Exact e(b.data(), len);
      auto r = parse_elf(e.p.get(), e.len, kUserBase, kUserEnd);
      REQUIRE_MESSAGE(r.error() == ERR_CORRUPT, "len " << len << " of " << b.size());
    }
  }
}

TEST_CASE("every byte flipped: error, or a result that keeps every invariant") {
  struct Job {
    const char* what;
    Bytes bytes;
  };
  const Job jobs[] = {{"sample", sample().build()}, {"tiny.elf", load("tiny.elf")}};
  for (const Job& job : jobs) {
    size_t parsed = 0, failed = 0;
    for (uint8_t pat : {uint8_t(0xff), uint8_t(0x01)}) {
      for (size_t i = 0; i < job.bytes.size(); ++i) {
        Exact e(job.bytes);
        e.p[i] ^= pat;
        auto r = parse_elf(e.p.get(), e.len, kUserBase, kUserEnd);
        if (r.ok()) {
          ++parsed;
          check_invariants(r.value(), e.len, kUserBase, kUserEnd);
        } else {
          ++failed;
          keel_status s = r.error();
          REQUIRE_MESSAGE((s == ERR_CORRUPT || s == ERR_UNSUPPORTED || s == ERR_OUT_OF_RANGE ||
                           s == ERR_ACCESS_DENIED),
                          job.what << " byte " << i << " ^ " << int(pat) << ": " << s);
        }
      }
    }
    MESSAGE(std::string(job.what) << ": " << parsed << " flipped images parsed, " << failed
                                  << " rejected");
    CHECK(parsed > 0);
    CHECK(failed > 0);
  }
}

TEST_CASE("pseudo-random program header corruption") {
  // Rewrites random 64-bit fields of the header and program header table
  // with values near the interesting ones (page multiples, small numbers,
  // values near 2^64, copies of other fields).
  const Bytes good = load("tiny.elf");
  const size_t table_end = 64 + 4 * 56;
  XorShift rnd{0x9e3779b97f4a7c15ull};
  size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = good;
    int n = 1 + int(rnd() % 3);
    for (int k = 0; k < n; ++k) {
      size_t pos = size_t(rnd() % (table_end - 8)) & ~size_t(3);
      uint64_t v;
      switch (rnd() % 5) {
        case 0:
          v = rnd() % 0x5000;
          break;
        case 1:
          v = (rnd() % 0x1000) * kPage + 0x400000;
          break;
        case 2:
          v = ~uint64_t(0) - rnd() % 0x3000;
          break;
        case 3: {
          size_t from = size_t(rnd() % (table_end - 8));
          std::memcpy(&v, good.data() + from, 8);
          break;
        }
        default:
          v = rnd();
          break;
      }
      put64(b, pos, v);
    }
    Exact e(b);
    auto r = parse_elf(e.p.get(), e.len, kUserBase, kUserEnd);
    if (r.ok()) {
      ++parsed;
      check_invariants(r.value(), e.len, kUserBase, kUserEnd);
    } else {
      keel_status s = r.error();
      REQUIRE((s == ERR_CORRUPT || s == ERR_UNSUPPORTED || s == ERR_OUT_OF_RANGE ||
               s == ERR_ACCESS_DENIED));
    }
  }
  MESSAGE(parsed << " of 20000 randomly corrupted images parsed");
}
