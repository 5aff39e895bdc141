// Flattened device tree (DTB/FDT) reader.
//
// The firmware (OpenSBI) hands the kernel a device tree blob in a1. The blob
// is untrusted input: a 40-byte big-endian header, a memory-reservation block
// (pairs of u64 address/size ended by a 0,0 pair), a structure block (a token
// stream: BEGIN_NODE name, PROP len nameoff data, END_NODE, NOP, END) and a
// strings block holding NUL-terminated property names.
//
// Invariants:
//  * Dtb::parse() validates the header AND walks the whole structure block
//    once (balanced nodes, FDT_END present, every name and length in bounds,
//    depth <= kMaxDepth, no unknown token). Any failure is ERR_CORRUPT and no
//    byte at or beyond `available_bytes` is ever read.
//  * Every lookup afterwards is still bounds-checked (a forged DtbNode cannot
//    make it read outside the blob); nothing allocates, nothing is copied.
//  * Pointers handed out (names, strings, property data) point into the blob
//    and live as long as it does. Data is read bytewise, so neither the blob
//    nor property values need any alignment.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace libk {

// A half-open physical range [base, base + size).
struct MemRange {
  uint64_t base;
  uint64_t size;
};

// Raw property value: `size` bytes at `data` (inside the blob).
struct DtbSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;

  // Number of whole 32-bit cells, and the big-endian cell at `index`
  // (ERR_OUT_OF_RANGE past the end).
  size_t cell_count() const { return size / 4; }
  Result<uint32_t> cell(size_t index) const;
};

// Handle to a node: the offset of its BEGIN_NODE token inside the structure
// block, plus its parent's (kNone for the root). Cheap to copy. The parent is
// what gives `reg` its #address-cells/#size-cells.
struct DtbNode {
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t offset = kNone;
  uint32_t parent = kNone;

  bool valid() const { return offset != kNone; }
  bool operator==(const DtbNode&) const = default;
};

// One property of a node. `offset` is its PROP token (kNone = no property).
struct DtbProperty {
  uint32_t offset = DtbNode::kNone;
  const char* name = nullptr;
  DtbSpan value;

  bool valid() const { return offset != DtbNode::kNone; }
};

class Dtb;

// Range over a node's children: `for (DtbNode c : dtb.children(n))`.
class DtbChildren {
 public:
  class iterator {
   public:
    DtbNode operator*() const { return node_; }
    iterator& operator++();
    bool operator!=(const iterator& o) const { return node_.offset != o.node_.offset; }

   private:
    friend class DtbChildren;
    iterator(const Dtb* dtb, DtbNode n) : dtb_(dtb), node_(n) {}
    const Dtb* dtb_;
    DtbNode node_;
  };
  iterator begin() const { return iterator(dtb_, first_); }
  iterator end() const { return iterator(dtb_, DtbNode{}); }

 private:
  friend class Dtb;
  DtbChildren(const Dtb* dtb, DtbNode first) : dtb_(dtb), first_(first) {}
  const Dtb* dtb_;
  DtbNode first_;
};

// Range over a node's properties: `for (DtbProperty p : dtb.properties(n))`.
class DtbProperties {
 public:
  class iterator {
   public:
    const DtbProperty& operator*() const { return prop_; }
    iterator& operator++();
    bool operator!=(const iterator& o) const { return prop_.offset != o.prop_.offset; }

   private:
    friend class DtbProperties;
    iterator(const Dtb* dtb, DtbProperty p) : dtb_(dtb), prop_(p) {}
    const Dtb* dtb_;
    DtbProperty prop_;
  };
  iterator begin() const { return iterator(dtb_, first_); }
  iterator end() const { return iterator(dtb_, DtbProperty{}); }

 private:
  friend class Dtb;
  DtbProperties(const Dtb* dtb, DtbProperty first) : dtb_(dtb), first_(first) {}
  const Dtb* dtb_;
  DtbProperty first_;
};

class Dtb {
 public:
  static constexpr uint32_t kMagic = 0xd00dfeedu;
  static constexpr size_t kHeaderSize = 40;  // version 17 header
  static constexpr uint32_t kMaxDepth = 32;  // open nodes, root included

  // Reads only the header's magic and totalsize: lets the kernel learn the
  // blob size before it knows how much memory it may touch. ERR_CORRUPT if
  // `available` < kHeaderSize, the magic is wrong, or totalsize is smaller
  // than the header or larger than `available`. ERR_INVALID_ARGS on null.
  static Result<size_t> blob_size(const void* header, size_t available);

  // Validates the whole blob (see the invariants above). Reads at most
  // min(available_bytes, totalsize) bytes. ERR_INVALID_ARGS on null.
  static Result<Dtb> parse(const void* blob, size_t available_bytes);

  size_t total_size() const { return total_; }
  uint32_t version() const { return version_; }
  uint32_t boot_cpuid() const { return boot_cpuid_; }

  // The root node ("/").
  DtbNode root() const { return DtbNode{root_, DtbNode::kNone}; }

  // Absolute path lookup, e.g. "/", "/chosen", "/soc/serial@10000000".
  // A component without '@' also matches a node named "<component>@<unit>"
  // (first match wins); one with '@' must match exactly. Empty components
  // ("//", trailing '/') are skipped. ERR_INVALID_ARGS unless the path starts
  // with '/', ERR_NOT_FOUND if no node matches.
  Result<DtbNode> find_node(const char* path) const;

  // First node after `after` in document order (from the start when `after`
  // is invalid) whose "compatible" string list contains `compat`, or whose
  // "device_type" equals `type`. ERR_NOT_FOUND when there is none.
  Result<DtbNode> find_compatible(const char* compat, DtbNode after = {}) const;
  Result<DtbNode> find_device_type(const char* type, DtbNode after = {}) const;

  // Tree navigation; an invalid DtbNode means "none" (or a corrupt handle).
  DtbNode first_child(DtbNode node) const;
  DtbNode next_sibling(DtbNode node) const;
  DtbChildren children(DtbNode node) const { return DtbChildren(this, first_child(node)); }

  // Full node name including the unit address ("memory@80000000"; "" for
  // the root). Null for an invalid handle.
  const char* node_name(DtbNode node) const;

  // Property iteration; an invalid DtbProperty ends it.
  DtbProperty first_property(DtbNode node) const;
  DtbProperty next_property(const DtbProperty& prop) const;
  DtbProperties properties(DtbNode node) const { return DtbProperties(this, first_property(node)); }

  // Named property access. ERR_NOT_FOUND if absent, ERR_CORRUPT if the
  // value has the wrong shape, ERR_INVALID_ARGS for a bad handle or name.
  Result<DtbSpan> property(DtbNode node, const char* name) const;
  Result<uint32_t> prop_u32(DtbNode node, const char* name) const;  // exactly 4 bytes
  Result<uint64_t> prop_u64(DtbNode node, const char* name) const;  // 8 bytes, or 4 (zero-extended)
  Result<const char*> prop_string(DtbNode node,
                                  const char* name) const;  // first string of the value
  // Whether the string-list property `name` contains `value` (false if absent or malformed).
  bool prop_has_string(DtbNode node, const char* name, const char* value) const;

  // #address-cells / #size-cells that `node` declares for its children
  // (defaults 2 and 1 when absent).
  Result<uint32_t> address_cells(DtbNode node) const;
  Result<uint32_t> size_cells(DtbNode node) const;

  // Entries of the node's "reg", decoded with the PARENT's cell counts (the
  // root uses the defaults). Supported: #address-cells 1..2, #size-cells
  // 0..2 (0 gives size 0, e.g. cpu nodes); others are ERR_UNSUPPORTED.
  // ERR_NOT_FOUND without "reg", ERR_CORRUPT if its length is not a whole
  // number of entries, ERR_OUT_OF_RANGE for index >= reg_count().
  Result<size_t> reg_count(DtbNode node) const;
  Result<MemRange> reg(DtbNode node, size_t index) const;

  // Memory-reservation block (terminating 0,0 entry not counted).
  size_t mem_reserve_count() const { return rsv_count_; }
  Result<MemRange> mem_reserve(size_t index) const;

 private:
  friend class DtbChildren;
  friend class DtbProperties;
  struct Token;
  enum class Match { kCompatible, kDeviceType };

  Dtb() = default;
  static Result<void> validate_structure(Dtb& dtb);
  bool read_token(uint32_t off, Token& tok) const;
  bool is_node(uint32_t off) const;
  // Reads the first non-NOP token at or after `off`, advancing `off` to it.
  bool read_skipping_nops(uint32_t& off, Token& t) const;
  Result<DtbNode> find_matching(Match how, const char* value, DtbNode after) const;
  Result<uint32_t> cells(DtbNode node, const char* name, uint32_t dflt) const;

  const uint8_t* blob_ = nullptr;
  uint32_t total_ = 0;
  uint32_t version_ = 0;
  uint32_t boot_cpuid_ = 0;
  uint32_t struct_off_ = 0;
  uint32_t struct_size_ = 0;
  uint32_t strings_off_ = 0;
  uint32_t strings_size_ = 0;
  uint32_t strings_end_ = 0;  // one past the strings block's last NUL (0: none)
  uint32_t rsv_off_ = 0;
  uint32_t rsv_count_ = 0;
  uint32_t root_ = 0;  // structure-block offset of the root's BEGIN_NODE
};

// What the kernel needs from the device tree at boot.
struct PlatformInfo {
  MemRange memory[8];  // every reg entry of every device_type "memory" node
  size_t memory_count;
  MemRange reserved[16];  // memory-reservation block + /reserved-memory/* reg
  size_t reserved_count;
  uint64_t uart_base, uart_size;  // compatible "ns16550a"
  uint32_t uart_irq;              // first cell of its "interrupts" (0 if absent)
  uint64_t plic_base, plic_size;  // "riscv,plic0" / "sifive,plic-1.0.0" (0 if absent)
  uint32_t plic_ndev;             // its "riscv,ndev"
  uint64_t test_base;             // "sifive,test0" (0 if absent)
  uint64_t timebase_hz;           // /cpus timebase-frequency (0 if absent)
  const char* bootargs;           // /chosen bootargs, "" if absent; points into the blob
  size_t hart_count;              // /cpus children with device_type "cpu", status not "disabled"
  static constexpr size_t MAX_HART_IDS = 64;
  uint64_t hart_ids[MAX_HART_IDS];  // their "reg" (the hart id), in tree order; the first
                                    // MAX_HART_IDS of them (hart_count may be larger)
};

// Summarises a parsed Dtb. ERR_NOT_FOUND without memory or UART,
// ERR_OUT_OF_RANGE if memory[] or reserved[] would overflow, ERR_CORRUPT for
// malformed values (e.g. a range whose end wraps around 2^64).
Result<PlatformInfo> read_platform(const Dtb& dtb);

}  // namespace libk
