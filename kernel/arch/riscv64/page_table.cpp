// Sv39 PTE format (RISC-V privileged spec, "Sv39"): V R W X U G A D in bits
// 0..7, PPN from bit 10. A/D are set at map time so no hardware or trap-based
// A/D update is ever needed.
#include "page_table.h"

#include "csr.h"
#include "memlayout.h"
#include "mm/pmm.h"

namespace arch {
namespace {
constexpr uint64_t PTE_V = 1 << 0, PTE_R = 1 << 1, PTE_W = 1 << 2, PTE_X = 1 << 3,
                   PTE_U = 1 << 4, PTE_G = 1 << 5, PTE_A = 1 << 6, PTE_D = 1 << 7;
constexpr uint64_t PTE_LEAF = PTE_R | PTE_W | PTE_X;
constexpr size_t HUGE_SIZE = 2ull << 20;

unsigned index_at(uintptr_t va, unsigned level) { return (va >> (12 + 9 * level)) & 511; }
uintptr_t pte_pa(uint64_t pte) { return (pte >> 10) << 12; }
uint64_t* table_at(uintptr_t pa) { return phys_to_virt<uint64_t>(pa); }

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

void free_tables(uintptr_t table_pa, unsigned level, size_t* count) {
  uint64_t* t = table_at(table_pa);
  if (level > 0) {
    for (unsigned i = 0; i < 512; i++) {
      if ((t[i] & PTE_V) && !(t[i] & PTE_LEAF)) free_tables(pte_pa(t[i]), level - 1, count);
    }
  }
  (void)pmm::free(table_pa, 0);
  (*count)--;
}
}  // namespace

libk::Result<PageTable> PageTable::create() {
  PageTable pt;
  pt.root_ = TRY(pmm::alloc_zeroed(0));
  pt.tables_ = 1;
  return pt;
}

libk::Result<PageTable> PageTable::create_sharing_kernel_half(const PageTable& kernel) {
  PageTable pt = TRY(create());
  const uint64_t* k = table_at(kernel.root_);
  uint64_t* r = table_at(pt.root_);
  for (unsigned i = 256; i < 512; i++) r[i] = k[i];
  pt.shares_kernel_half_ = true;
  return pt;
}

uint64_t PageTable::satp() const { return (8ull << 60) | (root_ >> 12); }

void PageTable::activate() const {
  sfence_vma();
  w_satp(satp());
  sfence_vma();
}

uint64_t* PageTable::walk(uintptr_t va, unsigned leaf_level, bool create,
                          libk::Result<void>* err) {
  uint64_t* table = table_at(root_);
  for (unsigned level = 2; level > leaf_level; level--) {
    uint64_t& pte = table[index_at(va, level)];
    if (pte & PTE_V) {
      if (pte & PTE_LEAF) {  // a bigger leaf already covers va
        if (err) *err = libk::err(ERR_ALREADY_EXISTS);
        return nullptr;
      }
    } else {
      if (!create) return nullptr;
      auto frame = pmm::alloc_zeroed(0);
      if (frame.is_error()) {
        if (err) *err = libk::err(ERR_NO_MEMORY);
        return nullptr;
      }
      tables_++;
      pte = ((frame.value() >> 12) << 10) | PTE_V;
    }
    table = table_at(pte_pa(pte));
  }
  return &table[index_at(va, leaf_level)];
}

libk::Result<void> PageTable::map(uintptr_t va, uintptr_t pa, size_t size, uint32_t perms,
                                  bool huge) {
  size_t step = huge ? HUGE_SIZE : PAGE_SIZE;
  if ((va | pa | size) & (step - 1)) return libk::err(ERR_INVALID_ARGS);
  if (!perms_valid(perms) || !canonical(va) || va + size < va) return libk::err(ERR_INVALID_ARGS);
  for (size_t off = 0; off < size; off += step) {
    libk::Result<void> err = libk::ok();
    uint64_t* pte = walk(va + off, huge ? 1 : 0, true, &err);
    if (pte && (*pte & PTE_V)) err = libk::err(ERR_ALREADY_EXISTS);
    if (!pte || err.is_error()) {
      unmap(va, off);
      return err.is_error() ? libk::err(err.error()) : libk::err(ERR_NO_MEMORY);
    }
    *pte = make_leaf(pa + off, perms);
  }
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
    size_t span = 1ull << (12 + 9 * level);
    if ((*pte & PTE_V) && (*pte & PTE_LEAF)) *pte = 0;
    a = (a & ~(span - 1)) + span;
  }
  sfence_vma();
}

libk::Result<void> PageTable::protect(uintptr_t va, size_t size, uint32_t perms) {
  if (!perms_valid(perms) || ((va | size) & (PAGE_SIZE - 1))) return libk::err(ERR_INVALID_ARGS);
  for (uintptr_t a = va; a < va + size; a += PAGE_SIZE) {
    uint64_t* pte = walk(a, 0, false, nullptr);
    if (pte && (*pte & PTE_V)) *pte = make_leaf(pte_pa(*pte), perms);
  }
  sfence_vma();
  return libk::ok();
}

bool PageTable::translate(uintptr_t va, uintptr_t* pa, uint32_t* perms) const {
  if (!canonical(va)) return false;
  uint64_t* table = table_at(root_);
  for (int level = 2; level >= 0; level--) {
    uint64_t pte = table[index_at(va, level)];
    if (!(pte & PTE_V)) return false;
    if (pte & PTE_LEAF) {
      size_t span = 1ull << (12 + 9 * level);
      if (pa) *pa = pte_pa(pte) + (va & (span - 1));
      if (perms) *perms = perms_of(pte);
      return true;
    }
    table = table_at(pte_pa(pte));
  }
  return false;
}

void PageTable::destroy() {
  if (!root_) return;
  uint64_t* root = table_at(root_);
  unsigned owned_end = shares_kernel_half_ ? 256 : 512;
  for (unsigned i = 0; i < owned_end; i++) {
    if ((root[i] & PTE_V) && !(root[i] & PTE_LEAF)) free_tables(pte_pa(root[i]), 1, &tables_);
    root[i] = 0;
  }
  (void)pmm::free(root_, 0);
  tables_--;
  root_ = 0;
}

}  // namespace arch
