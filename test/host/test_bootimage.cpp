// Host tests of the boot image reader (libk/bootimage.h) and its packer
// (scripts/mkbootimg).
//
// pack() below builds images in memory exactly as the script does (a test
// checks they are byte-identical); malformed images are pack() output with
// fields patched. Images are parsed from a heap copy of exactly their size,
// so ASan reports any read past the end. The script is run with
// std::system from the working directory test/host (as meson runs it).
#include <doctest/doctest.h>
#include <libk/bootimage.h>
#include <libk/elf.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_data.h"

using libk::BootFile;
using libk::BootImage;

using le::get64;
using le::put32;
using le::put64;

namespace {

using Files = std::vector<std::pair<std::string, Bytes>>;

constexpr size_t kHdr = 16, kEnt = 48, kAlign = 4096;

size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Entry i's fields.
size_t name_at(size_t i) { return kHdr + i * kEnt; }
size_t offset_at(size_t i) { return kHdr + i * kEnt + 32; }
size_t size_at(size_t i) { return kHdr + i * kEnt + 40; }

// The packer's layout, in C++ (names are copied raw, whatever they are).
Bytes pack(const Files& files) {
  size_t off = align_up(kHdr + kEnt * files.size());
  std::vector<size_t> offs;
  for (const auto& f : files) {
    offs.push_back(off);
    off = align_up(off + f.second.size());
  }
  Bytes b(off, 0);
  std::memcpy(b.data(), "KEELIMG", 8);
  put32(b, 8, 1);
  put32(b, 12, uint32_t(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    std::memcpy(b.data() + name_at(i), files[i].first.data(),
                std::min<size_t>(files[i].first.size(), 32));
    put64(b, offset_at(i), offs[i]);
    put64(b, size_at(i), files[i].second.size());
    if (!files[i].second.empty())
      std::memcpy(b.data() + offs[i], files[i].second.data(), files[i].second.size());
  }
  return b;
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 13 + (i >> 8));
  return b;
}

// Three files: one page exactly, an empty one, and one that does not end on
// a page (so the image ends with padding).
Files sample_files() {
  return {{"init", pattern(4096, 1)}, {"empty", {}}, {"shell", pattern(5000, 7)}};
}

keel_status status(const Bytes& b) {
  Exact e(b);
  auto r = BootImage::parse(e.p.get(), e.len);
  return r.error();
}

// Every documented invariant of a parsed image, checked from scratch, and
// every accessor exercised.
void check_invariants(const BootImage& img, const uint8_t* base, size_t size) {
  REQUIRE(img.count() <= BootImage::kMaxFiles);
  std::set<std::string> names;
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t i = 0; i < img.count(); ++i) {
    auto r = img.file(i);
    REQUIRE(r.ok());
    const BootFile& f = r.value();
    size_t nlen = strnlen(f.name, 32);
    REQUIRE(nlen >= 1);
    REQUIRE(nlen <= 31);
    for (size_t k = 0; k < nlen; ++k) {
      REQUIRE(f.name[k] > 0x20);
      REQUIRE(f.name[k] < 0x7f);
      REQUIRE(f.name[k] != '/');
    }
    REQUIRE(names.insert(f.name).second);
    REQUIRE(f.data >= base + kHdr + img.count() * kEnt);
    size_t off = size_t(f.data - base);
    REQUIRE(off % kAlign == 0);
    REQUIRE(off <= size);
    REQUIRE(f.size <= size - off);
    for (const auto& [o, s] : ranges) REQUIRE((off + f.size <= o || o + s <= off));
    ranges.push_back({off, f.size});
    auto found = img.find(f.name);
    REQUIRE(found.ok());
    REQUIRE(found.value().data == f.data);
  }
  REQUIRE(img.file(img.count()).error() == ERR_OUT_OF_RANGE);
  REQUIRE(img.find("no-such-file").error() == ERR_NOT_FOUND);
}

// A temporary directory removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/keel-bootimage-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// Runs scripts/mkbootimg with `args`; returns its exit status, stderr in `err`.
int mkbootimg(const TempDir& dir, const std::string& args, std::string* err = nullptr) {
  std::string errfile = dir / "stderr.txt";
  std::string cmd = "python3 ../../scripts/mkbootimg " + args + " 2>" + errfile;
  int rc = std::system(cmd.c_str());
  REQUIRE(rc != -1);
  if (err != nullptr) {
    Bytes e = read_file(errfile);
    err->assign(e.begin(), e.end());
  }
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

}  // namespace

// ---------------------------------------------------------------------------
// Valid images

TEST_CASE("in-memory image: files, lookup, alignment") {
  Files files = sample_files();
  Bytes b = pack(files);
  CHECK(b.size() == 4 * 4096);  // table page, init, (empty), shell's two pages
  Exact e(b);
  auto r = BootImage::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const BootImage& img = r.value();
  REQUIRE(img.count() == 3);
  CHECK(img.size() == b.size());
  for (size_t i = 0; i < files.size(); ++i) {
    auto f = img.file(i);
    REQUIRE(f.ok());
    CHECK(std::string(f.value().name) == files[i].first);
    CHECK(f.value().size == files[i].second.size());
    CHECK((f.value().data - e.p.get()) % 4096 == 0);
    CHECK(Bytes(f.value().data, f.value().data + f.value().size) == files[i].second);
    auto g = img.find(files[i].first.c_str());
    REQUIRE(g.ok());
    CHECK(g.value().data == f.value().data);
    CHECK(g.value().name == f.value().name);  // points into the image
  }
  CHECK(img.file(1).value().data - e.p.get() == 8192);  // empty: where the next file starts
  CHECK(img.file(2).value().data - e.p.get() == 8192);
  CHECK(img.file(3).error() == ERR_OUT_OF_RANGE);
  CHECK(img.file(~size_t(0)).error() == ERR_OUT_OF_RANGE);
  CHECK(img.find("ini").error() == ERR_NOT_FOUND);
  CHECK(img.find("init2").error() == ERR_NOT_FOUND);
  CHECK(img.find("").error() == ERR_NOT_FOUND);
  CHECK(img.find("INIT").error() == ERR_NOT_FOUND);
  CHECK(img.find(nullptr).error() == ERR_INVALID_ARGS);
  check_invariants(img, e.p.get(), e.len);
}

TEST_CASE("edge cases that are valid") {
  SUBCASE("no files") {
    Bytes b = pack({});
    CHECK(b.size() == 4096);
    auto r = BootImage::parse(b.data(), b.size());
    REQUIRE(r.ok());
    CHECK(r.value().count() == 0);
    CHECK(r.value().file(0).error() == ERR_OUT_OF_RANGE);
    CHECK(r.value().find("init").error() == ERR_NOT_FOUND);
    CHECK(status(Bytes(b.begin(), b.begin() + 16)) == KEEL_OK);  // just the header
  }
  SUBCASE("256 files, 31-char names, all printable characters") {
    Files files;
    for (int i = 0; i < 256; ++i) {
      std::string name = "f" + std::to_string(i);
      if (i == 0) name = std::string(31, 'x');
      if (i == 1) name = "!\"#$%&'()*+,-.0123456789:;<=>?@";
      if (i == 2) name = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_";
      if (i == 3) name = "`abcdefghijklmnopqrstuvwxyz{|}~";
      files.push_back({name, pattern(size_t(i) * 3, uint8_t(i))});
    }
    Bytes b = pack(files);
    Exact e(b);
    auto r = BootImage::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(r.value().count() == 256);
    check_invariants(r.value(), e.p.get(), e.len);
    CHECK(r.value().find(std::string(31, 'x').c_str()).value().size == 0);
    CHECK(r.value().find("f255").value().size == 765);
  }
  SUBCASE("files out of order, at any disjoint page offsets, with gaps") {
    Files files = sample_files();
    Bytes b = pack(files);
    b.resize(b.size() + 3 * 4096);
    put64(b, offset_at(0), 0x6000);  // init moves behind shell
    std::memcpy(b.data() + 0x6000, files[0].second.data(), 4096);
    CHECK(status(b) == KEEL_OK);
    put64(b, offset_at(1), b.size());  // empty file at the very end
    CHECK(status(b) == KEEL_OK);
    put64(b, offset_at(1), 0x1000);  // empty file at another file's start
    CHECK(status(b) == KEEL_OK);
  }
  SUBCASE("trailing padding beyond the last file may be cut") {
    Bytes b = pack(sample_files());
    size_t end = 0x2000 + 5000;  // shell's last byte + 1
    for (size_t len = end; len <= b.size(); ++len)
      REQUIRE_MESSAGE(status(Bytes(b.begin(), b.begin() + ptrdiff_t(len))) == KEEL_OK, len);
  }
}

// ---------------------------------------------------------------------------
// Each check, one malformation at a time

TEST_CASE("header") {
  const Bytes good = pack(sample_files());
  CHECK(BootImage::parse(nullptr, 4096).error() == ERR_INVALID_ARGS);
  Bytes b;
  for (size_t i = 0; i < 8; ++i) {
    b = good;
    b[i] ^= 0x01;
    CHECK_MESSAGE(status(b) == ERR_CORRUPT, "magic byte " << i);
  }
  for (uint32_t v : {0u, 2u, 0x01000000u, 0xffffffffu}) {
    b = good;
    put32(b, 8, v);
    CHECK_MESSAGE(status(b) == ERR_UNSUPPORTED, "version " << v);
  }
  for (uint32_t c : {257u, 0x10000u, 0x80000000u, 0xffffffffu}) {
    b = good;
    put32(b, 12, c);
    CHECK_MESSAGE(status(b) == ERR_OUT_OF_RANGE, "count " << c);
  }
  b = good;  // count 256 but the image is too short for the table
  put32(b, 12, 256);
  b.resize(kHdr + 256 * kEnt - 1);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // more entries claimed than written: the next "entry" is zeros
  put32(b, 12, 4);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // fewer entries: fine, the rest is ignored padding
  put32(b, 12, 2);
  CHECK(status(b) == KEEL_OK);
}

TEST_CASE("names") {
  const Bytes good = pack(sample_files());
  REQUIRE(status(good) == KEEL_OK);
  Bytes b;
  b = good;  // no NUL in all 32 bytes
  std::memset(b.data() + name_at(1), 'a', 32);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // 31 chars + NUL is the longest
  std::memset(b.data() + name_at(1), 'a', 31);
  CHECK(status(b) == KEEL_OK);
  b = good;  // empty
  std::memset(b.data() + name_at(1), 0, 32);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // empty, with junk after the NUL
  b[name_at(1)] = 0;
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // junk after the terminating NUL
  b[name_at(1) + 20] = 'x';
  CHECK(status(b) == ERR_CORRUPT);
  b = good;
  b[name_at(1) + 31] = 1;
  CHECK(status(b) == ERR_CORRUPT);
  for (uint8_t c : {uint8_t('/'), uint8_t(' '), uint8_t('\t'), uint8_t('\n'), uint8_t(0x01),
                    uint8_t(0x7f), uint8_t(0x80), uint8_t(0xff)}) {
    b = good;
    b[name_at(1) + 2] = c;  // "em?ty"
    CHECK_MESSAGE(status(b) == ERR_CORRUPT, "char " << int(c));
  }
  b = good;  // duplicate names
  std::memcpy(b.data() + name_at(2), b.data() + name_at(0), 32);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // a name that extends another is not a duplicate
  std::memcpy(b.data() + name_at(2), "init2", 5);
  CHECK(status(b) == KEEL_OK);
}

TEST_CASE("offsets and sizes") {
  const Bytes good = pack(sample_files());
  Bytes b;
  for (uint64_t delta : {uint64_t(1), uint64_t(8), uint64_t(0x800), uint64_t(0xfff)}) {
    b = good;  // misaligned
    put64(b, offset_at(0), 0x1000 + delta);
    put64(b, size_at(0), 16);
    CHECK_MESSAGE(status(b) == ERR_CORRUPT, "offset 0x1000 + " << delta);
  }
  b = good;  // inside the entry table (offset 0 is aligned)
  put64(b, offset_at(0), 0);
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, size_at(0), 0);  // ... even when empty
  CHECK(status(b) == ERR_CORRUPT);
  {
    // With 100 entries the table spans two pages: a file at 0x1000 overlaps it.
    Files many;
    for (int i = 0; i < 100; ++i) many.push_back({"f" + std::to_string(i), Bytes{}});
    Bytes m = pack(many);
    REQUIRE(status(m) == KEEL_OK);
    put64(m, offset_at(99), 0x1000);
    CHECK(status(m) == ERR_CORRUPT);
    put64(m, offset_at(99), 0x2000);
    CHECK(status(m) == KEEL_OK);
  }
  b = good;  // past the end
  put64(b, size_at(2), 2 * 4096 + 1);
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, size_at(2), 2 * 4096);  // exactly to the end
  CHECK(status(b) == KEEL_OK);
  b = good;
  put64(b, offset_at(1), good.size() + 4096);  // empty, but starting past the end
  CHECK(status(b) == ERR_CORRUPT);
  for (uint64_t sz : {~uint64_t(0), ~uint64_t(0) - 0xfff, uint64_t(1) << 63}) {
    b = good;  // offset + size wraps around 2^64
    put64(b, size_at(2), sz);
    CHECK(status(b) == ERR_CORRUPT);
  }
  b = good;
  put64(b, offset_at(2), ~uint64_t(0) & ~uint64_t(0xfff));
  CHECK(status(b) == ERR_CORRUPT);
}

TEST_CASE("overlapping files") {
  const Bytes good = pack(sample_files());
  Bytes b;
  b = good;  // two files at one offset
  put64(b, offset_at(2), 0x1000);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // init grows by one byte into shell
  put64(b, size_at(0), 4097);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // shell (0x2000..) starts inside init grown to 3 pages
  put64(b, size_at(0), 3 * 4096);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;  // one file entirely inside another
  put64(b, offset_at(0), 0x3000);
  put64(b, size_at(0), 16);
  CHECK(status(b) == ERR_CORRUPT);
  b = good;                      // a later file's last byte is an earlier file's first byte
  put64(b, size_at(2), 0x1001);  // shell: 0x2000..0x3001
  put64(b, offset_at(0), 0x3000);
  put64(b, size_at(0), 16);
  CHECK(status(b) == ERR_CORRUPT);
  put64(b, size_at(2), 0x1000);  // touching is not overlapping
  CHECK(status(b) == KEEL_OK);
  b = good;  // a non-empty file inside an empty one's position is fine...
  put64(b, offset_at(1), 0x2000);
  CHECK(status(b) == KEEL_OK);
  put64(b, size_at(1), 1);  // ... but not once it has a byte
  CHECK(status(b) == ERR_CORRUPT);
}

// ---------------------------------------------------------------------------
// Robustness

TEST_CASE("every truncation that cuts into the table or a file is rejected") {
  struct Job {
    Bytes image;
    size_t end;  // last byte of the last file, + 1
  };
  const Job jobs[] = {{pack(sample_files()), 0x2000 + 5000},
                      {pack({{"one", pattern(3, 1)}}), 0x1000 + 3}};
  for (const Job& job : jobs) {
    for (size_t len = 0; len < job.end; ++len) {
      Exact e(job.image.data(), len);
      auto r = BootImage::parse(e.p.get(), e.len);
      REQUIRE_MESSAGE(r.error() == ERR_CORRUPT, "len " << len);
    }
  }
}

TEST_CASE("every byte flipped: error, or an image that keeps every invariant") {
  // A smaller image so the flips stay fast: the table page and the data.
  Files files = {{"init", pattern(100, 1)}, {"e", {}}, {"sh", pattern(4096, 2)}};
  const Bytes good = pack(files);
  size_t parsed = 0, failed = 0;
  for (uint8_t pat : {uint8_t(0xff), uint8_t(0x01)}) {
    for (size_t i = 0; i < good.size(); ++i) {
      Exact e(good);
      e.p[i] ^= pat;
      auto r = BootImage::parse(e.p.get(), e.len);
      if (r.ok()) {
        ++parsed;
        check_invariants(r.value(), e.p.get(), e.len);
      } else {
        ++failed;
        keel_status s = r.error();
        REQUIRE_MESSAGE((s == ERR_CORRUPT || s == ERR_UNSUPPORTED || s == ERR_OUT_OF_RANGE),
                        "byte " << i << " ^ " << int(pat) << ": " << s);
      }
    }
  }
  MESSAGE(parsed << " flipped images parsed, " << failed << " rejected");
  CHECK(failed > 0);
  CHECK(parsed > 0);
}

TEST_CASE("pseudo-random table corruption") {
  Files files;
  for (int i = 0; i < 6; ++i)
    files.push_back({"file" + std::to_string(i), pattern(size_t(i) * 3000, 9)});
  const Bytes good = pack(files);
  const size_t table_end = kHdr + files.size() * kEnt;
  XorShift rnd{0x2545f4914f6cdd1dull};
  size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = good;
    int n = 1 + int(rnd() % 3);
    for (int k = 0; k < n; ++k) {
      size_t pos = kHdr + size_t(rnd() % (table_end - kHdr - 8));
      uint64_t v;
      switch (rnd() % 4) {
        case 0:
          v = (rnd() % 8) * 4096;
          break;  // page offsets, some valid
        case 1:
          v = rnd() % 0x3000;
          break;  // small sizes
        case 2:
          v = ~uint64_t(0) - rnd() % 0x2000;
          break;
        default:
          v = get64(good, kHdr + size_t(rnd() % (table_end - kHdr - 8)));
          break;
      }
      put64(b, pos, v);
    }
    Exact e(b);
    auto r = BootImage::parse(e.p.get(), e.len);
    if (r.ok()) {
      ++parsed;
      check_invariants(r.value(), e.p.get(), e.len);
    } else {
      REQUIRE(r.error() == ERR_CORRUPT);
    }
  }
  MESSAGE(parsed << " of 20000 randomly corrupted tables parsed");
}

// ---------------------------------------------------------------------------
// scripts/mkbootimg

TEST_CASE("mkbootimg: round trip, identical to the in-memory layout") {
  TempDir dir;
  Files files = sample_files();
  files.push_back({"tiny", read_file("data/tiny.elf")});
  files.push_back({std::string(31, 'n'), pattern(1, 3)});
  std::string args = dir / "out.img";
  for (size_t i = 0; i < files.size(); ++i) {
    std::string path = dir / ("in-" + std::to_string(i));
    write_file(path, files[i].second);
    args += " '" + files[i].first + "=" + path + "'";
  }
  std::string err;
  REQUIRE_MESSAGE(mkbootimg(dir, args, &err) == 0, err);
  CHECK(err.empty());
  Bytes img = read_file(dir / "out.img");
  CHECK(img == pack(files));
  CHECK(img.size() % 4096 == 0);

  Exact e(img);
  auto r = BootImage::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  REQUIRE(r.value().count() == files.size());
  check_invariants(r.value(), e.p.get(), e.len);
  for (size_t i = 0; i < files.size(); ++i) {
    BootFile f = r.value().file(i).value();
    CHECK(std::string(f.name) == files[i].first);
    CHECK(Bytes(f.data, f.data + f.size) == files[i].second);
  }

  // The packed ELF parses in place, and each segment's file bytes sit at the
  // same offset within a page of the image as their vaddr within a page, so
  // a 4096-aligned image lets the kernel map them without copying.
  auto tiny = r.value().find("tiny");
  REQUIRE(tiny.ok());
  auto elf = libk::parse_elf(tiny.value().data, tiny.value().size, 0x10000, 0x4000000000);
  REQUIRE(elf.ok());
  CHECK(elf.value().entry == 0x400120);
  REQUIRE(elf.value().segment_count == 2);
  size_t base = size_t(tiny.value().data - e.p.get());
  for (size_t i = 0; i < elf.value().segment_count; ++i) {
    const libk::ElfSegment& s = elf.value().segments[i];
    CHECK((base + s.offset) % 4096 == s.vaddr % 4096);
  }
}

TEST_CASE("mkbootimg: bad arguments exit with status 2 and a message") {
  TempDir dir;
  write_file(dir / "a", pattern(10, 1));
  write_file(dir / "b", pattern(20, 2));
  const std::string out = dir / "out.img";
  const std::string a = dir / "a", b = dir / "b";
  struct Case {
    std::string args;
    const char* expect;  // in the message
  };
  const Case cases[] = {
      {out + " =" + a, "empty name"},
      {out + " " + std::string(32, 'x') + "=" + a, "at most 31"},
      {out + " bin/init=" + a, "'/'"},
      {out + " 'in it=" + a + "'", "printable"},
      {out + " init=" + a + " init=" + b, "duplicate"},
      {out + " init=" + a + " sh=" + dir / "missing", "cannot read"},
      {out + " init", "NAME=PATH"},
      {out + " init=", "empty path"},
      {out, "usage"},
      {"", "usage"},
      {dir / "no-such-dir/out.img" + " init=" + a, "cannot write"},
  };
  for (const Case& c : cases) {
    std::string err;
    CHECK_MESSAGE(mkbootimg(dir, c.args, &err) == 2, c.args);
    CHECK_MESSAGE(err.find(c.expect) != std::string::npos, c.args << " -> " << err);
    CHECK_MESSAGE(!std::filesystem::exists(out), c.args);
  }
  // No temporary files are left behind either.
  size_t entries = 0;
  for (const auto& de : std::filesystem::directory_iterator(dir.path)) {
    (void)de;
    ++entries;
  }
  CHECK(entries == 3);  // a, b, stderr.txt

  // A good run afterwards, with a name using '=' in the path.
  write_file(dir / "x=y", pattern(5, 5));
  CHECK(mkbootimg(dir, out + " a=" + a + " xy=" + dir / "x=y") == 0);
  auto img = read_file(out);
  CHECK(img == pack({{"a", pattern(10, 1)}, {"xy", pattern(5, 5)}}));
}
