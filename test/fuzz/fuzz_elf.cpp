// Fuzz target: the ELF64 executable reader (libk/elf.h, parse_elf).
//
// Properties checked on every input, independently of elf.cpp:
//  * an accepted image satisfies every invariant elf.h lists: 1..kMaxSegments
//    segments, each with 0 < memsz, filesz <= memsz, its file bytes inside
//    the input and its memory inside the user range given (no sum wraps),
//    vaddr and offset congruent mod 4096, R and never W+X, sorted with no
//    shared page, and the entry even and inside an executable segment;
//  * the segments are exactly the file's PT_LOAD headers, in file order
//    (read here from the raw bytes: the reader reports what the file says);
//  * the result is the same on a second parse, and an image accepted for a
//    narrow user range is accepted, identically, for a wider one;
//  * errors are only the documented ones; bad arguments give ERR_INVALID_ARGS.
#include <libk/elf.h>

#include "fuzz_check.h"

namespace {

using libk::ElfImage;
using libk::ElfSegment;

// The kernel's range for a program (kernel/object/loader.cpp: USER_BASE up
// to the stack area) and a narrow one that cuts through typical programs.
constexpr uint64_t kUserBase = 0x10000;
constexpr uint64_t kUserEnd = 0x4000000000 - 0x10000 - 0x10000;
constexpr uint64_t kNarrowBase = 0x400000;
constexpr uint64_t kNarrowEnd = 0x402000;
constexpr uint64_t kPage = 4096;

uint64_t le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

bool same(const ElfImage& a, const ElfImage& b) {
  if (a.entry != b.entry || a.segment_count != b.segment_count) return false;
  for (size_t i = 0; i < a.segment_count; ++i) {
    const ElfSegment &x = a.segments[i], &y = b.segments[i];
    if (x.vaddr != y.vaddr || x.memsz != y.memsz || x.offset != y.offset || x.filesz != y.filesz ||
        x.perms != y.perms)
      return false;
  }
  return true;
}

void check_error(keel_status e) {
  FUZZ_CHECK(e == ERR_CORRUPT || e == ERR_UNSUPPORTED || e == ERR_OUT_OF_RANGE ||
             e == ERR_ACCESS_DENIED);
}

void check_image(const ElfImage& img, const uint8_t* data, size_t size, uint64_t base,
                 uint64_t end) {
  FUZZ_CHECK(img.segment_count >= 1 && img.segment_count <= ElfImage::kMaxSegments);
  bool entry_ok = false;
  for (size_t i = 0; i < img.segment_count; ++i) {
    const ElfSegment& s = img.segments[i];
    FUZZ_CHECK(s.memsz > 0 && s.filesz <= s.memsz);
    FUZZ_CHECK(s.offset <= size && s.filesz <= size - s.offset);
    FUZZ_CHECK(s.vaddr >= base && s.vaddr < end && s.memsz <= end - s.vaddr);
    FUZZ_CHECK(s.vaddr % kPage == s.offset % kPage);
    FUZZ_CHECK((s.perms & ~uint32_t(libk::ELF_R | libk::ELF_W | libk::ELF_X)) == 0);
    FUZZ_CHECK((s.perms & libk::ELF_R) != 0);
    FUZZ_CHECK((s.perms & (libk::ELF_W | libk::ELF_X)) != (libk::ELF_W | libk::ELF_X));
    if (i > 0) {
      const ElfSegment& p = img.segments[i - 1];
      FUZZ_CHECK(s.vaddr / kPage > (p.vaddr + p.memsz - 1) / kPage);
    }
    if ((s.perms & libk::ELF_X) != 0 && img.entry >= s.vaddr && img.entry - s.vaddr < s.memsz)
      entry_ok = true;
  }
  FUZZ_CHECK(entry_ok && img.entry % 2 == 0);

  // The segments are the file's PT_LOAD headers in order. The header table
  // must lie inside the file for the image to have been accepted.
  FUZZ_CHECK(size >= 64);
  uint64_t phoff = le(data + 32, 8), phnum = le(data + 56, 2);
  FUZZ_CHECK(phoff >= 64 && phoff <= size && phnum * 56 <= size - phoff);
  size_t k = 0;
  for (uint64_t i = 0; i < phnum; ++i) {
    const uint8_t* ph = data + phoff + i * 56;
    if (le(ph, 4) != 1) continue;  // PT_LOAD
    FUZZ_CHECK(k < img.segment_count);
    const ElfSegment& s = img.segments[k++];
    FUZZ_CHECK(s.offset == le(ph + 8, 8) && s.vaddr == le(ph + 16, 8) &&
               s.filesz == le(ph + 32, 8) && s.memsz == le(ph + 40, 8));
    uint32_t flags = uint32_t(le(ph + 4, 4));  // PF_X 1, PF_W 2, PF_R 4
    uint32_t perms = libk::ELF_R;
    if (flags & 2) perms |= libk::ELF_W;
    if (flags & 1) perms |= libk::ELF_X;
    FUZZ_CHECK(s.perms == perms);
  }
  FUZZ_CHECK(k == img.segment_count);
  FUZZ_CHECK(img.entry == le(data + 24, 8));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto wide = libk::parse_elf(data, size, kUserBase, kUserEnd);
  auto again = libk::parse_elf(data, size, kUserBase, kUserEnd);
  FUZZ_CHECK(wide.ok() == again.ok() && wide.error() == again.error());
  if (wide.ok()) {
    check_image(wide.value(), data, size, kUserBase, kUserEnd);
    FUZZ_CHECK(same(wide.value(), again.value()));
  } else {
    check_error(wide.error());
  }

  auto narrow = libk::parse_elf(data, size, kNarrowBase, kNarrowEnd);
  if (narrow.ok()) {
    check_image(narrow.value(), data, size, kNarrowBase, kNarrowEnd);
    FUZZ_CHECK(wide.ok() && same(narrow.value(), wide.value()));
  } else {
    check_error(narrow.error());
  }

  // Bad arguments are refused before any byte is read.
  FUZZ_CHECK(libk::parse_elf(data, size, kUserEnd, kUserBase).error() == ERR_INVALID_ARGS);
  FUZZ_CHECK(libk::parse_elf(data, size, kUserBase + 1, kUserEnd).error() == ERR_INVALID_ARGS);
  FUZZ_CHECK(libk::parse_elf(nullptr, size, kUserBase, kUserEnd).error() == ERR_INVALID_ARGS);
  return 0;
}
