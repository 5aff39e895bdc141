// Boot image reader: see libk/bootimage.h for the format and invariants.
//
// parse() checks the header, then the entry table (which it first checks
// lies inside the image), entry by entry, then every pair of entries for
// duplicate names and overlapping data (count <= 256, so at most 32640
// pairs). After that the accessors trust the table.
#include <libk/bootimage.h>

namespace libk {

namespace {

constexpr size_t kHdrVersion = 8;
constexpr size_t kHdrCount = 12;
constexpr size_t kEntFileOffset = 32;
constexpr size_t kEntFileSize = 40;

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32); }

// A name field: 1..31 printable non-'/' chars, then NULs to the end.
bool valid_name(const uint8_t* n) {
  size_t len = 0;
  while (len < BootImage::kNameSize && n[len] != 0) {
    if (n[len] < 0x21 || n[len] > 0x7e || n[len] == '/') return false;
    ++len;
  }
  if (len == 0 || len == BootImage::kNameSize) return false;
  for (size_t i = len; i < BootImage::kNameSize; ++i)
    if (n[i] != 0) return false;
  return true;
}

// Both fields are canonical (NUL-padded), so equal names are equal bytes.
bool same_name(const uint8_t* a, const uint8_t* b) {
  for (size_t i = 0; i < BootImage::kNameSize; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

Result<BootImage> BootImage::parse(const void* image, size_t size) {
  if (image == nullptr) return err(ERR_INVALID_ARGS);
  const uint8_t* p = static_cast<const uint8_t*>(image);
  if (size < kHeaderSize) return err(ERR_CORRUPT);
  for (size_t i = 0; i < sizeof(kMagic); ++i)
    if (p[i] != uint8_t(kMagic[i])) return err(ERR_CORRUPT);
  if (le32(p + kHdrVersion) != kVersion) return err(ERR_UNSUPPORTED);
  uint32_t count = le32(p + kHdrCount);
  if (count > kMaxFiles) return err(ERR_OUT_OF_RANGE);
  uint64_t table_end = kHeaderSize + uint64_t(count) * kEntrySize;  // small: no wrap
  if (table_end > size) return err(ERR_CORRUPT);

  const uint8_t* table = p + kHeaderSize;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* e = table + i * kEntrySize;
    uint64_t off = le64(e + kEntFileOffset);
    uint64_t len = le64(e + kEntFileSize);
    if (!valid_name(e)) return err(ERR_CORRUPT);
    if (off % kFileAlign != 0 || off < table_end) return err(ERR_CORRUPT);
    if (off > size || len > size - off) return err(ERR_CORRUPT);
  }
  // Pairs: unique names; [off, off + len) ranges disjoint (sums fit: both
  // ends are <= size by now).
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* a = table + i * kEntrySize;
    uint64_t a_off = le64(a + kEntFileOffset), a_end = a_off + le64(a + kEntFileSize);
    for (size_t j = i + 1; j < count; ++j) {
      const uint8_t* b = table + j * kEntrySize;
      uint64_t b_off = le64(b + kEntFileOffset), b_end = b_off + le64(b + kEntFileSize);
      if (same_name(a, b)) return err(ERR_CORRUPT);
      if (a_off < b_end && b_off < a_end) return err(ERR_CORRUPT);
    }
  }

  BootImage img;
  img.image_ = p;
  img.size_ = size;
  img.count_ = count;
  return img;
}

BootFile BootImage::entry(size_t index) const {
  const uint8_t* e = image_ + kHeaderSize + index * kEntrySize;
  return BootFile{reinterpret_cast<const char*>(e), image_ + le64(e + kEntFileOffset),
                  size_t(le64(e + kEntFileSize))};
}

Result<BootFile> BootImage::file(size_t index) const {
  if (index >= count_) return err(ERR_OUT_OF_RANGE);
  return entry(index);
}

Result<BootFile> BootImage::find(const char* name) const {
  if (name == nullptr) return err(ERR_INVALID_ARGS);
  for (size_t i = 0; i < count_; ++i) {
    const char* n = reinterpret_cast<const char*>(image_ + kHeaderSize + i * kEntrySize);
    // Stored names end within kNameSize, so this stops in bounds.
    size_t k = 0;
    while (n[k] != '\0' && n[k] == name[k]) ++k;
    if (n[k] == name[k]) return entry(i);
  }
  return err(ERR_NOT_FOUND);
}

}  // namespace libk
