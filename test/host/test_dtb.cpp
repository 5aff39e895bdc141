// Host tests of the flattened device tree reader (libk/dtb.h).
//
// Real blobs dumped from QEMU (see data/README.md) must give exact values;
// hand-built and corrupted blobs must fail cleanly. Every corrupted blob is
// copied into a heap buffer of exactly its size so ASan sees any overread.
// Data files are opened relative to the working directory (test/host), or
// from $KEEL_TEST_DATA_DIR when set.
#include <doctest/doctest.h>
#include <libk/dtb.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "test_data.h"

using libk::Dtb;
using libk::DtbNode;
using libk::DtbProperty;
using libk::DtbSpan;
using libk::MemRange;
using libk::PlatformInfo;

namespace {
Bytes load(const char* name) { return load_data(name); }

uint32_t get32(const Bytes& b, size_t off) {
  return (uint32_t(b[off]) << 24) | (uint32_t(b[off + 1]) << 16) | (uint32_t(b[off + 2]) << 8) |
         b[off + 3];
}
void put32(Bytes& b, size_t off, uint32_t v) {
  b[off] = uint8_t(v >> 24);
  b[off + 1] = uint8_t(v >> 16);
  b[off + 2] = uint8_t(v >> 8);
  b[off + 3] = uint8_t(v);
}
void put64(Bytes& b, size_t off, uint64_t v) {
  put32(b, off, uint32_t(v >> 32));
  put32(b, off + 4, uint32_t(v));
}

keel_status parse_status(const Bytes& b) {
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  return r.error();
}

// Builds FDT blobs token by token, including malformed ones.
struct FdtBuilder {
  Bytes st, strs;
  std::vector<MemRange> rsv;
  uint32_t version = 17, last_comp = 16;

  static void app32(Bytes& v, uint32_t x) {
    v.push_back(uint8_t(x >> 24));
    v.push_back(uint8_t(x >> 16));
    v.push_back(uint8_t(x >> 8));
    v.push_back(uint8_t(x));
  }
  static void pad4(Bytes& v) {
    while (v.size() % 4 != 0) v.push_back(0);
  }
  uint32_t name_off(std::string_view n) {
    for (size_t i = 0; i + n.size() < strs.size() + 1 && i < strs.size(); ++i)
      if (std::memcmp(strs.data() + i, n.data(), n.size()) == 0 && strs[i + n.size()] == 0 &&
          (i == 0 || strs[i - 1] == 0))
        return uint32_t(i);
    uint32_t off = uint32_t(strs.size());
    strs.insert(strs.end(), n.begin(), n.end());
    strs.push_back(0);
    return off;
  }
  FdtBuilder& token(uint32_t t) {
    app32(st, t);
    return *this;
  }
  FdtBuilder& begin(std::string_view name) {
    app32(st, 1);
    st.insert(st.end(), name.begin(), name.end());
    st.push_back(0);
    pad4(st);
    return *this;
  }
  FdtBuilder& end() { return token(2); }
  FdtBuilder& nop() { return token(4); }
  FdtBuilder& prop_raw(uint32_t nameoff, const Bytes& value, uint32_t len_field) {
    app32(st, 3);
    app32(st, len_field);
    app32(st, nameoff);
    st.insert(st.end(), value.begin(), value.end());
    pad4(st);
    return *this;
  }
  FdtBuilder& prop(std::string_view name, const Bytes& value) {
    return prop_raw(name_off(name), value, uint32_t(value.size()));
  }
  FdtBuilder& cells(std::string_view name, std::initializer_list<uint32_t> cs) {
    Bytes v;
    for (uint32_t c : cs) app32(v, c);
    return prop(name, v);
  }
  // `s` may hold embedded NULs (string lists); a final NUL is appended.
  FdtBuilder& str(std::string_view name, std::string_view s) {
    Bytes v(s.begin(), s.end());
    v.push_back(0);
    return prop(name, v);
  }
  // Layout: header, reservation map, structure block, strings block.
  Bytes finish(bool add_end = true) {
    if (add_end) token(9);
    Bytes out(40, 0);
    uint32_t rsv_off = 40;
    for (const MemRange& r : rsv) {
      out.resize(out.size() + 16);
      put64(out, out.size() - 16, r.base);
      put64(out, out.size() - 8, r.size);
    }
    out.resize(out.size() + 16, 0);
    uint32_t st_off = uint32_t(out.size());
    out.insert(out.end(), st.begin(), st.end());
    uint32_t str_off = uint32_t(out.size());
    out.insert(out.end(), strs.begin(), strs.end());
    put32(out, 0, Dtb::kMagic);
    put32(out, 4, uint32_t(out.size()));
    put32(out, 8, st_off);
    put32(out, 12, str_off);
    put32(out, 16, rsv_off);
    put32(out, 20, version);
    put32(out, 24, last_comp);
    put32(out, 28, 0);
    put32(out, 32, uint32_t(strs.size()));
    put32(out, 36, uint32_t(st.size()));
    return out;
  }
};

// A minimal valid platform: memory, UART, optional extras added by callers.
FdtBuilder minimal_platform() {
  FdtBuilder b;
  b.begin("").cells("#address-cells", {2}).cells("#size-cells", {2});
  b.begin("memory@80000000")
      .str("device_type", "memory")
      .cells("reg", {0, 0x80000000, 0, 0x1000000})
      .end();
  b.begin("uart@10000000")
      .str("compatible", "ns16550a")
      .cells("reg", {0, 0x10000000, 0, 0x100})
      .end();
  return b;
}

// Touches everything reachable from a node; returns the number of nodes.
size_t walk(const Dtb& dtb, DtbNode n, size_t& props, int depth = 0) {
  if (depth > int(Dtb::kMaxDepth)) FAIL("walk deeper than kMaxDepth");
  size_t count = 1;
  const char* name = dtb.node_name(n);
  if (name != nullptr) (void)std::strlen(name);
  for (const DtbProperty& p : dtb.properties(n)) {
    ++props;
    (void)std::strlen(p.name);
    unsigned sum = 0;
    for (size_t i = 0; i < p.value.size; ++i) sum += p.value.data[i];
    for (size_t i = 0; i <= p.value.cell_count(); ++i) sum += p.value.cell(i).ok();
    (void)sum;
  }
  // Named lookups (the first property by name also exercises the lookup path).
  DtbProperty first = dtb.first_property(n);
  if (first.valid()) (void)dtb.prop_u64(n, first.name).ok();
  (void)dtb.prop_string(n, "compatible").ok();
  // reg: first and last entry (its layout comes from the parent's cells).
  auto k = dtb.reg_count(n);
  if (k.ok() && k.value() > 0) (void)dtb.reg(n, k.value() - 1).ok();
  for (DtbNode c : dtb.children(n)) count += walk(dtb, c, props, depth + 1);
  return count;
}

// Everything a caller could do with a parsed blob; must never crash.
void exercise(const Dtb& dtb) {
  size_t props = 0;
  walk(dtb, dtb.root(), props);
  (void)libk::read_platform(dtb).ok();
  for (size_t i = 0; i <= dtb.mem_reserve_count(); ++i) (void)dtb.mem_reserve(i).ok();
  const char* paths[] = {"/",
                         "/chosen",
                         "/cpus",
                         "/memory",
                         "/soc/serial",
                         "/soc/plic@c000000",
                         "/reserved-memory/mmode_resv0",
                         "/a/b/c/d"};
  for (const char* p : paths) (void)dtb.find_node(p).ok();
  const char* compats[] = {"ns16550a", "riscv", "syscon"};
  for (const char* c : compats) {
    DtbNode n{};
    for (int i = 0; i < 100; ++i) {
      auto r = dtb.find_compatible(c, n);
      if (!r.ok()) break;
      n = r.value();
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Real QEMU device trees

TEST_CASE("real virt DTB: header, paths, properties") {
  Bytes b = load("virt.dtb");
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& dtb = r.value();
  CHECK(dtb.total_size() == 4590);
  CHECK(b.size() == 4590);
  CHECK(dtb.version() == 17);
  CHECK(dtb.mem_reserve_count() == 0);
  CHECK(dtb.mem_reserve(0).error() == ERR_OUT_OF_RANGE);

  CHECK(std::string(dtb.node_name(dtb.root())) == "");
  CHECK(dtb.find_node("/").value() == dtb.root());
  CHECK(dtb.find_node("//").value() == dtb.root());
  CHECK(dtb.prop_string(dtb.root(), "model").value() == std::string("riscv-virtio,qemu"));

  auto mem = dtb.find_node("/memory");
  REQUIRE(mem.ok());
  CHECK(std::string(dtb.node_name(mem.value())) == "memory@80000000");
  CHECK(dtb.find_node("/memory@80000000").value() == mem.value());
  CHECK(dtb.find_node("/memory@90000000").error() == ERR_NOT_FOUND);
  CHECK(dtb.find_node("/mem").error() == ERR_NOT_FOUND);
  CHECK(dtb.find_node("/memoryx").error() == ERR_NOT_FOUND);
  CHECK(dtb.find_node("chosen").error() == ERR_INVALID_ARGS);
  CHECK(dtb.find_node("").error() == ERR_INVALID_ARGS);
  CHECK(dtb.find_node(nullptr).error() == ERR_INVALID_ARGS);
  CHECK(dtb.find_node("/nonexistent").error() == ERR_NOT_FOUND);
  CHECK(dtb.find_node("/soc/serial@10000000/").ok());
  CHECK(dtb.find_node("/cpus/cpu-map/cluster0/core1").ok());
  CHECK(dtb.find_node("/cpus/cpu-map/cluster0/core1/x").error() == ERR_NOT_FOUND);

  auto serial = dtb.find_node("/soc/serial");
  REQUIRE(serial.ok());
  CHECK(std::string(dtb.node_name(serial.value())) == "serial@10000000");
  CHECK(dtb.prop_u32(serial.value(), "interrupts").value() == 10);
  CHECK(dtb.prop_u32(serial.value(), "compatible").error() == ERR_CORRUPT);
  CHECK(dtb.prop_u32(serial.value(), "nope").error() == ERR_NOT_FOUND);
  CHECK(dtb.property(serial.value(), nullptr).error() == ERR_INVALID_ARGS);
  auto sreg = dtb.reg(serial.value(), 0);
  REQUIRE(sreg.ok());
  CHECK(sreg.value().base == 0x10000000);
  CHECK(sreg.value().size == 0x100);

  // Multi-entry reg; 64-bit property values; string lists.
  auto flash = dtb.find_node("/flash");
  REQUIRE(flash.ok());
  CHECK(dtb.reg_count(flash.value()).value() == 2);
  CHECK(dtb.reg(flash.value(), 1).value().base == 0x22000000);
  CHECK(dtb.reg(flash.value(), 1).value().size == 0x2000000);
  CHECK(dtb.reg(flash.value(), 2).error() == ERR_OUT_OF_RANGE);
  auto test = dtb.find_node("/soc/test@100000");
  REQUIRE(test.ok());
  CHECK(dtb.prop_string(test.value(), "compatible").value() == std::string("sifive,test1"));
  CHECK(dtb.prop_has_string(test.value(), "compatible", "sifive,test0"));
  CHECK(dtb.prop_has_string(test.value(), "compatible", "syscon"));
  CHECK_FALSE(dtb.prop_has_string(test.value(), "compatible", "sifive"));
  CHECK(dtb.find_compatible("syscon").value() == test.value());

  // /cpus: #address-cells 1, #size-cells 0, so a cpu's reg is its hart id.
  auto cpus = dtb.find_node("/cpus");
  REQUIRE(cpus.ok());
  CHECK(dtb.address_cells(cpus.value()).value() == 1);
  CHECK(dtb.size_cells(cpus.value()).value() == 0);
  CHECK(dtb.prop_u64(cpus.value(), "timebase-frequency").value() == 10000000);
  auto cpu1 = dtb.find_node("/cpus/cpu@1");
  REQUIRE(cpu1.ok());
  CHECK(dtb.reg(cpu1.value(), 0).value().base == 1);
  CHECK(dtb.reg(cpu1.value(), 0).value().size == 0);
  // Root has no #size-cells default problem: root's own cells are 2/2.
  CHECK(dtb.size_cells(dtb.root()).value() == 2);

  // Children iteration of /cpus: cpu@0, cpu@1, cpu-map.
  std::vector<std::string> names;
  for (DtbNode c : dtb.children(cpus.value())) {
    names.push_back(dtb.node_name(c));
    CHECK(c.parent == cpus.value().offset);
  }
  CHECK(names == std::vector<std::string>{"cpu@0", "cpu@1", "cpu-map"});

  // find_compatible with `after`: 8 virtio-mmio devices, in document order.
  std::vector<uint64_t> virtio;
  for (DtbNode n{};;) {
    auto next = dtb.find_compatible("virtio,mmio", n);
    if (!next.ok()) {
      CHECK(next.error() == ERR_NOT_FOUND);
      break;
    }
    n = next.value();
    virtio.push_back(dtb.reg(n, 0).value().base);
  }
  CHECK(virtio == std::vector<uint64_t>{0x10008000, 0x10007000, 0x10006000, 0x10005000, 0x10004000,
                                        0x10003000, 0x10002000, 0x10001000});
  CHECK(dtb.find_compatible("no,such-device").error() == ERR_NOT_FOUND);
  CHECK(dtb.find_compatible(nullptr).error() == ERR_INVALID_ARGS);
  CHECK(dtb.find_device_type("cpu").value() == dtb.find_node("/cpus/cpu@0").value());

  // Full walk: every node and property (counted independently with a script).
  size_t props = 0;
  CHECK(walk(dtb, dtb.root(), props) == 33);
  CHECK(props == 127);
}

TEST_CASE("real virt DTB: platform summary") {
  Bytes b = load("virt.dtb");
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  auto pi = libk::read_platform(r.value());
  REQUIRE(pi.ok());
  const PlatformInfo& p = pi.value();
  REQUIRE(p.memory_count == 1);
  CHECK(p.memory[0].base == 0x80000000);
  CHECK(p.memory[0].size == 256ull << 20);
  CHECK(p.reserved_count == 0);  // QEMU's own tree: OpenSBI has not run yet
  CHECK(p.uart_base == 0x10000000);
  CHECK(p.uart_size == 0x100);
  CHECK(p.uart_irq == 10);
  CHECK(p.plic_base == 0x0c000000);
  CHECK(p.plic_size == 0x600000);
  CHECK(p.plic_ndev == 0x60);
  CHECK(p.test_base == 0x100000);
  CHECK(p.timebase_hz == 10000000);
  CHECK(std::string(p.bootargs) == "");
  CHECK(p.hart_count == 2);
}

TEST_CASE("real virt DTB with -append: bootargs") {
  Bytes b = load("virt-bootargs.dtb");
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  auto pi = libk::read_platform(r.value());
  REQUIRE(pi.ok());
  CHECK(std::string(pi.value().bootargs) == "test=pmm.* foo=bar");
  // Points into the blob.
  CHECK(reinterpret_cast<const uint8_t*>(pi.value().bootargs) > e.p.get());
  CHECK(reinterpret_cast<const uint8_t*>(pi.value().bootargs) < e.p.get() + e.len);
  CHECK(pi.value().memory_count == 1);
  CHECK(pi.value().hart_count == 2);
}

TEST_CASE("real DTB as patched by OpenSBI: /reserved-memory") {
  Bytes b = load("virt-opensbi.dtb");
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& dtb = r.value();
  CHECK(dtb.total_size() == 5687);
  CHECK(dtb.mem_reserve_count() == 0);
  auto pi = libk::read_platform(dtb);
  REQUIRE(pi.ok());
  const PlatformInfo& p = pi.value();
  REQUIRE(p.reserved_count == 1);
  CHECK(p.reserved[0].base == 0x80000000);
  CHECK(p.reserved[0].size == 0x80000);
  REQUIRE(p.memory_count == 1);
  CHECK(p.memory[0].base == 0x80000000);
  CHECK(p.memory[0].size == 0x10000000);
  CHECK(p.uart_base == 0x10000000);
  CHECK(p.uart_irq == 10);
  CHECK(p.plic_base == 0x0c000000);
  CHECK(p.plic_ndev == 0x60);
  CHECK(p.test_base == 0x100000);
  CHECK(p.timebase_hz == 10000000);
  CHECK(std::string(p.bootargs) == "test=pmm.* foo=bar");
  CHECK(p.hart_count == 2);
  auto resv = dtb.find_node("/reserved-memory/mmode_resv0");
  REQUIRE(resv.ok());
  CHECK(std::string(dtb.node_name(resv.value())) == "mmode_resv0@80000000");
  size_t props = 0;
  CHECK(walk(dtb, dtb.root(), props) == 35);
  CHECK(props == 131);
}

TEST_CASE("blob_size reads only the header") {
  Bytes b = load("virt.dtb");
  CHECK(Dtb::blob_size(b.data(), b.size()).value() == 4590);
  CHECK(Dtb::blob_size(b.data(), SIZE_MAX).value() == 4590);
  CHECK(Dtb::blob_size(b.data(), 4589).error() == ERR_CORRUPT);
  CHECK(Dtb::blob_size(b.data(), 39).error() == ERR_CORRUPT);
  CHECK(Dtb::blob_size(nullptr, 4096).error() == ERR_INVALID_ARGS);
  CHECK(Dtb::parse(nullptr, 4096).error() == ERR_INVALID_ARGS);
  Exact hdr(b.data(), 40);  // only the header is readable
  CHECK(Dtb::blob_size(hdr.p.get(), hdr.len + 100000).value() == 4590);
  Bytes bad = b;
  bad[0] ^= 1;
  CHECK(Dtb::blob_size(bad.data(), bad.size()).error() == ERR_CORRUPT);
  bad = b;
  put32(bad, 4, 39);
  CHECK(Dtb::blob_size(bad.data(), bad.size()).error() == ERR_CORRUPT);
}

// ---------------------------------------------------------------------------
// Robustness against truncated and corrupted blobs

TEST_CASE("every truncation of the real blob is rejected") {
  for (const char* file : {"virt.dtb", "virt-opensbi.dtb"}) {
    Bytes b = load(file);
    for (size_t len = 0; len < b.size(); ++len) {
      Exact e(b.data(), len);
      auto r = Dtb::parse(e.p.get(), e.len);
      REQUIRE_MESSAGE(r.error() == ERR_CORRUPT, file << " len " << len);
    }
  }
}

TEST_CASE("truncation with the header rewritten to match is rejected") {
  // The header claims the shorter size and the blocks are clamped to it, so
  // the structure walk itself meets the cut: a token, name, property value or
  // property name that runs past its block.
  Bytes b = load("virt.dtb");
  uint32_t st_off = get32(b, 8), str_off = get32(b, 12);
  for (size_t len = 40; len < b.size(); ++len) {
    Bytes t(b.begin(), b.begin() + len);
    put32(t, 4, uint32_t(len));
    if (st_off + get32(b, 36) > len) put32(t, 36, len > st_off ? uint32_t(len - st_off) : 0);
    if (str_off + get32(b, 32) > len) put32(t, 32, len > str_off ? uint32_t(len - str_off) : 0);
    if (st_off > len) put32(t, 8, uint32_t(len));
    if (str_off > len) put32(t, 12, uint32_t(len));
    REQUIRE_MESSAGE(parse_status(t) == ERR_CORRUPT, "len " << len);
  }
}

TEST_CASE("every byte flipped: parse or fail cleanly, and lookups stay in bounds") {
  // The blob the kernel really gets (OpenSBI's) with four patterns, QEMU's
  // own with one (they share most bytes; this keeps the test fast).
  struct Job {
    const char* file;
    std::vector<uint8_t> patterns;
  };
  const Job jobs[] = {{"virt-opensbi.dtb", {0xff, 0x01, 0x80, 0x20}}, {"virt.dtb", {0xff}}};
  for (const Job& job : jobs) {
    const char* file = job.file;
    Bytes b = load(file);
    size_t parsed = 0, failed = 0;
    for (uint8_t pat : job.patterns) {
      for (size_t i = 0; i < b.size(); ++i) {
        Exact e(b);
        e.p[i] ^= pat;
        auto r = Dtb::parse(e.p.get(), e.len);
        if (r.ok()) {
          ++parsed;
          exercise(r.value());
        } else {
          ++failed;
          REQUIRE(r.error() == ERR_CORRUPT);
        }
      }
    }
    MESSAGE(std::string(file) << ": " << parsed << " corrupted blobs parsed, " << failed
                              << " rejected");
    CHECK(parsed > 0);
    CHECK(failed > 0);
  }
}

TEST_CASE("pseudo-random multi-byte corruption") {
  Bytes b = load("virt-opensbi.dtb");
  XorShift rnd{0x9e3779b97f4a7c15ull};
  for (int iter = 0; iter < 3000; ++iter) {
    Exact e(b);
    int n = 1 + int(rnd() % 8);
    for (int k = 0; k < n; ++k) {
      size_t pos = size_t(rnd() % e.len);
      if (rnd() % 2 != 0 && pos + 4 <= e.len) {
        // A random aligned word: hits lengths, name offsets and header fields.
        pos &= ~size_t(3);
        uint32_t v = uint32_t(rnd());
        if (rnd() % 2 != 0) v %= 64;  // small values look like real tokens/lengths
        e.p[pos] = uint8_t(v >> 24);
        e.p[pos + 1] = uint8_t(v >> 16);
        e.p[pos + 2] = uint8_t(v >> 8);
        e.p[pos + 3] = uint8_t(v);
      } else {
        e.p[pos] = uint8_t(rnd());
      }
    }
    auto r = Dtb::parse(e.p.get(), e.len);
    if (r.ok())
      exercise(r.value());
    else
      REQUIRE(r.error() == ERR_CORRUPT);
  }
}

TEST_CASE("malformed headers") {
  const Bytes good = load("virt.dtb");
  REQUIRE(parse_status(good) == KEEL_OK);
  Bytes b;

  b = good;  // bad magic
  put32(b, 0, 0xd00dfeee);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // totalsize bigger than the buffer
  put32(b, 4, uint32_t(good.size() + 1));
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 4, 0xffffffff);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // totalsize smaller than the header
  put32(b, 4, 16);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // structure offset past the end / overflowing with its size
  put32(b, 8, 0xfffffff0);
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 36, 0xffffffe0);  // 0x38 + size wraps 32 bits
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 36, get32(good, 36) + uint32_t(good.size()));
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // strings block overflowing
  put32(b, 12, 0xffffff00);
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 32, 0xfffffffc);
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 32, get32(good, 32) + 1);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // blocks overlapping the header
  put32(b, 8, 0);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // structure block not 4-byte aligned
  put32(b, 8, get32(good, 8) + 2);
  put32(b, 36, get32(good, 36) - 4);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // reservation map not 8-byte aligned
  put32(b, 16, get32(good, 16) + 4);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // reservation map without a terminator before the end
  put32(b, 16, uint32_t(good.size() & ~size_t(7)));
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;  // ... or past it
  put32(b, 16, 0xfffffff8);
  CHECK(parse_status(b) == ERR_CORRUPT);

  b = good;  // versions
  put32(b, 20, 15);
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 24, 18);
  CHECK(parse_status(b) == ERR_CORRUPT);
  b = good;
  put32(b, 24, 17);
  CHECK(parse_status(b) == KEEL_OK);
}

TEST_CASE("malformed structure blocks") {
  // The builder's baseline is valid.
  CHECK(parse_status(minimal_platform().end().finish()) == KEEL_OK);

  SUBCASE("huge property length") {
    FdtBuilder b;
    b.begin("").prop_raw(b.name_off("reg"), Bytes{1, 2, 3, 4}, 0xfffffff0).end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("property length one past the block") {
    FdtBuilder c;
    // The value claims 9 bytes; END_NODE + FDT_END leave only 8.
    c.begin("").prop_raw(c.name_off("x"), Bytes{}, 9).end();
    CHECK(parse_status(c.finish()) == ERR_CORRUPT);
  }
  SUBCASE("name offset outside the strings block") {
    FdtBuilder b;
    b.name_off("model");
    b.begin("").prop_raw(1000, Bytes{0}, 1).end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
    FdtBuilder c;
    c.name_off("model");
    c.begin("").prop_raw(6, Bytes{0}, 1).end();  // == size of strings block
    CHECK(parse_status(c.finish()) == ERR_CORRUPT);
  }
  SUBCASE("property name not NUL-terminated in the strings block") {
    FdtBuilder b;
    b.begin("").str("model", "m").end();
    Bytes blob = b.finish();
    put32(blob, 32, get32(blob, 32) - 1);  // drop the final NUL of "model"
    CHECK(parse_status(blob) == ERR_CORRUPT);
  }
  SUBCASE("missing FDT_END") {
    FdtBuilder b;
    b.begin("").end();
    CHECK(parse_status(b.finish(false)) == ERR_CORRUPT);
  }
  SUBCASE("unbalanced: END_NODE missing") {
    FdtBuilder b;
    b.begin("").begin("child");
    b.end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("unbalanced: extra END_NODE") {
    FdtBuilder b;
    b.begin("").end().end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("END_NODE or property before any node") {
    FdtBuilder b;
    b.end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
    FdtBuilder c;
    c.str("model", "m").begin("").end();
    CHECK(parse_status(c.finish()) == ERR_CORRUPT);
  }
  SUBCASE("two roots") {
    FdtBuilder b;
    b.begin("").end().begin("").end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("no root") {
    FdtBuilder b;
    b.nop();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("unknown token") {
    FdtBuilder b;
    b.begin("").token(5).end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("property after a child node") {
    FdtBuilder b;
    b.begin("").begin("child").end().str("model", "m").end();
    CHECK(parse_status(b.finish()) == ERR_CORRUPT);
  }
  SUBCASE("node name running off the structure block") {
    FdtBuilder b;
    b.begin("").end();
    b.token(1);
    b.st.insert(b.st.end(), {'a', 'b', 'c', 'd'});
    CHECK(parse_status(b.finish(false)) == ERR_CORRUPT);
  }
  SUBCASE("NOPs are fine anywhere") {
    FdtBuilder b;
    b.nop().begin("").nop().str("model", "m").nop().begin("c").nop().end().nop().end().nop();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(r.value().prop_string(r.value().root(), "model").value() == std::string("m"));
    CHECK(r.value().find_node("/c").ok());
  }
  SUBCASE("nesting depth limit") {
    auto nested = [](uint32_t depth) {
      FdtBuilder b;
      for (uint32_t i = 0; i < depth; ++i) b.begin(i == 0 ? "" : "n");
      for (uint32_t i = 0; i < depth; ++i) b.end();
      return b.finish();
    };
    CHECK(parse_status(nested(Dtb::kMaxDepth)) == KEEL_OK);
    CHECK(parse_status(nested(Dtb::kMaxDepth + 1)) == ERR_CORRUPT);
    CHECK(parse_status(nested(1000)) == ERR_CORRUPT);
    Bytes deep = nested(Dtb::kMaxDepth);
    Exact e(deep);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    std::string path;
    for (uint32_t i = 1; i < Dtb::kMaxDepth; ++i) path += "/n";
    CHECK(r.value().find_node(path.c_str()).ok());
    size_t props = 0;
    CHECK(walk(r.value(), r.value().root(), props) == Dtb::kMaxDepth);
  }
  SUBCASE("version 16 (no size_dt_struct) is accepted") {
    FdtBuilder b = minimal_platform();
    b.end();
    b.version = 16;
    Bytes blob = b.finish();
    // Ignored for version 16: the structure block is taken to run to the end
    // of the blob (over the strings block); the walk stops at FDT_END.
    put32(blob, 36, 0);
    CHECK(parse_status(blob) == KEEL_OK);
  }
}

TEST_CASE("memory reservation block") {
  FdtBuilder b = minimal_platform();
  b.end();
  b.rsv = {{0x80000000, 0x40000}, {0x88000000, 0x1000}, {0x90000000, 0}};
  Bytes blob = b.finish();
  Exact e(blob);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& dtb = r.value();
  REQUIRE(dtb.mem_reserve_count() == 3);
  CHECK(dtb.mem_reserve(0).value().base == 0x80000000);
  CHECK(dtb.mem_reserve(0).value().size == 0x40000);
  CHECK(dtb.mem_reserve(1).value().base == 0x88000000);
  CHECK(dtb.mem_reserve(2).value().size == 0);
  CHECK(dtb.mem_reserve(3).error() == ERR_OUT_OF_RANGE);
  auto pi = libk::read_platform(dtb);
  REQUIRE(pi.ok());
  REQUIRE(pi.value().reserved_count == 2);  // the zero-size entry is skipped
  CHECK(pi.value().reserved[1].base == 0x88000000);
  CHECK(pi.value().reserved[1].size == 0x1000);
  // Defaults for everything optional.
  CHECK(pi.value().plic_base == 0);
  CHECK(pi.value().test_base == 0);
  CHECK(pi.value().timebase_hz == 0);
  CHECK(pi.value().hart_count == 0);
  CHECK(pi.value().uart_irq == 0);
  CHECK(std::string(pi.value().bootargs) == "");
}

TEST_CASE("reg decoding: cell sizes") {
  auto build = [](uint32_t ac, uint32_t sc, std::initializer_list<uint32_t> reg) {
    FdtBuilder b;
    b.begin("").begin("bus").cells("#address-cells", {ac}).cells("#size-cells", {sc});
    b.begin("dev@0").cells("reg", reg).end().end().end();
    return b.finish();
  };
  auto decode = [](const Bytes& blob, size_t index) -> libk::Result<MemRange> {
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    return r.value().reg(r.value().find_node("/bus/dev").value(), index);
  };
  {
    auto m = decode(build(1, 1, {0x1000, 0x20, 0x2000, 0x30}), 1);
    REQUIRE(m.ok());
    CHECK(m.value().base == 0x2000);
    CHECK(m.value().size == 0x30);
  }
  {
    auto m = decode(build(2, 2, {0x1, 0x2, 0x3, 0x4}), 0);
    REQUIRE(m.ok());
    CHECK(m.value().base == 0x100000002ull);
    CHECK(m.value().size == 0x300000004ull);
  }
  {
    auto m = decode(build(2, 1, {0x1, 0x2, 0x3}), 0);
    REQUIRE(m.ok());
    CHECK(m.value().base == 0x100000002ull);
    CHECK(m.value().size == 3);
  }
  {
    auto m = decode(build(1, 0, {7, 8}), 1);
    REQUIRE(m.ok());
    CHECK(m.value().base == 8);
    CHECK(m.value().size == 0);
  }
  CHECK(decode(build(3, 2, {0, 0, 0, 0, 0}), 0).error() == ERR_UNSUPPORTED);
  CHECK(decode(build(2, 3, {0, 0, 0, 0, 0}), 0).error() == ERR_UNSUPPORTED);
  CHECK(decode(build(0, 1, {0}), 0).error() == ERR_UNSUPPORTED);
  CHECK(decode(build(2, 2, {0, 0, 0}), 0).error() == ERR_CORRUPT);  // not a whole entry
  CHECK(decode(build(1, 1, {0, 0}), 1).error() == ERR_OUT_OF_RANGE);

  // No #address-cells/#size-cells in the parent: defaults 2 and 1.
  FdtBuilder b;
  b.begin("").begin("dev").cells("reg", {0x1, 0x0, 0x10}).end().begin("noreg").end().end();
  Bytes blob = b.finish();
  Exact e(blob);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& dtb = r.value();
  auto m = dtb.reg(dtb.find_node("/dev").value(), 0);
  REQUIRE(m.ok());
  CHECK(m.value().base == 0x100000000ull);
  CHECK(m.value().size == 0x10);
  CHECK(dtb.reg(dtb.find_node("/noreg").value(), 0).error() == ERR_NOT_FOUND);
  CHECK(dtb.reg_count(dtb.find_node("/noreg").value()).error() == ERR_NOT_FOUND);

  // A #address-cells that is not one cell is corrupt.
  FdtBuilder c;
  c.begin("").cells("#address-cells", {1, 1}).begin("dev").cells("reg", {0, 0}).end().end();
  Bytes blob2 = c.finish();
  Exact e2(blob2);
  auto r2 = Dtb::parse(e2.p.get(), e2.len);
  REQUIRE(r2.ok());
  CHECK(r2.value().reg(r2.value().find_node("/dev").value(), 0).error() == ERR_CORRUPT);
}

TEST_CASE("property value shapes") {
  FdtBuilder b;
  b.begin("")
      .cells("one", {0x12345678})
      .cells("two", {0x1, 0x2})
      .cells("three", {1, 2, 3})
      .prop("empty", Bytes{})
      .prop("unterminated", Bytes{'a', 'b'})
      .str("list", std::string_view("a\0bb\0ccc", 8))
      .end();
  Bytes blob = b.finish();
  Exact e(blob);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& d = r.value();
  DtbNode root = d.root();
  CHECK(d.prop_u32(root, "one").value() == 0x12345678);
  CHECK(d.prop_u64(root, "one").value() == 0x12345678);
  CHECK(d.prop_u64(root, "two").value() == 0x100000002ull);
  CHECK(d.prop_u32(root, "two").error() == ERR_CORRUPT);
  CHECK(d.prop_u64(root, "three").error() == ERR_CORRUPT);
  CHECK(d.property(root, "empty").value().size == 0);
  CHECK(d.prop_string(root, "empty").error() == ERR_CORRUPT);
  CHECK(d.prop_string(root, "unterminated").error() == ERR_CORRUPT);
  CHECK_FALSE(d.prop_has_string(root, "unterminated", "ab"));
  CHECK(d.prop_has_string(root, "list", "a"));
  CHECK(d.prop_has_string(root, "list", "bb"));
  CHECK(d.prop_has_string(root, "list", "ccc"));
  CHECK_FALSE(d.prop_has_string(root, "list", "b"));
  CHECK_FALSE(d.prop_has_string(root, "list", ""));
  CHECK_FALSE(d.prop_has_string(root, "list", nullptr));
  DtbSpan three = d.property(root, "three").value();
  CHECK(three.cell_count() == 3);
  CHECK(three.cell(2).value() == 3);
  CHECK(three.cell(3).error() == ERR_OUT_OF_RANGE);
  std::vector<std::string> names;
  for (const DtbProperty& p : d.properties(root)) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"one", "two", "three", "empty", "unterminated", "list"});
  CHECK(d.first_child(root).valid() == false);
}

TEST_CASE("forged node handles are rejected, not followed") {
  Bytes b = load("virt.dtb");
  Exact e(b);
  auto r = Dtb::parse(e.p.get(), e.len);
  REQUIRE(r.ok());
  const Dtb& d = r.value();
  DtbProperty first = d.first_property(d.root());
  REQUIRE(first.valid());
  const DtbNode forged[] = {
      DtbNode{1, DtbNode::kNone},            // unaligned
      DtbNode{0xfffffff0, DtbNode::kNone},   // past the block
      DtbNode{uint32_t(d.total_size()), 0},  // past the block
      DtbNode{first.offset, 0},              // a PROP token, not a node
      DtbNode{},                             // "none"
  };
  for (const DtbNode& n : forged) {
    CHECK(d.node_name(n) == nullptr);
    CHECK(d.property(n, "reg").error() == ERR_INVALID_ARGS);
    CHECK(d.reg(n, 0).error() == ERR_INVALID_ARGS);
    CHECK_FALSE(d.first_child(n).valid());
    CHECK_FALSE(d.next_sibling(n).valid());
    CHECK_FALSE(d.first_property(n).valid());
  }
  // A valid node with a forged parent: reg reports the bad parent.
  DtbNode serial = d.find_node("/soc/serial").value();
  CHECK(d.reg(DtbNode{serial.offset, 2}, 0).error() == ERR_INVALID_ARGS);
  CHECK_FALSE(d.next_property(DtbProperty{}).valid());
}

TEST_CASE("read_platform: missing and overflowing data") {
  SUBCASE("no memory") {
    FdtBuilder b;
    b.begin("").begin("uart").str("compatible", "ns16550a").cells("reg", {0, 1, 0, 1}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_NOT_FOUND);
  }
  SUBCASE("memory node without reg counts as no memory") {
    FdtBuilder b;
    b.begin("").begin("memory").str("device_type", "memory").end();
    b.begin("uart").str("compatible", "ns16550a").cells("reg", {0, 1, 0, 1}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_NOT_FOUND);
  }
  SUBCASE("no UART") {
    FdtBuilder b;
    b.begin("").begin("memory@0").str("device_type", "memory").cells("reg", {0, 0, 1}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_NOT_FOUND);
  }
  SUBCASE("several memory nodes and entries, 8 fit, 9 do not") {
    for (int total : {8, 9}) {
      FdtBuilder b = minimal_platform();  // 1 range
      b.begin("memory@1").str("device_type", "memory");
      Bytes reg;
      for (int i = 1; i < total; ++i)
        for (uint32_t c : {0u, uint32_t(0x90000000u + i * 0x1000), 0u, 0x1000u})
          FdtBuilder::app32(reg, c);
      b.prop("reg", reg).end().end();
      Bytes blob = b.finish();
      Exact e(blob);
      auto r = Dtb::parse(e.p.get(), e.len);
      REQUIRE(r.ok());
      auto pi = libk::read_platform(r.value());
      if (total == 8) {
        REQUIRE(pi.ok());
        CHECK(pi.value().memory_count == 8);
        CHECK(pi.value().memory[7].base == 0x90007000);
      } else {
        CHECK(pi.error() == ERR_OUT_OF_RANGE);
      }
    }
  }
  SUBCASE("16 reserved ranges fit, 17 do not") {
    for (int total : {16, 17}) {
      FdtBuilder b = minimal_platform();
      for (int i = 0; i < 10; ++i) b.rsv.push_back({uint64_t(0x80000000 + i * 0x1000), 0x1000});
      b.begin("reserved-memory").cells("#address-cells", {1}).cells("#size-cells", {1});
      for (int i = 10; i < total; ++i) {
        b.begin("r").cells("reg", {uint32_t(0x81000000 + i * 0x1000), 0x1000}).end();
      }
      b.begin("dynamic").cells("size", {0x1000}).end();  // no reg: skipped
      b.end().end();
      Bytes blob = b.finish();
      Exact e(blob);
      auto r = Dtb::parse(e.p.get(), e.len);
      REQUIRE(r.ok());
      auto pi = libk::read_platform(r.value());
      if (total == 16) {
        REQUIRE(pi.ok());
        CHECK(pi.value().reserved_count == 16);
        CHECK(pi.value().reserved[15].base == 0x81000000 + 15 * 0x1000);
      } else {
        CHECK(pi.error() == ERR_OUT_OF_RANGE);
      }
    }
  }
  SUBCASE("a range that wraps past 2^64 is corrupt") {
    FdtBuilder b;
    b.begin("").cells("#address-cells", {2}).cells("#size-cells", {2});
    b.begin("memory@0")
        .str("device_type", "memory")
        .cells("reg", {0xffffffff, 0xfffff000, 0, 0x1000})
        .end();
    b.begin("uart").str("compatible", "ns16550a").cells("reg", {0, 1, 0, 1}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_CORRUPT);
  }
  SUBCASE("unsupported cells on the memory node propagate") {
    FdtBuilder b;
    b.begin("").cells("#address-cells", {3}).cells("#size-cells", {2});
    b.begin("memory@0").str("device_type", "memory").cells("reg", {0, 0, 0, 0, 1}).end();
    b.begin("uart").str("compatible", "ns16550a").cells("reg", {0, 0, 1, 0, 1}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_UNSUPPORTED);
  }
  SUBCASE("PLIC by its other compatible, 64-bit timebase, per-cpu timebase") {
    FdtBuilder b = minimal_platform();
    b.begin("plic@c000000")
        .str("compatible", "sifive,plic-1.0.0")
        .cells("reg", {0, 0xc000000, 0, 0x4000000})
        .cells("riscv,ndev", {53})
        .end();
    b.begin("cpus").cells("#address-cells", {1}).cells("#size-cells", {0});
    b.begin("cpu@0")
        .str("device_type", "cpu")
        .cells("reg", {0})
        .cells("timebase-frequency", {0, 1000000})
        .end();
    b.begin("cpu@1").str("device_type", "cpu").cells("reg", {1}).end();
    b.begin("cpu-map").end();
    b.end();
    b.begin("chosen").str("bootargs", "console=x").end();
    b.end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    auto pi = libk::read_platform(r.value());
    REQUIRE(pi.ok());
    CHECK(pi.value().plic_base == 0xc000000);
    CHECK(pi.value().plic_size == 0x4000000);
    CHECK(pi.value().plic_ndev == 53);
    CHECK(pi.value().timebase_hz == 1000000);
    CHECK(pi.value().hart_count == 2);
    CHECK(std::string(pi.value().bootargs) == "console=x");
  }
  SUBCASE("malformed bootargs is corrupt") {
    FdtBuilder b = minimal_platform();
    b.begin("chosen").prop("bootargs", Bytes{'a'}).end().end();
    Bytes blob = b.finish();
    Exact e(blob);
    auto r = Dtb::parse(e.p.get(), e.len);
    REQUIRE(r.ok());
    CHECK(libk::read_platform(r.value()).error() == ERR_CORRUPT);
  }
}
