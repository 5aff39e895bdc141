// Sv39 PTE format (RISC-V privileged spec, "Sv39"): V R W X U G A D in bits
// 0..7, PPN from bit 10. A/D are set at map time so no hardware or trap-based
// A/D update is ever needed. Pure logic: table pages and the TLB are reached
// through page_table_memory.h, so this file is also built and tested natively.
#include <arch/page_table.h>
#include <arch/page_table_memory.h>

namespace arch {
namespace {
constexpr uint64_t PTE_V = 1 << 0, PTE_R = 1 << 1, PTE_W = 1 << 2, PTE_X = 1 << 3, PTE_U = 1 << 4,
                   PTE_G = 1 << 5, PTE_A = 1 << 6, PTE_D = 1 << 7;
constexpr uint64_t PTE_LEAF = PTE_R | PTE_W | PTE_X;
constexpr size_t SMALL_SIZE = 4096;
constexpr size_t HUGE_SIZE = 2ull << 20;

unsigned index_at(uintptr_t va, unsigned level) { return (va >> (12 + 9 * level)) & 511; }
uintptr_t span_of(unsigned level) { return uintptr_t{1} << (12 + 9 * level); }
uintptr_t pte_pa(uint64_t pte) { return (pte >> 10) << 12; }
uint64_t* table_at(uintptr_t pa) { return pt_memory::table(pa); }
bool is_table(uint64_t pte) { return (pte & PTE_V) && !(pte & PTE_LEAF); }

uint64_t make_leaf(uintptr_t pa, uint32_t perms) {
  uint64_t pte = ((pa >> 12) << 10) | PTE_V | PTE_A | PTE_D;
  if (perms & PERM_R) pte |= PTE_R;
  if (perms & PERM_W) pte |= PTE_W;
  if (perms & PERM_X) pte |= PTE_X;
  if (perms & PERM_U) pte |= PTE_U;
  if (perms & PERM_G) pte |= PTE_G;
  return pte;
}

uint32_t perms_of(uint64_t pte) {
  uint32_t p = 0;
  if (pte & PTE_R) p |= PERM_R;
  if (pte & PTE_W) p |= PERM_W;
  if (pte & PTE_X) p |= PERM_X;
  if (pte & PTE_U) p |= PERM_U;
  if (pte & PTE_G) p |= PERM_G;
  return p;
}

bool perms_valid(uint32_t perms) {
  if (!(perms & PERM_R)) return false;
  if ((perms & PERM_W) && (perms & PERM_X)) return false;
  return true;
}

bool canonical(uintptr_t va) {
  uint64_t top = static_cast<int64_t>(va << 25) >> 25;
  return top == va;
}

// Visit the table at `pa` (level `level`) and every table below it, children
// first. Recursion depth is bounded by the format: Sv39 has three levels.
template <typename F>
void walk_tables(uintptr_t pa, unsigned level, F& fn) {
  if (level > 0) {
    uint64_t* t = table_at(pa);
    for (unsigned i = 0; i < 512; i++)
      if (is_table(t[i])) walk_tables(pte_pa(t[i]), level - 1, fn);
  }
  fn(pa);
}

// Tables allocated up front for one map() call, chained through their own
// first word (they are not in use yet).
class TableStock {
 public:
  ~TableStock() {
    while (head_) free_table(take());
  }
  libk::Result<void> fill(size_t n) {
    for (size_t i = 0; i < n; i++) {
      uintptr_t pa = TRY(pt_memory::alloc_table());
      *table_at(pa) = head_;
      head_ = pa;
    }
    return libk::ok();
  }
  uintptr_t take() {
    uintptr_t pa = head_;
    head_ = *table_at(pa);
    *table_at(pa) = 0;  // zeroed again, as alloc_table gave it
    return pa;
  }
  bool empty() const { return head_ == 0; }

 private:
  static void free_table(uintptr_t pa) { pt_memory::free_table(pa); }
  uintptr_t head_ = 0;
};
}  // namespace

libk::Result<PageTable> PageTable::create() {
  PageTable pt;
  pt.root_ = TRY(pt_memory::alloc_table());
  pt.tables_ = 1;
  return pt;
}

libk::Result<PageTable> PageTable::create_sharing_kernel_half(const PageTable& kernel) {
  PageTable pt = TRY(create());
  const uint64_t* k = table_at(kernel.root_);
  uint64_t* r = table_at(pt.root_);
  for (unsigned i = 256; i < 512; i++) r[i] = k[i];
  pt.shares_kernel_half_ = true;
  pt.asid_ = pt_memory::alloc_asid();
  return pt;
}

uint64_t PageTable::satp() const { return (8ull << 60) | (uint64_t{asid_} << 44) | (root_ >> 12); }

void PageTable::activate() const { pt_memory::load_root(satp()); }

libk::Result<size_t> PageTable::tables_needed(uintptr_t va, size_t size,
                                              unsigned leaf_level) const {
  size_t needed = 0;
  uintptr_t end = va + size;
  for (uintptr_t a = va; a < end;) {
    uint64_t* table = table_at(root_);
    unsigned level = 2;
    for (;;) {
      uint64_t pte = table[index_at(a, level)];
      if (level == leaf_level) {
        if (pte & PTE_V) return libk::err(ERR_ALREADY_EXISTS);
        a += span_of(level);
        break;
      }
      if ((pte & PTE_V) && (pte & PTE_LEAF)) return libk::err(ERR_ALREADY_EXISTS);
      if (pte & PTE_V) {
        table = table_at(pte_pa(pte));
        level--;
        continue;
      }
      // Missing below this entry: nothing under it is mapped. The part of the
      // range it covers needs one table at level-1 and, if that is not the
      // leaf level, one more per level-1 entry the range touches.
      uintptr_t span_end = (a & ~(span_of(level) - 1)) + span_of(level);
      if (span_end > end || span_end < a) span_end = end;
      needed += 1;
      if (level - 1 > leaf_level) {
        uintptr_t child = span_of(level - 1);
        uintptr_t first = a & ~(child - 1);
        uintptr_t last = (span_end - 1) & ~(child - 1);
        needed += (last - first) / child + 1;
      }
      a = span_end;
      break;
    }
  }
  return needed;
}

uint64_t* PageTable::walk_creating(uintptr_t va, unsigned leaf_level, void* stock_ptr) {
  auto& stock = *static_cast<TableStock*>(stock_ptr);
  uint64_t* table = table_at(root_);
  for (unsigned level = 2; level > leaf_level; level--) {
    uint64_t& pte = table[index_at(va, level)];
    if (!(pte & PTE_V)) {
      uintptr_t pa = stock.take();
      tables_++;
      pte = ((pa >> 12) << 10) | PTE_V;
    }
    table = table_at(pte_pa(pte));
  }
  return &table[index_at(va, leaf_level)];
}

libk::Result<void> PageTable::map(uintptr_t va, uintptr_t pa, size_t size, uint32_t perms,
                                  bool huge) {
  size_t step = huge ? HUGE_SIZE : SMALL_SIZE;
  unsigned leaf_level = huge ? 1 : 0;
  if (!size || ((va | pa | size) & (step - 1))) return libk::err(ERR_INVALID_ARGS);
  if (!perms_valid(perms) || !canonical(va) || va + size < va || !canonical(va + size - 1))
    return libk::err(ERR_INVALID_ARGS);
  // Decode: every page checked and every table the mapping needs allocated
  // before anything changes, so a failure leaves the table as it was.
  size_t needed = TRY(tables_needed(va, size, leaf_level));
  TableStock stock;
  TRY(stock.fill(needed));
  // Invoke: cannot fail.
  for (size_t off = 0; off < size; off += step)
    *walk_creating(va + off, leaf_level, &stock) = make_leaf(pa + off, perms);
  return libk::ok();
}

void PageTable::unmap(uintptr_t va, size_t size) {
  for (uintptr_t a = va; a < va + size;) {
    uint64_t* table = table_at(root_);
    unsigned level = 2;
    uint64_t* pte = nullptr;
    while (true) {
      pte = &table[index_at(a, level)];
      if (!(*pte & PTE_V) || (*pte & PTE_LEAF) || level == 0) break;
      table = table_at(pte_pa(*pte));
      level--;
    }
    size_t span = span_of(level);
    if ((*pte & PTE_V) && (*pte & PTE_LEAF)) *pte = 0;
    a = (a & ~(span - 1)) + span;
  }
  pt_memory::flush_tlb(satp(), va, size);
}

libk::Result<void> PageTable::protect(uintptr_t va, size_t size, uint32_t perms) {
  if (!perms_valid(perms) || ((va | size) & (SMALL_SIZE - 1))) return libk::err(ERR_INVALID_ARGS);
  for (uintptr_t a = va; a < va + size; a += SMALL_SIZE) {
    uint64_t* table = table_at(root_);
    for (unsigned level = 2;; level--) {
      uint64_t& pte = table[index_at(a, level)];
      if (!(pte & PTE_V)) break;
      if (pte & PTE_LEAF) {
        if (level == 0) pte = make_leaf(pte_pa(pte), perms);
        break;
      }
      table = table_at(pte_pa(pte));
    }
  }
  pt_memory::flush_tlb(satp(), va, size);
  return libk::ok();
}

bool PageTable::translate(uintptr_t va, uintptr_t* pa, uint32_t* perms) const {
  if (!canonical(va) || !root_) return false;
  uint64_t* table = table_at(root_);
  for (int level = 2; level >= 0; level--) {
    uint64_t pte = table[index_at(va, level)];
    if (!(pte & PTE_V)) return false;
    if (pte & PTE_LEAF) {
      size_t span = span_of(level);
      if (pa) *pa = pte_pa(pte) + (va & (span - 1));
      if (perms) *perms = perms_of(pte);
      return true;
    }
    table = table_at(pte_pa(pte));
  }
  return false;
}

void PageTable::for_each_table(void (*fn)(void* ctx, uintptr_t pa), void* ctx) const {
  if (!root_) return;
  auto visit = [&](uintptr_t pa) { fn(ctx, pa); };
  uint64_t* root = table_at(root_);
  unsigned owned_end = shares_kernel_half_ ? 256 : 512;
  for (unsigned i = 0; i < owned_end; i++)
    if (is_table(root[i])) walk_tables(pte_pa(root[i]), 1, visit);
  fn(ctx, root_);
}

void PageTable::destroy() {
  if (!root_) return;
  uint64_t* root = table_at(root_);
  unsigned owned_end = shares_kernel_half_ ? 256 : 512;
  auto release = [&](uintptr_t pa) {
    pt_memory::free_table(pa);
    tables_--;
  };
  for (unsigned i = 0; i < owned_end; i++) {
    if (is_table(root[i])) walk_tables(pte_pa(root[i]), 1, release);
    root[i] = 0;
  }
  pt_memory::free_table(root_);
  tables_--;
  root_ = 0;
  if (asid_) pt_memory::free_asid(asid_);
  asid_ = 0;
}

}  // namespace arch
