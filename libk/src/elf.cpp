// ELF64 executable reader: see libk/elf.h for the rules and the errors.
//
// Fields are read bytewise (little endian) at offsets checked against `size`
// first: the ELF header once (size >= 64), the program header table once
// (e_phoff + e_phnum * 56 <= size, computed where it cannot wrap). The
// section header table is only bounds-checked, never read. Every
// address sum is checked for wrap-around before it is used.
#include <libk/elf.h>

namespace libk {

namespace {

// e_ident
constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kIdentClass = 4;
constexpr size_t kIdentData = 5;
constexpr size_t kIdentVersion = 6;
constexpr uint8_t kClass32 = 1, kClass64 = 2;
constexpr uint8_t kDataLsb = 1, kDataMsb = 2;

// ELF header field offsets (ELF64).
constexpr size_t kEhType = 16;       // u16
constexpr size_t kEhMachine = 18;    // u16
constexpr size_t kEhVersion = 20;    // u32
constexpr size_t kEhEntry = 24;      // u64
constexpr size_t kEhPhoff = 32;      // u64
constexpr size_t kEhShoff = 40;      // u64
constexpr size_t kEhFlags = 48;      // u32
constexpr size_t kEhEhsize = 52;     // u16
constexpr size_t kEhPhentsize = 54;  // u16
constexpr size_t kEhPhnum = 56;      // u16
constexpr size_t kEhShentsize = 58;  // u16
constexpr size_t kEhShnum = 60;      // u16
constexpr size_t kEhSize = 64;
constexpr size_t kShSize = 64;  // one section header

constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;
constexpr uint32_t kEfRiscvRve = 0x8;

// Program header field offsets (ELF64).
constexpr size_t kPhType = 0;     // u32
constexpr size_t kPhFlags = 4;    // u32
constexpr size_t kPhOffset = 8;   // u64
constexpr size_t kPhVaddr = 16;   // u64
constexpr size_t kPhFilesz = 32;  // u64
constexpr size_t kPhMemsz = 40;   // u64
constexpr size_t kPhAlign = 48;   // u64
constexpr size_t kPhSize = 56;

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32); }

// Validates one PT_LOAD (at `ph`) and converts it; `prev` is the previous
// accepted segment or null.
Result<ElfSegment> load_segment(const uint8_t* ph, size_t size, uint64_t user_base,
                                uint64_t user_end, const ElfSegment* prev) {
  uint32_t flags = le32(ph + kPhFlags);
  uint64_t offset = le64(ph + kPhOffset);
  uint64_t vaddr = le64(ph + kPhVaddr);
  uint64_t filesz = le64(ph + kPhFilesz);
  uint64_t memsz = le64(ph + kPhMemsz);
  uint64_t align = le64(ph + kPhAlign);

  if ((flags & ~(kPfR | kPfW | kPfX)) != 0) return err(ERR_CORRUPT);
  if (memsz == 0 || filesz > memsz) return err(ERR_CORRUPT);
  // File bytes inside the file: offset + filesz <= size, without wrapping.
  if (offset > size || filesz > size - offset) return err(ERR_CORRUPT);
  // Memory inside user space: vaddr + memsz <= user_end, without wrapping.
  if (vaddr < user_base || vaddr >= user_end || memsz > user_end - vaddr) return err(ERR_CORRUPT);
  if (align > 1 && (align & (align - 1)) != 0) return err(ERR_CORRUPT);
  if (vaddr % kElfPageSize != offset % kElfPageSize) return err(ERR_CORRUPT);
  if (align > 1 && vaddr % align != offset % align) return err(ERR_CORRUPT);
  if ((flags & kPfR) == 0) return err(ERR_CORRUPT);
  if ((flags & kPfW) != 0 && (flags & kPfX) != 0) return err(ERR_ACCESS_DENIED);
  // Sorted, and the first page of this segment lies after the last page of
  // the previous one (memsz > 0, so end - 1 cannot wrap).
  if (prev != nullptr && vaddr / kElfPageSize <= (prev->vaddr + prev->memsz - 1) / kElfPageSize)
    return err(ERR_CORRUPT);

  uint32_t perms = ELF_R;
  if ((flags & kPfW) != 0) perms |= ELF_W;
  if ((flags & kPfX) != 0) perms |= ELF_X;
  return ElfSegment{vaddr, memsz, offset, filesz, perms};
}

}  // namespace

Result<ElfImage> parse_elf(const void* data, size_t size, uint64_t user_base, uint64_t user_end) {
  if (data == nullptr || user_base >= user_end || user_base % kElfPageSize != 0 ||
      user_end % kElfPageSize != 0)
    return err(ERR_INVALID_ARGS);
  const uint8_t* f = static_cast<const uint8_t*>(data);

  // ---- ELF header ----
  if (size < kEhSize) return err(ERR_CORRUPT);
  for (size_t i = 0; i < 4; ++i)
    if (f[i] != kMagic[i]) return err(ERR_CORRUPT);
  if (f[kIdentClass] == kClass32) return err(ERR_UNSUPPORTED);
  if (f[kIdentClass] != kClass64) return err(ERR_CORRUPT);
  if (f[kIdentData] == kDataMsb) return err(ERR_UNSUPPORTED);
  if (f[kIdentData] != kDataLsb) return err(ERR_CORRUPT);
  if (f[kIdentVersion] != 1) return err(ERR_CORRUPT);

  uint16_t type = le16(f + kEhType);
  if (type == kEtDyn || type == kEtRel || type == kEtCore) return err(ERR_UNSUPPORTED);
  if (type != kEtExec) return err(ERR_CORRUPT);
  if (le16(f + kEhMachine) != kElfMachineRiscv) return err(ERR_UNSUPPORTED);
  if (le32(f + kEhVersion) != 1) return err(ERR_CORRUPT);
  if ((le32(f + kEhFlags) & kEfRiscvRve) != 0) return err(ERR_UNSUPPORTED);
  if (le16(f + kEhEhsize) != kEhSize || le16(f + kEhPhentsize) != kPhSize) return err(ERR_CORRUPT);

  // ---- program header table: after the ELF header, inside the file ----
  uint16_t phnum = le16(f + kEhPhnum);
  uint64_t phoff = le64(f + kEhPhoff);
  if (phnum == 0) return err(ERR_CORRUPT);
  if (phnum > kElfMaxPhdrs) return err(ERR_OUT_OF_RANGE);
  uint64_t table = uint64_t(phnum) * kPhSize;  // <= 64 * 56: no wrap
  if (phoff < kEhSize || phoff > size || table > size - phoff) return err(ERR_CORRUPT);
  const uint8_t* phdrs = f + phoff;

  // ---- section header table: not used, but it must lie inside the file ----
  // (e_shnum == 0 with e_shoff != 0 is extended numbering: the count is in
  // section 0, which Keel does not read.)
  uint64_t shoff = le64(f + kEhShoff);
  uint16_t shnum = le16(f + kEhShnum);
  if (shoff == 0) {
    if (shnum != 0) return err(ERR_CORRUPT);
  } else {
    if (shnum == 0) return err(ERR_UNSUPPORTED);
    if (le16(f + kEhShentsize) != kShSize) return err(ERR_CORRUPT);
    uint64_t shtable = uint64_t(shnum) * kShSize;  // <= 65535 * 64: no wrap
    if (shoff < kEhSize || shoff > size || shtable > size - shoff) return err(ERR_CORRUPT);
  }

  // Kinds first, so "needs a dynamic linker" or "too many segments" wins
  // over a detail of some segment.
  size_t loads = 0;
  for (size_t i = 0; i < phnum; ++i) {
    uint32_t pt = le32(phdrs + i * kPhSize + kPhType);
    if (pt == kPtInterp || pt == kPtDynamic) return err(ERR_UNSUPPORTED);
    if (pt == kPtLoad) ++loads;
  }
  if (loads == 0) return err(ERR_CORRUPT);
  if (loads > ElfImage::kMaxSegments) return err(ERR_OUT_OF_RANGE);

  // ---- PT_LOAD segments, in file order ----
  ElfImage img{};
  img.entry = le64(f + kEhEntry);
  for (size_t i = 0; i < phnum; ++i) {
    const uint8_t* ph = phdrs + i * kPhSize;
    if (le32(ph + kPhType) != kPtLoad) continue;
    const ElfSegment* prev = img.segment_count > 0 ? &img.segments[img.segment_count - 1] : nullptr;
    img.segments[img.segment_count++] = TRY(load_segment(ph, size, user_base, user_end, prev));
  }

  // ---- entry point: inside an executable segment, 2-byte aligned ----
  if (img.entry % 2 != 0) return err(ERR_CORRUPT);
  for (size_t i = 0; i < img.segment_count; ++i) {
    const ElfSegment& s = img.segments[i];
    if ((s.perms & ELF_X) != 0 && img.entry >= s.vaddr && img.entry - s.vaddr < s.memsz) return img;
  }
  return err(ERR_CORRUPT);
}

}  // namespace libk
