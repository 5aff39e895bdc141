// Flattened device tree reader: see libk/dtb.h for the format and invariants.
//
// Every access to the blob goes through be32()/be64() at an offset that was
// checked against the block it belongs to (header, reservation map, structure
// or strings block), and every block was checked against totalsize, which
// was checked against the caller's available_bytes. Offsets are computed in
// 64 bits so no sum can wrap.
#include <libk/dtb.h>

namespace libk {

namespace {

constexpr uint32_t kBeginNode = 1;
constexpr uint32_t kEndNode = 2;
constexpr uint32_t kProp = 3;
constexpr uint32_t kNop = 4;
constexpr uint32_t kEnd = 9;

// Header field offsets (all big-endian u32).
constexpr size_t kHdrMagic = 0;
constexpr size_t kHdrTotalSize = 4;
constexpr size_t kHdrOffStruct = 8;
constexpr size_t kHdrOffStrings = 12;
constexpr size_t kHdrOffRsvmap = 16;
constexpr size_t kHdrVersion = 20;
constexpr size_t kHdrLastComp = 24;
constexpr size_t kHdrBootCpu = 28;
constexpr size_t kHdrSizeStrings = 32;
constexpr size_t kHdrSizeStruct = 36;

constexpr uint32_t kMinVersion = 16;
constexpr uint32_t kMaxLastCompVersion = 17;

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

uint64_t be64(const uint8_t* p) { return (uint64_t(be32(p)) << 32) | be32(p + 4); }

uint64_t align4(uint64_t v) { return (v + 3) & ~uint64_t(3); }

// Local string helpers (libk string.h is not a dependency of this file).
bool str_eq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

size_t str_len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Index of the first NUL in [begin, end) of `p`, or `end` if there is none.
uint64_t find_nul(const uint8_t* p, uint64_t begin, uint64_t end) {
  for (uint64_t i = begin; i < end; ++i)
    if (p[i] == 0) return i;
  return end;
}

// Whether the string list `v` (NUL-separated, last byte NUL) contains `s`.
bool list_contains(const DtbSpan& v, const char* s) {
  if (v.size == 0 || v.data[v.size - 1] != 0) return false;
  size_t i = 0;
  while (i < v.size) {
    const char* item = reinterpret_cast<const char*>(v.data + i);
    if (str_eq(item, s)) return true;
    i += str_len(item) + 1;  // stays <= size: the last byte is NUL
  }
  return false;
}

// Name `name` (NUL-terminated) matches path component [comp, comp+len).
bool component_matches(const char* name, const char* comp, size_t len, bool has_unit) {
  for (size_t i = 0; i < len; ++i)
    if (name[i] == '\0' || name[i] != comp[i]) return false;
  if (name[len] == '\0') return true;
  return !has_unit && name[len] == '@';
}

}  // namespace

// A decoded structure-block token. `next` is the offset of the following
// token; name/data point into the blob and were bounds-checked.
struct Dtb::Token {
  uint32_t kind = 0;
  uint32_t next = 0;
  const char* name = nullptr;     // BEGIN_NODE: node name; PROP: property name
  const uint8_t* data = nullptr;  // PROP value
  uint32_t len = 0;               // PROP value length
};

Result<uint32_t> DtbSpan::cell(size_t index) const {
  if (data == nullptr || index >= cell_count()) return err(ERR_OUT_OF_RANGE);
  return be32(data + index * 4);
}

DtbChildren::iterator& DtbChildren::iterator::operator++() {
  node_ = dtb_->next_sibling(node_);
  return *this;
}

DtbProperties::iterator& DtbProperties::iterator::operator++() {
  prop_ = dtb_->next_property(prop_);
  return *this;
}

Result<size_t> Dtb::blob_size(const void* header, size_t available) {
  if (header == nullptr) return err(ERR_INVALID_ARGS);
  if (available < kHeaderSize) return err(ERR_CORRUPT);
  const uint8_t* h = static_cast<const uint8_t*>(header);
  if (be32(h + kHdrMagic) != kMagic) return err(ERR_CORRUPT);
  uint32_t total = be32(h + kHdrTotalSize);
  if (total < kHeaderSize || total > available) return err(ERR_CORRUPT);
  return size_t(total);
}

Result<Dtb> Dtb::parse(const void* blob, size_t available_bytes) {
  size_t total = TRY(blob_size(blob, available_bytes));
  const uint8_t* h = static_cast<const uint8_t*>(blob);

  Dtb d;
  d.blob_ = h;
  d.total_ = uint32_t(total);
  d.version_ = be32(h + kHdrVersion);
  d.boot_cpuid_ = be32(h + kHdrBootCpu);
  if (d.version_ < kMinVersion || be32(h + kHdrLastComp) > kMaxLastCompVersion)
    return err(ERR_CORRUPT);

  d.struct_off_ = be32(h + kHdrOffStruct);
  d.strings_off_ = be32(h + kHdrOffStrings);
  d.strings_size_ = be32(h + kHdrSizeStrings);
  d.rsv_off_ = be32(h + kHdrOffRsvmap);
  // Blocks live after the header and inside totalsize.
  if (d.struct_off_ < kHeaderSize || d.strings_off_ < kHeaderSize || d.rsv_off_ < kHeaderSize ||
      d.struct_off_ > total || d.strings_off_ > total || d.rsv_off_ > total)
    return err(ERR_CORRUPT);
  // size_dt_struct exists from version 17 on; before, the block runs to the end.
  d.struct_size_ = d.version_ >= 17 ? be32(h + kHdrSizeStruct) : uint32_t(total - d.struct_off_);
  if (uint64_t(d.struct_off_) + d.struct_size_ > total ||
      uint64_t(d.strings_off_) + d.strings_size_ > total)
    return err(ERR_CORRUPT);
  if (d.struct_off_ % 4 != 0 || d.rsv_off_ % 8 != 0) return err(ERR_CORRUPT);

  // Property names must be NUL-terminated inside the strings block: remember
  // where the last NUL is, so a name offset below it is enough.
  for (uint32_t i = d.strings_size_; i > 0; --i) {
    if (h[d.strings_off_ + i - 1] == 0) {
      d.strings_end_ = i;
      break;
    }
  }

  // Memory-reservation block: 16-byte entries up to a (0, 0) terminator,
  // which must itself lie inside totalsize.
  for (uint64_t off = d.rsv_off_;; off += 16) {
    if (off + 16 > total) return err(ERR_CORRUPT);
    if (be64(h + off) == 0 && be64(h + off + 8) == 0) break;
    ++d.rsv_count_;
  }

  TRY(validate_structure(d));
  return d;
}

// One pass over the structure block: exactly one root, balanced nodes,
// properties before child nodes, depth <= kMaxDepth, FDT_END after the root.
// read_token() checks every name, length and name offset.
Result<void> Dtb::validate_structure(Dtb& d) {
  bool seen_child[kMaxDepth + 1] = {};
  uint32_t depth = 0;
  bool seen_root = false;
  uint32_t off = 0;
  for (;;) {
    Token t;
    if (!d.read_token(off, t)) return err(ERR_CORRUPT);
    switch (t.kind) {
      case kBeginNode:
        if (depth == 0) {
          if (seen_root) return err(ERR_CORRUPT);
          seen_root = true;
          d.root_ = off;
        } else {
          seen_child[depth] = true;
        }
        if (++depth > kMaxDepth) return err(ERR_CORRUPT);
        seen_child[depth] = false;
        break;
      case kEndNode:
        if (depth == 0) return err(ERR_CORRUPT);
        --depth;
        break;
      case kProp:
        if (depth == 0 || seen_child[depth]) return err(ERR_CORRUPT);
        break;
      case kNop:
        break;
      case kEnd:
        if (depth != 0 || !seen_root) return err(ERR_CORRUPT);
        return ok();
      default:
        return err(ERR_CORRUPT);
    }
    off = t.next;  // strictly increasing, so the loop ends
  }
}

bool Dtb::read_token(uint32_t off, Token& t) const {
  if (blob_ == nullptr || off % 4 != 0 || uint64_t(off) + 4 > struct_size_) return false;
  const uint8_t* s = blob_ + struct_off_;
  t.kind = be32(s + off);
  switch (t.kind) {
    case kBeginNode: {
      uint64_t nul = find_nul(s, uint64_t(off) + 4, struct_size_);
      if (nul == struct_size_) return false;
      uint64_t next = align4(nul + 1);
      if (next > struct_size_) return false;
      t.name = reinterpret_cast<const char*>(s + off + 4);
      t.next = uint32_t(next);
      return true;
    }
    case kProp: {
      if (uint64_t(off) + 12 > struct_size_) return false;
      uint32_t len = be32(s + off + 4);
      uint32_t nameoff = be32(s + off + 8);
      uint64_t end = uint64_t(off) + 12 + len;
      if (end > struct_size_) return false;
      uint64_t next = align4(end);
      if (next > struct_size_) return false;
      // Below strings_end_ a NUL follows before the block ends.
      if (nameoff >= strings_end_) return false;
      t.name = reinterpret_cast<const char*>(blob_ + strings_off_ + nameoff);
      t.data = s + off + 12;
      t.len = len;
      t.next = uint32_t(next);
      return true;
    }
    case kEndNode:
    case kNop:
    case kEnd:
      t.next = off + 4;
      return true;
    default:
      return false;
  }
}

bool Dtb::is_node(uint32_t off) const {
  Token t;
  return read_token(off, t) && t.kind == kBeginNode;
}

bool Dtb::read_skipping_nops(uint32_t& off, Token& t) const {
  for (;;) {
    if (!read_token(off, t)) return false;
    if (t.kind != kNop) return true;
    off = t.next;
  }
}

const char* Dtb::node_name(DtbNode node) const {
  Token t;
  if (!read_token(node.offset, t) || t.kind != kBeginNode) return nullptr;
  return t.name;
}

DtbNode Dtb::first_child(DtbNode node) const {
  Token t;
  if (!read_token(node.offset, t) || t.kind != kBeginNode) return {};
  uint32_t off = t.next;
  while (read_skipping_nops(off, t)) {
    if (t.kind == kBeginNode) return DtbNode{off, node.offset};
    if (t.kind != kProp) break;
    off = t.next;
  }
  return {};
}

DtbNode Dtb::next_sibling(DtbNode node) const {
  if (node.parent == DtbNode::kNone || !is_node(node.offset)) return {};
  // Skip the node's subtree: its BEGIN_NODE opens depth 1.
  uint32_t depth = 0;
  uint32_t off = node.offset;
  Token t;
  for (;;) {
    if (!read_token(off, t)) return {};
    off = t.next;
    if (t.kind == kBeginNode) {
      ++depth;
    } else if (t.kind == kEndNode) {
      if (--depth == 0) break;
    } else if (t.kind == kEnd) {
      return {};
    }
  }
  if (read_skipping_nops(off, t) && t.kind == kBeginNode) return DtbNode{off, node.parent};
  return {};
}

DtbProperty Dtb::first_property(DtbNode node) const {
  Token t;
  if (!read_token(node.offset, t) || t.kind != kBeginNode) return {};
  uint32_t off = t.next;
  if (!read_skipping_nops(off, t) || t.kind != kProp) return {};
  return DtbProperty{off, t.name, DtbSpan{t.data, t.len}};
}

DtbProperty Dtb::next_property(const DtbProperty& prop) const {
  // The next token follows the value (a forged `prop` only leads to a
  // bounds-checked read elsewhere in the block).
  if (!prop.valid() || prop.value.size > struct_size_) return {};
  uint64_t next = align4(uint64_t(prop.offset) + 12 + prop.value.size);
  if (next > struct_size_) return {};
  Token t;
  uint32_t off = uint32_t(next);
  if (!read_skipping_nops(off, t) || t.kind != kProp) return {};
  return DtbProperty{off, t.name, DtbSpan{t.data, t.len}};
}

Result<DtbSpan> Dtb::property(DtbNode node, const char* name) const {
  if (name == nullptr || !is_node(node.offset)) return err(ERR_INVALID_ARGS);
  for (DtbProperty p = first_property(node); p.valid(); p = next_property(p))
    if (str_eq(p.name, name)) return p.value;
  return err(ERR_NOT_FOUND);
}

Result<uint32_t> Dtb::prop_u32(DtbNode node, const char* name) const {
  DtbSpan v = TRY(property(node, name));
  if (v.size != 4) return err(ERR_CORRUPT);
  return be32(v.data);
}

Result<uint64_t> Dtb::prop_u64(DtbNode node, const char* name) const {
  DtbSpan v = TRY(property(node, name));
  if (v.size == 8) return be64(v.data);
  if (v.size == 4) return uint64_t(be32(v.data));
  return err(ERR_CORRUPT);
}

Result<const char*> Dtb::prop_string(DtbNode node, const char* name) const {
  DtbSpan v = TRY(property(node, name));
  if (v.size == 0 || v.data[v.size - 1] != 0) return err(ERR_CORRUPT);
  return reinterpret_cast<const char*>(v.data);
}

bool Dtb::prop_has_string(DtbNode node, const char* name, const char* value) const {
  if (value == nullptr) return false;
  auto v = property(node, name);
  return v.ok() && list_contains(v.value(), value);
}

Result<DtbNode> Dtb::find_node(const char* path) const {
  if (path == nullptr || path[0] != '/') return err(ERR_INVALID_ARGS);
  DtbNode cur = root();
  const char* p = path;
  for (;;) {
    while (*p == '/') ++p;
    if (*p == '\0') return cur;
    size_t len = 0;
    bool has_unit = false;
    while (p[len] != '\0' && p[len] != '/') {
      if (p[len] == '@') has_unit = true;
      ++len;
    }
    DtbNode next{};
    for (DtbNode c = first_child(cur); c.valid(); c = next_sibling(c)) {
      const char* name = node_name(c);
      if (name != nullptr && component_matches(name, p, len, has_unit)) {
        next = c;
        break;
      }
    }
    if (!next.valid()) return err(ERR_NOT_FOUND);
    cur = next;
    p += len;
  }
}

// One linear scan in document order. A stack of open nodes gives each hit
// its parent; the properties of the node just opened are checked as the scan
// passes over them (they precede its children), so each token is read once.
Result<DtbNode> Dtb::find_matching(Match how, const char* value, DtbNode after) const {
  if (value == nullptr) return err(ERR_INVALID_ARGS);
  const char* prop_name = how == Match::kCompatible ? "compatible" : "device_type";
  uint32_t stack[kMaxDepth];
  uint32_t depth = 0;
  bool candidate = false;  // the innermost open node is after `after`, props not passed yet
  uint32_t off = 0;
  for (;;) {
    Token t;
    if (!read_token(off, t)) return err(ERR_CORRUPT);
    switch (t.kind) {
      case kBeginNode:
        if (depth >= kMaxDepth) return err(ERR_CORRUPT);
        stack[depth++] = off;
        candidate = !after.valid() || off > after.offset;
        break;
      case kEndNode:
        if (depth == 0) return err(ERR_CORRUPT);
        --depth;
        candidate = false;
        break;
      case kProp:
        if (candidate && depth > 0 && str_eq(t.name, prop_name)) {
          DtbSpan v{t.data, t.len};
          bool hit = how == Match::kCompatible
                         ? list_contains(v, value)
                         : (t.len > 0 && t.data[t.len - 1] == 0 &&
                            str_eq(reinterpret_cast<const char*>(t.data), value));
          if (hit) return DtbNode{stack[depth - 1], depth > 1 ? stack[depth - 2] : DtbNode::kNone};
        }
        break;
      case kEnd:
        return err(ERR_NOT_FOUND);
      default:  // NOP
        break;
    }
    off = t.next;
  }
}

Result<DtbNode> Dtb::find_compatible(const char* compat, DtbNode after) const {
  return find_matching(Match::kCompatible, compat, after);
}

Result<DtbNode> Dtb::find_device_type(const char* type, DtbNode after) const {
  return find_matching(Match::kDeviceType, type, after);
}

Result<uint32_t> Dtb::cells(DtbNode node, const char* name, uint32_t dflt) const {
  auto r = prop_u32(node, name);
  if (r.error() == ERR_NOT_FOUND) return dflt;
  return r;
}

Result<uint32_t> Dtb::address_cells(DtbNode node) const { return cells(node, "#address-cells", 2); }

Result<uint32_t> Dtb::size_cells(DtbNode node) const { return cells(node, "#size-cells", 1); }

namespace {
// Decoding parameters of one node's "reg".
struct RegLayout {
  DtbSpan value;
  uint32_t addr_cells;
  uint32_t size_cells;
  size_t count;
};
}  // namespace

static Result<RegLayout> reg_layout(const Dtb& dtb, DtbNode node) {
  uint32_t ac = 2, sc = 1;
  if (node.parent != DtbNode::kNone) {
    DtbNode parent{node.parent, DtbNode::kNone};
    ac = TRY(dtb.address_cells(parent));
    sc = TRY(dtb.size_cells(parent));
  }
  if (ac < 1 || ac > 2 || sc > 2) return err(ERR_UNSUPPORTED);
  DtbSpan v = TRY(dtb.property(node, "reg"));
  size_t entry = size_t(ac + sc) * 4;
  if (v.size % entry != 0) return err(ERR_CORRUPT);
  return RegLayout{v, ac, sc, v.size / entry};
}

Result<size_t> Dtb::reg_count(DtbNode node) const {
  RegLayout l = TRY(reg_layout(*this, node));
  return l.count;
}

Result<MemRange> Dtb::reg(DtbNode node, size_t index) const {
  RegLayout l = TRY(reg_layout(*this, node));
  if (index >= l.count) return err(ERR_OUT_OF_RANGE);
  const uint8_t* p = l.value.data + index * size_t(l.addr_cells + l.size_cells) * 4;
  MemRange r{0, 0};
  r.base = l.addr_cells == 2 ? be64(p) : be32(p);
  p += l.addr_cells * 4;
  if (l.size_cells == 2)
    r.size = be64(p);
  else if (l.size_cells == 1)
    r.size = be32(p);
  return r;
}

Result<MemRange> Dtb::mem_reserve(size_t index) const {
  if (index >= rsv_count_) return err(ERR_OUT_OF_RANGE);
  uint64_t off = uint64_t(rsv_off_) + uint64_t(index) * 16;
  if (off + 16 > total_) return err(ERR_CORRUPT);
  return MemRange{be64(blob_ + off), be64(blob_ + off + 8)};
}

// ---- platform summary ----

namespace {

bool string_prop_is(const Dtb& dtb, DtbNode n, const char* name, const char* value) {
  auto s = dtb.prop_string(n, name);
  return s.ok() && str_eq(s.value(), value);
}

// Appends a range to a fixed array; zero-size ranges are skipped and a range
// whose end does not fit in 64 bits is corrupt.
Result<void> add_range(MemRange* arr, size_t cap, size_t& count, MemRange r) {
  if (r.size > ~uint64_t(0) - r.base) return err(ERR_CORRUPT);
  if (r.size == 0) return ok();
  if (count >= cap) return err(ERR_OUT_OF_RANGE);
  arr[count++] = r;
  return ok();
}

// Adds every reg entry of `n` (none if it has no "reg").
Result<void> add_regs(const Dtb& dtb, DtbNode n, MemRange* arr, size_t cap, size_t& count) {
  auto nregs = dtb.reg_count(n);
  if (nregs.error() == ERR_NOT_FOUND) return ok();
  size_t k = TRY(std::move(nregs));
  for (size_t i = 0; i < k; ++i) TRY(add_range(arr, cap, count, TRY(dtb.reg(n, i))));
  return ok();
}

// Optional node lookup: ERR_NOT_FOUND becomes an invalid node.
Result<DtbNode> optional(Result<DtbNode> r) {
  if (r.error() == ERR_NOT_FOUND) return DtbNode{};
  return r;
}

}  // namespace

Result<PlatformInfo> read_platform(const Dtb& dtb) {
  PlatformInfo info{};
  info.bootargs = "";
  constexpr size_t kMemCap = sizeof(info.memory) / sizeof(info.memory[0]);
  constexpr size_t kRsvCap = sizeof(info.reserved) / sizeof(info.reserved[0]);

  // Memory: all reg entries of every device_type "memory" node.
  for (DtbNode n = TRY(optional(dtb.find_device_type("memory"))); n.valid();
       n = TRY(optional(dtb.find_device_type("memory", n))))
    TRY(add_regs(dtb, n, info.memory, kMemCap, info.memory_count));
  if (info.memory_count == 0) return err(ERR_NOT_FOUND);

  // Reserved: the reservation block, then /reserved-memory's children.
  for (size_t i = 0; i < dtb.mem_reserve_count(); ++i)
    TRY(add_range(info.reserved, kRsvCap, info.reserved_count, TRY(dtb.mem_reserve(i))));
  DtbNode rmem = TRY(optional(dtb.find_node("/reserved-memory")));
  if (rmem.valid())
    for (DtbNode c : dtb.children(rmem))
      TRY(add_regs(dtb, c, info.reserved, kRsvCap, info.reserved_count));

  // UART (required).
  DtbNode uart = TRY(dtb.find_compatible("ns16550a"));
  MemRange ur = TRY(dtb.reg(uart, 0));
  info.uart_base = ur.base;
  info.uart_size = ur.size;
  auto irqs = dtb.property(uart, "interrupts");
  if (irqs.ok())
    info.uart_irq = TRY(irqs.value().cell(0));
  else if (irqs.error() != ERR_NOT_FOUND)
    return err(irqs.error());

  // PLIC (optional).
  DtbNode plic = TRY(optional(dtb.find_compatible("riscv,plic0")));
  if (!plic.valid()) plic = TRY(optional(dtb.find_compatible("sifive,plic-1.0.0")));
  if (plic.valid()) {
    MemRange pr = TRY(dtb.reg(plic, 0));
    info.plic_base = pr.base;
    info.plic_size = pr.size;
    auto ndev = dtb.prop_u32(plic, "riscv,ndev");
    if (ndev.ok())
      info.plic_ndev = ndev.value();
    else if (ndev.error() != ERR_NOT_FOUND)
      return err(ndev.error());
  }

  // SiFive test device (optional).
  DtbNode test = TRY(optional(dtb.find_compatible("sifive,test0")));
  if (test.valid()) info.test_base = TRY(dtb.reg(test, 0)).base;

  // CPUs: timebase from /cpus (or, failing that, the first cpu), hart count.
  DtbNode cpus = TRY(optional(dtb.find_node("/cpus")));
  if (cpus.valid()) {
    auto tb = dtb.prop_u64(cpus, "timebase-frequency");
    if (tb.ok())
      info.timebase_hz = tb.value();
    else if (tb.error() != ERR_NOT_FOUND)
      return err(tb.error());
    for (DtbNode c : dtb.children(cpus)) {
      if (!string_prop_is(dtb, c, "device_type", "cpu")) continue;
      if (string_prop_is(dtb, c, "status", "disabled")) continue;
      auto id = dtb.prop_u64(c, "reg");
      if (id.is_error()) return err(id.error() == ERR_NOT_FOUND ? ERR_CORRUPT : id.error());
      if (info.hart_count < PlatformInfo::MAX_HART_IDS) info.hart_ids[info.hart_count] = id.value();
      ++info.hart_count;
      if (info.timebase_hz == 0) {
        auto ctb = dtb.prop_u64(c, "timebase-frequency");
        if (ctb.ok()) info.timebase_hz = ctb.value();
      }
    }
  }

  // Kernel command line.
  DtbNode chosen = TRY(optional(dtb.find_node("/chosen")));
  if (chosen.valid()) {
    auto args = dtb.prop_string(chosen, "bootargs");
    if (args.ok())
      info.bootargs = args.value();
    else if (args.error() != ERR_NOT_FOUND)
      return err(args.error());
  }
  return info;
}

}  // namespace libk
