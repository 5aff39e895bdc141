// A user address space: an Sv39 table that shares the kernel half, and the
// list of regions mapped in the user half. Each region is mapped whole or
// not at all; frames a region owns are freed with it, frames it borrows
// (read-only program pages mapped straight from the boot image) are not.
#pragma once
#include <arch/page_table.h>
#include <libk/list.h>
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

struct VmRegion {
  libk::ListNode node;  // in AddressSpace::regions_, sorted by base
  uintptr_t base;
  size_t size;
  uint32_t perms;  // arch::PagePerm bits, PERM_U included
  bool owns_frames;
};

class AddressSpace {
 public:
  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;
  ~AddressSpace();

  libk::Result<void> init();
  bool initialized() const { return pt_.root_pa() != 0; }

  // Map `size` bytes (page multiple) of zeroed memory at `at`, or anywhere
  // free if at == 0. perms: arch::PERM_R/W/X (W+X refused).
  libk::Result<uintptr_t> allocate(size_t size, uint32_t perms, uintptr_t at = 0);
  // Map [va, va+size) with fresh frames holding `src` (src_len bytes, the rest zero).
  libk::Result<void> map_copy(uintptr_t va, size_t size, uint32_t perms, const uint8_t* src,
                              size_t src_len);
  // Map physical pages that this address space does not own (read-only only).
  libk::Result<void> map_borrowed(uintptr_t va, uintptr_t pa, size_t size, uint32_t perms);
  // Unmap one whole region created by allocate(); ERR_NOT_FOUND otherwise.
  libk::Result<void> release(uintptr_t base, size_t size);
  // Kernel-side write into this address space's mapped pages (building a new
  // process's stack). ERR_INVALID_ARGS if any page is unmapped.
  libk::Result<void> write(uintptr_t va, const void* src, size_t len);
  // Unmap everything, free owned frames and every table: the end of a process.
  void destroy();

  size_t pages() const { return pages_; }              // mapped user pages
  size_t owned_pages() const { return owned_pages_; }  // of which frames it owns
  size_t table_frames() const { return pt_.table_frames(); }
  template <typename F>
  void for_each_region(F&& fn) {
    for (VmRegion& r : regions_) fn(r);
  }
  uint64_t satp() const { return pt_.satp(); }
  const arch::PageTable& page_table() const { return pt_; }

 private:
  libk::Result<VmRegion*> insert_region(uintptr_t base, size_t size, uint32_t perms, bool owns);
  // Free the region's pages (and its frames if it owns them); with
  // keep_entries the page table is left as it is (it is about to go).
  void unmap_region(VmRegion& r, size_t mapped_bytes, bool keep_entries = false);
  uintptr_t find_free(size_t size) const;

  arch::PageTable pt_;
  libk::IntrusiveList<VmRegion, &VmRegion::node> regions_;
  size_t pages_ = 0;
  size_t owned_pages_ = 0;
};
