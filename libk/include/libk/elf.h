// ELF64 executable reader: the kernel's view of a user program.
//
// A program is an ELF64 little-endian RISC-V ET_EXEC file. The kernel only
// needs its program headers: each PT_LOAD segment says "map memsz bytes at
// vaddr with these permissions, the first filesz of them copied (or mapped)
// from the file at offset, the rest zero". Section headers are not used:
// only their table's position is checked (inside the file, 64-byte
// entries), which also means a truncated file is always rejected.
//
// The file is untrusted input. parse_elf() checks every field it uses and
// hands back a plain summary (ElfImage); the loader needs nothing else and
// never reads the headers again. Invariants of a successful result:
//  * 1 <= segment_count <= ElfImage::kMaxSegments;
//  * every segment has memsz > 0, filesz <= memsz, offset + filesz <= size
//    and user_base <= vaddr < vaddr + memsz <= user_end (no sum wraps);
//  * vaddr % 4096 == offset % 4096, so whole pages can be mapped straight
//    from the file (if the file itself is page-aligned in memory);
//  * perms contain ELF_R and never both ELF_W and ELF_X;
//  * segments are sorted by vaddr, and no two touch the same 4 KiB page
//    (each page gets exactly one set of permissions);
//  * entry lies inside a segment with ELF_X and is 2-byte aligned (IALIGN
//    with the C extension).
// No byte at or beyond `size` is read; the data need not be aligned.
//
// Errors. The rule: a value no valid ELF file has is ERR_CORRUPT; a valid
// value that names something Keel does not run is ERR_UNSUPPORTED.
//  ERR_INVALID_ARGS   data is null, user_base >= user_end, or either bound is
//                     not a multiple of 4096;
//  ERR_CORRUPT        anything malformed or inconsistent: bad magic; unknown
//                     class, byte order or type; EI_VERSION or e_version
//                     != 1; e_ehsize != 64, e_phentsize != 56, e_shentsize
//                     != 64; e_phnum == 0; e_shnum != 0 without e_shoff;
//                     a header table overlapping the
//                     ELF header or running out of the file; no PT_LOAD;
//                     memsz == 0; filesz > memsz; segment bytes out of the
//                     file; p_align not 0, 1 or a power of two; vaddr and
//                     offset not congruent (mod 4096 and mod p_align);
//                     unknown flag bits; no R; unsorted or page-sharing
//                     segments; a segment outside [user_base, user_end);
//                     entry odd or not in an executable segment;
//  ERR_UNSUPPORTED    well-formed but not something Keel runs: ELFCLASS32,
//                     big endian, another e_machine, ET_DYN (PIE or shared
//                     object), ET_REL, ET_CORE, PT_INTERP or PT_DYNAMIC (needs
//                     a dynamic linker), the RV-E base ISA flag, extended
//                     section numbering (e_shnum == 0, e_shoff != 0);
//  ERR_OUT_OF_RANGE   a Keel limit is exceeded: e_phnum > kElfMaxPhdrs or
//                     more than ElfImage::kMaxSegments PT_LOAD entries;
//  ERR_ACCESS_DENIED  a segment is both writable and executable (W^X), kept
//                     distinct so the kernel can say why it refused.
// Checks run in a fixed order, and the first failure is returned: the ELF
// header, the program then section header table bounds, the kinds of all
// program headers (ERR_UNSUPPORTED / ERR_OUT_OF_RANGE), each PT_LOAD in file
// order, the entry point.
// Program header types other than PT_LOAD/PT_INTERP/PT_DYNAMIC (PT_NOTE,
// PT_PHDR, PT_TLS, PT_GNU_STACK, PT_RISCV_ATTRIBUTES, ...) are ignored.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

// Segment permissions as Keel spells them (NOT the ELF PF_* bit values).
enum ElfPerm : uint32_t { ELF_R = 1, ELF_W = 2, ELF_X = 4 };

// One PT_LOAD segment: memory [vaddr, vaddr + memsz) holds the file bytes
// [offset, offset + filesz) followed by zeros.
struct ElfSegment {
  uint64_t vaddr, memsz, offset, filesz;
  uint32_t perms;  // ElfPerm bits
};

struct ElfImage {
  static constexpr size_t kMaxSegments = 8;
  uint64_t entry;
  ElfSegment segments[kMaxSegments];  // sorted by vaddr
  size_t segment_count;
};

// Accepted constants and limits (exposed for tests and diagnostics).
constexpr uint16_t kElfMachineRiscv = 243;  // EM_RISCV
constexpr uint16_t kElfMaxPhdrs = 64;
constexpr uint64_t kElfPageSize = 4096;

// Parse and validate an executable for Keel user space. Every segment must lie inside
// [user_base, user_end). Returns ERR_CORRUPT for any malformed or inconsistent field
// (see the list above for the other errors).
Result<ElfImage> parse_elf(const void* data, size_t size, uint64_t user_base, uint64_t user_end);

}  // namespace libk
