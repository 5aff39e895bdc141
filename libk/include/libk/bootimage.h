// Boot image: a read-only container of named files (the user programs),
// linked into the kernel and read at boot. Written by scripts/mkbootimg.
//
// Layout, all integers little endian, offsets from the image start:
//   header (16 bytes)   char magic[8] = "KEELIMG\0"; u32 version = 1; u32 count
//   count entries       char name[32]; u64 offset; u64 size     (48 bytes each)
//   file data           each file at a multiple of 4096
// The kernel places the image 4096-aligned, so a file's page-aligned bytes
// (e.g. an ELF segment whose offset is a multiple of 4096) can be mapped
// straight from it without copying.
//
// Invariants checked by BootImage::parse() (the image is untrusted):
//  * magic exact; version 1 (another version: ERR_UNSUPPORTED);
//    count <= kMaxFiles (ERR_OUT_OF_RANGE beyond); header and entry table
//    inside the image;
//  * each name: 1..31 printable ASCII chars (0x21..0x7e) other than '/',
//    then a NUL, the rest of the 32 bytes NUL too; names unique;
//  * each file: offset % 4096 == 0, offset at or after the end of the entry
//    table, offset + size <= image size (no wrap); files do not overlap
//    (an empty file overlaps nothing). Bytes after the entry table that
//    belong to no file (padding) are allowed.
// Anything else wrong is ERR_CORRUPT. parse() reads no byte at or beyond
// `size` and needs no alignment; the accessors read only validated entries.
// Pointers handed out point into the image and live as long as it does.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

struct BootFile {
  const char* name;     // NUL-terminated, inside the image
  const uint8_t* data;  // `size` bytes, inside the image
  size_t size;
};

class BootImage {
 public:
  static constexpr char kMagic[8] = {'K', 'E', 'E', 'L', 'I', 'M', 'G', '\0'};
  static constexpr uint32_t kVersion = 1;
  static constexpr size_t kHeaderSize = 16;
  static constexpr size_t kEntrySize = 48;
  static constexpr size_t kNameSize = 32;  // including the NUL: names <= 31 chars
  static constexpr size_t kMaxFiles = 256;
  static constexpr uint64_t kFileAlign = 4096;

  // Validates everything listed above. ERR_INVALID_ARGS on null.
  static Result<BootImage> parse(const void* image, size_t size);

  size_t count() const { return count_; }
  size_t size() const { return size_; }

  // The file of entry `index` (in directory order); ERR_OUT_OF_RANGE past the end.
  Result<BootFile> file(size_t index) const;
  // The file named exactly `name`: ERR_NOT_FOUND if none, ERR_INVALID_ARGS on null.
  Result<BootFile> find(const char* name) const;

 private:
  BootImage() = default;
  BootFile entry(size_t index) const;

  const uint8_t* image_ = nullptr;
  size_t size_ = 0;
  size_t count_ = 0;
};

}  // namespace libk
