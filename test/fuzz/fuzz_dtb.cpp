// Fuzz target: the flattened device tree reader (libk/dtb.h), from
// Dtb::parse through every lookup to read_platform.
//
// Properties checked on every input:
//  * blob_size and total_size() never exceed the bytes given;
//  * walking the whole tree (children, siblings, properties) terminates, and
//    every name it hands out is a NUL-terminated string inside the blob and
//    every property value lies inside the blob;
//  * property(node, name) finds a property the walk saw, with the same value;
//  * reg(), cells, mem_reserve(), find_node(), find_compatible() and
//    find_device_type() stay in bounds and give only documented errors;
//  * read_platform's summary is within its arrays' capacities, has no
//    zero-size or wrapping range, and its bootargs is "" or a string inside
//    the blob;
//  * forged node handles (offsets taken from the input) give invalid results
//    or results inside the blob, never a read outside it.
#include <libk/dtb.h>
#include <string.h>

#include "fuzz_check.h"

namespace {

using libk::Dtb;
using libk::DtbNode;
using libk::DtbProperty;

struct Blob {
  const uint8_t* data;
  size_t size;  // totalsize: nothing the reader hands out may lie beyond it
};

void check_string(const Blob& b, const char* s) {
  FUZZ_CHECK(s != nullptr && fuzz::string_inside(s, b.data, b.size));
}

void check_span(const Blob& b, const libk::DtbSpan& v) {
  FUZZ_CHECK(v.data != nullptr && fuzz::inside(v.data, v.size, b.data, b.size));
}

void check_range(const libk::MemRange& r) { FUZZ_CHECK(r.size <= ~uint64_t(0) - r.base); }

// Every lookup that takes a node, for one node (valid or forged).
void check_node_lookups(const Dtb& dtb, const Blob& b, DtbNode n) {
  const char* name = dtb.node_name(n);
  if (name != nullptr) check_string(b, name);
  auto c = dtb.first_child(n);
  if (c.valid()) FUZZ_CHECK(dtb.node_name(c) != nullptr);
  auto s = dtb.next_sibling(n);
  if (s.valid()) FUZZ_CHECK(dtb.node_name(s) != nullptr && s.offset > n.offset);

  size_t props = 0;
  for (DtbProperty p = dtb.first_property(n); p.valid(); p = dtb.next_property(p)) {
    FUZZ_CHECK(++props <= b.size / 12);  // a PROP token takes at least 12 bytes
    check_string(b, p.name);
    check_span(b, p.value);
    auto v = dtb.property(n, p.name);  // the first of that name: inside too
    FUZZ_CHECK(v.ok());
    check_span(b, v.value());
    for (size_t i = 0; i < v.value().cell_count() && i < 4; ++i) (void)v.value().cell(i).ok();
    FUZZ_CHECK(v.value().cell(v.value().cell_count()).error() == ERR_OUT_OF_RANGE);
  }

  for (const char* prop : {"compatible", "device_type", "bootargs", "status"}) {
    auto str = dtb.prop_string(n, prop);
    if (str.ok()) check_string(b, str.value());
    (void)dtb.prop_has_string(n, prop, "ns16550a");
  }
  (void)dtb.prop_u32(n, "phandle").ok();
  (void)dtb.prop_u64(n, "timebase-frequency").ok();
  (void)dtb.address_cells(n).ok();
  (void)dtb.size_cells(n).ok();

  auto count = dtb.reg_count(n);
  if (count.ok()) {
    size_t k = count.value();
    for (size_t i = 0; i < k && i < 16; ++i) FUZZ_CHECK(dtb.reg(n, i).ok());
    FUZZ_CHECK(dtb.reg(n, k).error() == ERR_OUT_OF_RANGE);
  } else {
    keel_status e = count.error();
    FUZZ_CHECK(e == ERR_NOT_FOUND || e == ERR_CORRUPT || e == ERR_UNSUPPORTED ||
               e == ERR_INVALID_ARGS);
  }
}

// Depth-first walk of the whole tree with an explicit stack; builds each
// node's path (while it fits) and looks it up again with find_node.
void walk(const Dtb& dtb, const Blob& b) {
  constexpr size_t kNoPath = SIZE_MAX;
  struct Frame {
    DtbNode node;
    size_t path_len;  // of the node's path in `path`, or kNoPath
  };
  Frame stack[Dtb::kMaxDepth];
  char path[256];
  size_t depth = 0, nodes = 0;
  stack[depth++] = Frame{dtb.root(), 0};
  check_node_lookups(dtb, b, dtb.root());
  // Invariant: `next` is the next node to visit, a child of stack[depth - 1]
  // (invalid when that node has no more children).
  DtbNode next = dtb.first_child(dtb.root());
  for (;;) {
    if (!next.valid()) {
      if (depth == 1) break;
      next = dtb.next_sibling(stack[--depth].node);
      continue;
    }
    FUZZ_CHECK(++nodes <= b.size / 8);   // a node takes at least 8 bytes
    FUZZ_CHECK(depth < Dtb::kMaxDepth);  // parse() bounds the open nodes
    FUZZ_CHECK(next.parent == stack[depth - 1].node.offset);
    check_node_lookups(dtb, b, next);

    // This node's path "/a/b", when its parent has one, its name makes a
    // component and it fits.
    const char* name = dtb.node_name(next);
    size_t n = strlen(name), parent_len = stack[depth - 1].path_len, len = kNoPath;
    if (parent_len != kNoPath && n > 0 && strchr(name, '/') == nullptr &&
        parent_len + 1 + n < sizeof path) {
      path[parent_len] = '/';
      memcpy(path + parent_len + 1, name, n + 1);
      len = parent_len + 1 + n;
      // First match wins and "a" also matches "a@1", so another node may
      // come back (or none, down another branch); a hit must fit the rule.
      auto found = dtb.find_node(path);
      if (found.ok()) {
        const char* got = dtb.node_name(found.value());
        FUZZ_CHECK(got != nullptr);
        bool has_unit = strchr(name, '@') != nullptr;
        FUZZ_CHECK(strcmp(got, name) == 0 ||
                   (!has_unit && strncmp(got, name, n) == 0 && got[n] == '@'));
      } else {
        FUZZ_CHECK(found.error() == ERR_NOT_FOUND);
      }
    }
    stack[depth++] = Frame{next, len};
    next = dtb.first_child(next);
  }
}

void check_finders(const Dtb& dtb, const Blob& b) {
  FUZZ_CHECK(dtb.find_node("/").ok() && dtb.find_node("/").value() == dtb.root());
  FUZZ_CHECK(dtb.find_node("chosen").error() == ERR_INVALID_ARGS);
  for (const char* p : {"/chosen", "/cpus", "/soc", "/reserved-memory", "//soc/", "/soc/serial"}) {
    auto n = dtb.find_node(p);
    if (n.ok())
      FUZZ_CHECK(dtb.node_name(n.value()) != nullptr);
    else
      FUZZ_CHECK(n.error() == ERR_NOT_FOUND);
  }
  for (int how = 0; how < 2; ++how) {
    const char* value = how == 0 ? "memory" : "ns16550a";
    DtbNode after{};
    for (size_t i = 0;; ++i) {
      FUZZ_CHECK(i <= b.size / 8);
      auto n = how == 0 ? dtb.find_device_type(value, after) : dtb.find_compatible(value, after);
      if (n.is_error()) {
        FUZZ_CHECK(n.error() == ERR_NOT_FOUND);
        break;
      }
      FUZZ_CHECK(dtb.node_name(n.value()) != nullptr);
      FUZZ_CHECK(!after.valid() || n.value().offset > after.offset);
      after = n.value();
    }
  }
  FUZZ_CHECK(dtb.mem_reserve_count() <= b.size / 16);
  for (size_t i = 0; i < dtb.mem_reserve_count(); ++i) FUZZ_CHECK(dtb.mem_reserve(i).ok());
  FUZZ_CHECK(dtb.mem_reserve(dtb.mem_reserve_count()).error() == ERR_OUT_OF_RANGE);
}

void check_platform(const Dtb& dtb, const Blob& b) {
  auto p = libk::read_platform(dtb);
  if (p.is_error()) {
    keel_status e = p.error();
    FUZZ_CHECK(e == ERR_NOT_FOUND || e == ERR_OUT_OF_RANGE || e == ERR_CORRUPT ||
               e == ERR_UNSUPPORTED);
    return;
  }
  const libk::PlatformInfo& info = p.value();
  FUZZ_CHECK(info.memory_count >= 1 && info.memory_count <= 8);
  FUZZ_CHECK(info.reserved_count <= 16);
  for (size_t i = 0; i < info.memory_count; ++i) {
    FUZZ_CHECK(info.memory[i].size > 0);
    check_range(info.memory[i]);
  }
  for (size_t i = 0; i < info.reserved_count; ++i) {
    FUZZ_CHECK(info.reserved[i].size > 0);
    check_range(info.reserved[i]);
  }
  FUZZ_CHECK(info.bootargs != nullptr);
  if (info.bootargs[0] != '\0') check_string(b, info.bootargs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto total = Dtb::blob_size(data, size);
  auto parsed = Dtb::parse(data, size);
  if (total.is_error()) {
    FUZZ_CHECK(total.error() == ERR_CORRUPT);
    FUZZ_CHECK(parsed.is_error());
  } else {
    FUZZ_CHECK(total.value() >= Dtb::kHeaderSize && total.value() <= size);
  }
  if (parsed.is_error()) {
    FUZZ_CHECK(parsed.error() == ERR_CORRUPT);
    return 0;
  }
  const Dtb& dtb = parsed.value();
  FUZZ_CHECK(dtb.total_size() == total.value());
  Blob b{data, dtb.total_size()};

  walk(dtb, b);
  check_finders(dtb, b);
  check_platform(dtb, b);

  // Forged handles: offsets from the input's last bytes, and near-misses
  // of the root (inside its name, past the end of the block).
  uint32_t x = 0, y = 0;
  if (size >= 8) {
    memcpy(&x, data + size - 8, 4);
    memcpy(&y, data + size - 4, 4);
  }
  for (DtbNode n : {DtbNode{x, y}, DtbNode{x & 0xfffc, 0}, DtbNode{y & 0xfffc, x & 0xfffc},
                    DtbNode{dtb.root().offset + 4, 0}, DtbNode{0xfffffffc, 0}})
    check_node_lookups(dtb, b, n);
  return 0;
}
