// Fuzz target: the boot image reader (libk/bootimage.h).
//
// Properties checked on every input:
//  * an accepted image satisfies every invariant bootimage.h lists: count
//    <= kMaxFiles; each name a NUL-terminated 1..31-char printable, '/'-free
//    string inside its entry; each file's bytes inside the image, at a
//    multiple of 4096 from its start and after the entry table; names
//    unique; non-empty files disjoint;
//  * find(name) gives back that very file; file(count) is ERR_OUT_OF_RANGE;
//  * round trip: the files written into a fresh image (as scripts/mkbootimg
//    lays them out) parse back to the same names and bytes;
//  * errors are only the documented ones.
#include <libk/bootimage.h>
#include <string.h>

#include <vector>

#include "fuzz_check.h"

namespace {

using libk::BootFile;
using libk::BootImage;

void put_le(std::vector<uint8_t>& b, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[off + i] = uint8_t(v >> (8 * i));
}

// A canonical image holding `files`: header, entries, then each file at the
// next multiple of 4096.
std::vector<uint8_t> build(const std::vector<BootFile>& files) {
  size_t table_end = BootImage::kHeaderSize + files.size() * BootImage::kEntrySize;
  size_t off = (table_end + 4095) / 4096 * 4096;
  std::vector<size_t> offsets;
  for (const BootFile& f : files) {
    offsets.push_back(off);
    off += (f.size + 4095) / 4096 * 4096;
  }
  std::vector<uint8_t> img(off, 0);
  memcpy(img.data(), BootImage::kMagic, sizeof BootImage::kMagic);
  put_le(img, 8, BootImage::kVersion, 4);
  put_le(img, 12, files.size(), 4);
  for (size_t i = 0; i < files.size(); ++i) {
    size_t e = BootImage::kHeaderSize + i * BootImage::kEntrySize;
    memcpy(img.data() + e, files[i].name, strlen(files[i].name));
    put_le(img, e + 32, offsets[i], 8);
    put_le(img, e + 40, files[i].size, 8);
    if (files[i].size != 0) memcpy(img.data() + offsets[i], files[i].data, files[i].size);
  }
  return img;
}

void check_image(const BootImage& img, const uint8_t* data, size_t size) {
  FUZZ_CHECK(img.size() == size && img.count() <= BootImage::kMaxFiles);
  size_t table_end = BootImage::kHeaderSize + img.count() * BootImage::kEntrySize;
  FUZZ_CHECK(table_end <= size);
  std::vector<BootFile> files;
  for (size_t i = 0; i < img.count(); ++i) {
    auto f = img.file(i);
    FUZZ_CHECK(f.ok());
    const BootFile& bf = f.value();
    const uint8_t* entry = data + BootImage::kHeaderSize + i * BootImage::kEntrySize;
    FUZZ_CHECK(reinterpret_cast<const uint8_t*>(bf.name) == entry);
    FUZZ_CHECK(fuzz::string_inside(bf.name, entry, BootImage::kNameSize));
    size_t n = strlen(bf.name);
    FUZZ_CHECK(n >= 1 && n <= 31);
    for (size_t k = 0; k < n; ++k)
      FUZZ_CHECK(bf.name[k] >= 0x21 && bf.name[k] <= 0x7e && bf.name[k] != '/');
    FUZZ_CHECK(fuzz::inside(bf.data, bf.size, data, size));
    size_t off = size_t(bf.data - data);
    FUZZ_CHECK(off % BootImage::kFileAlign == 0 && off >= table_end);
    for (const BootFile& o : files) {
      FUZZ_CHECK(strcmp(o.name, bf.name) != 0);
      FUZZ_CHECK(bf.size == 0 || o.size == 0 || bf.data + bf.size <= o.data ||
                 o.data + o.size <= bf.data);
    }
    auto found = img.find(bf.name);
    FUZZ_CHECK(found.ok() && found.value().name == bf.name && found.value().data == bf.data &&
               found.value().size == bf.size);
    files.push_back(bf);
  }
  FUZZ_CHECK(img.file(img.count()).error() == ERR_OUT_OF_RANGE);
  FUZZ_CHECK(img.find("").error() == ERR_NOT_FOUND);
  FUZZ_CHECK(img.find("a/b").error() == ERR_NOT_FOUND);
  FUZZ_CHECK(img.find(nullptr).error() == ERR_INVALID_ARGS);

  // Round trip through a canonical layout (bounded: the copy is as big as
  // the files plus padding).
  std::vector<uint8_t> copy = build(files);
  auto again = BootImage::parse(copy.data(), copy.size());
  FUZZ_CHECK(again.ok() && again.value().count() == files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    BootFile g = again.value().file(i).value();
    FUZZ_CHECK(strcmp(g.name, files[i].name) == 0 && g.size == files[i].size);
    FUZZ_CHECK(g.size == 0 || memcmp(g.data, files[i].data, g.size) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FUZZ_CHECK(BootImage::parse(nullptr, size).error() == ERR_INVALID_ARGS);
  auto img = BootImage::parse(data, size);
  if (img.ok()) {
    check_image(img.value(), data, size);
  } else {
    keel_status e = img.error();
    FUZZ_CHECK(e == ERR_CORRUPT || e == ERR_UNSUPPORTED || e == ERR_OUT_OF_RANGE);
  }
  return 0;
}
