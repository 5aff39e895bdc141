#include "address_space.h"

#include <arch/csr.h>
#include <arch/memlayout.h>
#include <libk/string.h>

#include "lib/panic.h"
#include "mm/kernel_vm.h"
#include "mm/pmm.h"
#include "mm/slab.h"

namespace {
TypedCache<VmRegion> region_cache("vm_region");
// allocate(at = 0) places regions from here up, clear of programs at 4 MiB.
constexpr uintptr_t ALLOC_BASE = 0x0000001000000000ull;
using arch::PAGE_SIZE;

bool overlaps(uintptr_t a, size_t as, uintptr_t b, size_t bs) { return a < b + bs && b < a + as; }
}  // namespace

AddressSpace::~AddressSpace() { destroy(); }

libk::Result<void> AddressSpace::init() {
  if (initialized()) return libk::err(ERR_BAD_STATE);
  pt_ = TRY(arch::PageTable::create_sharing_kernel_half(kernel_vm::page_table()));
  return libk::ok();
}

uintptr_t AddressSpace::find_free(size_t size) const {
  uintptr_t candidate = ALLOC_BASE;
  for (auto& r : const_cast<AddressSpace*>(this)->regions_) {
    if (r.base + r.size <= candidate) continue;
    if (overlaps(candidate, size, r.base, r.size)) candidate = r.base + r.size + PAGE_SIZE;
  }
  if (candidate + size > arch::USER_END || candidate + size < candidate) return 0;
  return candidate;
}

libk::Result<VmRegion*> AddressSpace::insert_region(uintptr_t base, size_t size, uint32_t perms,
                                                    bool owns) {
  if (!size || (base | size) & (PAGE_SIZE - 1)) return libk::err(ERR_INVALID_ARGS);
  VmRegion* region = TRY(region_cache.create());
  SpinGuard g(lock_);
  if (base == 0) {
    base = find_free(size);
    if (!base) {
      region_cache.destroy(region);
      return libk::err(ERR_NO_MEMORY);
    }
  }
  bool fits = base >= arch::USER_BASE && base + size <= arch::USER_END && base + size > base;
  for (auto& r : regions_)
    if (fits && overlaps(base, size, r.base, r.size)) {
      region_cache.destroy(region);
      return libk::err(ERR_ALREADY_EXISTS);
    }
  if (!fits) {
    region_cache.destroy(region);
    return libk::err(ERR_INVALID_ARGS);
  }
  region->base = base;
  region->size = size;
  region->perms = perms | arch::PERM_U;
  region->owns_frames = owns;
  region->busy = true;
  for (auto& r : regions_) {
    if (r.base > base) {
      regions_.insert_before(r, *region);
      return region;
    }
  }
  regions_.push_back(*region);
  return region;
}

void AddressSpace::drop_region(VmRegion& r) {
  {
    SpinGuard g(lock_);
    regions_.remove(r);
  }
  region_cache.destroy(&r);
}

// In batches: under the lock, up to UNMAP_BATCH pages are looked up and
// their entries cleared with one TLB flush (one round of shootdowns, not one
// per page: the lock is held that much shorter); the frames are freed after.
void AddressSpace::unmap_region(VmRegion& r, size_t mapped_bytes, bool keep_entries) {
  constexpr size_t UNMAP_BATCH = 32;
  uintptr_t end = r.base + mapped_bytes;
  for (uintptr_t va = r.base; va < end;) {
    uintptr_t stop = end - va > UNMAP_BATCH * PAGE_SIZE ? va + UNMAP_BATCH * PAGE_SIZE : end;
    uintptr_t frames[UNMAP_BATCH];
    size_t n = 0;
    {
      SpinGuard g(lock_);
      for (uintptr_t a = va; a < stop; a += PAGE_SIZE)
        if (pt_.translate(a, &frames[n])) n++;
      if (n && !keep_entries) pt_.unmap(va, stop - va);  // every hart on this table flushed
    }
    va = stop;
    pages_.fetch_sub(n, libk::MemoryOrder::Relaxed);
    if (!r.owns_frames || !n) continue;
    owned_pages_.fetch_sub(n, libk::MemoryOrder::Relaxed);
    for (size_t i = 0; i < n; i++) pmm::free(frames[i], 0, pmm::FrameUse::User);
    if (quota_) quota_->uncharge(libk::Quota::Frames, n);
  }
}

libk::Result<uintptr_t> AddressSpace::allocate(size_t size, uint32_t perms, uintptr_t at) {
  size = arch::page_round_up(size);
  if (!size || size > arch::USER_END) return libk::err(ERR_INVALID_ARGS);
  VmRegion* r = TRY(insert_region(at, size, perms, true));
  at = r->base;
  TRY(fill(*r, nullptr, 0));
  return at;
}

libk::Result<void> AddressSpace::map_copy(uintptr_t va, size_t size, uint32_t perms,
                                          const uint8_t* src, size_t src_len) {
  if (va == 0) return libk::err(ERR_INVALID_ARGS);
  VmRegion* r = TRY(insert_region(va, size, perms, true));
  return fill(*r, src, src_len);
}

// Frames are allocated, zeroed and filled outside the lock; each is mapped
// under it. A failure undoes the whole region: no partial state.
libk::Result<void> AddressSpace::fill(VmRegion& r, const uint8_t* src, size_t src_len) {
  for (size_t off = 0; off < r.size; off += PAGE_SIZE) {
    bool charged = !quota_ || quota_->charge(libk::Quota::Frames, 1);
    auto frame = charged ? pmm::alloc_zeroed(0, pmm::FrameUse::User)
                         : libk::Result<uintptr_t>(libk::err(ERR_NO_MEMORY));
    libk::Result<void> mapped = libk::err(ERR_NO_MEMORY);
    if (frame.ok()) {
      if (off < src_len) {
        size_t n = src_len - off < PAGE_SIZE ? src_len - off : PAGE_SIZE;
        memcpy(arch::phys_to_virt(frame.value()), src + off, n);
      }
      {
        SpinGuard g(lock_);
        mapped = pt_.map(r.base + off, frame.value(), PAGE_SIZE, r.perms);
      }
      if (mapped.is_error()) pmm::free(frame.value(), 0, pmm::FrameUse::User);
    }
    if (mapped.is_error()) {
      if (charged && quota_) quota_->uncharge(libk::Quota::Frames, 1);
      unmap_region(r, off);
      drop_region(r);
      return libk::err(mapped.error());
    }
    pages_.fetch_add(1, libk::MemoryOrder::Relaxed);
    owned_pages_.fetch_add(1, libk::MemoryOrder::Relaxed);
  }
  SpinGuard g(lock_);
  r.busy = false;
  return libk::ok();
}

libk::Result<void> AddressSpace::map_borrowed(uintptr_t va, uintptr_t pa, size_t size,
                                              uint32_t perms) {
  if (perms & arch::PERM_W) return libk::err(ERR_ACCESS_DENIED);
  if (va == 0) return libk::err(ERR_INVALID_ARGS);
  VmRegion* r = TRY(insert_region(va, size, perms, false));
  libk::Result<void> mapped = libk::ok();
  {
    SpinGuard g(lock_);
    mapped = pt_.map(va, pa, size, r->perms);
    r->busy = mapped.is_error();
  }
  if (mapped.is_error()) {
    drop_region(*r);
    return mapped;
  }
  pages_.fetch_add(size / PAGE_SIZE, libk::MemoryOrder::Relaxed);
  return libk::ok();
}

libk::Result<void> AddressSpace::release(uintptr_t base, size_t size) {
  size = arch::page_round_up(size);
  VmRegion* found = nullptr;
  {
    SpinGuard g(lock_);
    for (auto& r : regions_) {
      if (r.base == base && r.size == size && r.owns_frames && !r.busy) {
        r.busy = true;  // ours to empty: a second release finds nothing
        found = &r;
        break;
      }
    }
  }
  if (!found) return libk::err(ERR_NOT_FOUND);
  unmap_region(*found, found->size);
  drop_region(*found);
  return libk::ok();
}

libk::Result<void> AddressSpace::write(uintptr_t va, const void* src, size_t len) {
  const auto* from = static_cast<const uint8_t*>(src);
  while (len) {
    uintptr_t pa;
    if (!pt_.translate(va, &pa)) return libk::err(ERR_INVALID_ARGS);
    size_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));
    if (n > len) n = len;
    memcpy(arch::phys_to_virt(pa), from, n);
    va += n;
    from += n;
    len -= n;
  }
  return libk::ok();
}

void AddressSpace::destroy() {
  if (!initialized()) return;
  // The whole table goes below and no hart runs on it any more (teardown
  // switched away first): free the frames without clearing each entry and
  // flushing the TLB page by page.
  for (;;) {
    VmRegion* r;
    {
      SpinGuard g(lock_);
      r = regions_.front();
    }
    if (!r) break;
    unmap_region(*r, r->size, /*keep_entries=*/true);
    drop_region(*r);
  }
  {
    SpinGuard g(lock_);
    pt_.destroy();
  }
  arch::sfence_vma();
  KASSERT(pages() == 0);
}
