// A user address space: an Sv39 table that shares the kernel half, and the
// list of regions mapped in the user half. Each region is mapped whole or
// not at all; frames a region owns are freed with it, frames it borrows
// (read-only program pages mapped straight from the boot image) are not.
//
// Several tasks of a process may map and unmap at once, on several harts,
// and the audit reads it from anywhere: the region list and the table's
// structure change only under lock_, held for one list change, one page
// mapped, or one batch of pages unmapped with one TLB flush (never across a
// frame's allocation, zeroing or freeing). A region being filled or emptied
// is marked busy: it holds its addresses against other mappings and cannot
// be released twice.
#pragma once
#include <arch/page_table.h>
#include <arch/spinlock.h>
#include <libk/atomic.h>
#include <libk/list.h>
#include <libk/quota.h>
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

struct VmRegion {
  libk::ListNode node;  // in AddressSpace::regions_, sorted by base
  uintptr_t base;
  size_t size;
  uint32_t perms;  // arch::PagePerm bits, PERM_U included
  bool owns_frames;
  bool busy;  // being mapped or unmapped by one task (lock_)
};

class AddressSpace {
 public:
  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;
  ~AddressSpace();

  libk::Result<void> init();
  // Charge the frames it owns to this quota from now on (set once, empty):
  // a mapping over it fails with ERR_NO_MEMORY, like running out of frames.
  void set_quota(libk::Quota* q) { quota_ = q; }
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
  // Unmap everything, free owned frames and every table: the end of a
  // process (its last task, so nobody maps meanwhile).
  void destroy();

  size_t pages() const { return pages_.load(libk::MemoryOrder::Relaxed); }  // mapped user pages
  size_t owned_pages() const {  // of which frames it owns
    return owned_pages_.load(libk::MemoryOrder::Relaxed);
  }
  size_t table_frames() const { return pt_.table_frames(); }
  // For the audit: fn(table, regions) under the lock, so neither changes
  // while it looks.
  template <typename F>
  void inspect(F&& fn) {
    SpinGuard g(lock_);
    fn(static_cast<const arch::PageTable&>(pt_), regions_);
  }
  uint64_t satp() const { return pt_.satp(); }

 private:
  // A busy region at `base` (0: anywhere free), under the lock.
  libk::Result<VmRegion*> insert_region(uintptr_t base, size_t size, uint32_t perms, bool owns);
  // Free the busy region's pages (and its frames if it owns them), one page
  // under the lock at a time; with keep_entries the page table is left as
  // it is (it is about to go).
  void unmap_region(VmRegion& r, size_t mapped_bytes, bool keep_entries = false);
  // Map fresh frames over the whole busy region (src_len bytes of src first).
  libk::Result<void> fill(VmRegion& r, const uint8_t* src, size_t src_len);
  // Take the busy region out of the list and free it.
  void drop_region(VmRegion& r);
  uintptr_t find_free(size_t size) const;

  mutable Spinlock lock_{LockRank::AddressSpace, "address space"};
  arch::PageTable pt_;
  libk::IntrusiveList<VmRegion, &VmRegion::node> regions_;
  libk::Atomic<size_t> pages_;
  libk::Atomic<size_t> owned_pages_;
  libk::Quota* quota_ = nullptr;  // owned frames are charged here (the owner outlives us)
};
