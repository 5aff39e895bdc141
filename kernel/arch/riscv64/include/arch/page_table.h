// An Sv39 page table: three levels of 512 entries, 4 KiB pages, with 2 MiB
// leaves where a caller asks for them. Table frames come from the frame
// allocator and are reached through the direct map.
//
// Permissions are checked at map time: a mapping is never writable and
// executable at once, and never without read (execute-only is refused too,
// to keep the rule simple). map() decodes before it acts: it checks every
// page and allocates every table the mapping needs first, so on any error
// (ERR_ALREADY_EXISTS, ERR_NO_MEMORY) the table is exactly as it was, with
// no partial mapping and no table frame left behind.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace arch {

enum PagePerm : uint32_t {
  PERM_R = 1 << 0,
  PERM_W = 1 << 1,
  PERM_X = 1 << 2,
  PERM_U = 1 << 3,  // user accessible
  PERM_G = 1 << 4,  // global (kernel half)
};

class PageTable {
 public:
  PageTable() = default;
  // Allocate an empty root table.
  static libk::Result<PageTable> create();
  // Allocate a root whose upper half points at `kernel`'s tables (the kernel
  // half every address space shares). destroy() never frees shared tables.
  static libk::Result<PageTable> create_sharing_kernel_half(const PageTable& kernel);

  // Map [va, va+size) to [pa, pa+size). All three must be page aligned
  // (2 MiB aligned for huge), size non-zero. ERR_ALREADY_EXISTS if any page
  // is mapped, ERR_INVALID_ARGS for bad alignment or W+X, ERR_NO_MEMORY for
  // tables; on error nothing changed.
  libk::Result<void> map(uintptr_t va, uintptr_t pa, size_t size, uint32_t perms,
                         bool huge = false);
  // Remove mappings in [va, va+size); unmapped pages are skipped. Tables that
  // become empty stay (they are freed by destroy()).
  void unmap(uintptr_t va, size_t size);
  // Change the permissions of every mapped page in the range.
  libk::Result<void> protect(uintptr_t va, size_t size, uint32_t perms);
  // Physical address and permissions of the page holding va.
  bool translate(uintptr_t va, uintptr_t* pa, uint32_t* perms = nullptr) const;
  // Free every table frame this table owns (not the shared kernel half).
  void destroy();
  // Visit every table frame this table owns, root included (the audit).
  void for_each_table(void (*fn)(void* ctx, uintptr_t pa), void* ctx) const;

  uintptr_t root_pa() const { return root_; }
  uint64_t satp() const;
  size_t table_frames() const { return tables_; }
  void activate() const;  // load into satp on this hart and flush the TLB

 private:
  // How many tables mapping [va, va+size) at leaf_level would add;
  // ERR_ALREADY_EXISTS if any of it is mapped.
  libk::Result<size_t> tables_needed(uintptr_t va, size_t size, unsigned leaf_level) const;
  // The leaf entry for va, creating missing tables from `stock` (a
  // TableStock filled by map()).
  uint64_t* walk_creating(uintptr_t va, unsigned leaf_level, void* stock);

  uintptr_t root_ = 0;  // physical address of the level-2 table
  uint16_t asid_ = 0;   // user tables: their address-space identifier (0: none)
  size_t tables_ = 0;   // frames used by tables, root included
  bool shares_kernel_half_ = false;
};

}  // namespace arch
