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
  if (base < arch::USER_BASE || base + size > arch::USER_END || base + size < base)
    return libk::err(ERR_INVALID_ARGS);
  for (auto& r : regions_)
    if (overlaps(base, size, r.base, r.size)) return libk::err(ERR_ALREADY_EXISTS);
  VmRegion* region = TRY(region_cache.create());
  region->base = base;
  region->size = size;
  region->perms = perms | arch::PERM_U;
  region->owns_frames = owns;
  for (auto& r : regions_) {
    if (r.base > base) {
      regions_.insert_before(r, *region);
      return region;
    }
  }
  regions_.push_back(*region);
  return region;
}

void AddressSpace::unmap_region(VmRegion& r, size_t mapped_bytes, bool keep_entries) {
  for (uintptr_t va = r.base; va < r.base + mapped_bytes; va += PAGE_SIZE) {
    uintptr_t pa;
    if (!pt_.translate(va, &pa)) continue;
    if (!keep_entries) pt_.unmap(va, PAGE_SIZE);
    pages_--;
    if (r.owns_frames) owned_pages_--;
    if (r.owns_frames) pmm::free(pa, 0, pmm::FrameUse::User);
  }
}

libk::Result<uintptr_t> AddressSpace::allocate(size_t size, uint32_t perms, uintptr_t at) {
  size = arch::page_round_up(size);
  if (!size || size > arch::USER_END) return libk::err(ERR_INVALID_ARGS);
  if (at == 0) {
    at = find_free(size);
    if (!at) return libk::err(ERR_NO_MEMORY);
  }
  TRY(map_copy(at, size, perms, nullptr, 0));
  return at;
}

libk::Result<void> AddressSpace::map_copy(uintptr_t va, size_t size, uint32_t perms,
                                          const uint8_t* src, size_t src_len) {
  VmRegion* r = TRY(insert_region(va, size, perms, true));
  for (size_t off = 0; off < size; off += PAGE_SIZE) {
    auto frame = pmm::alloc_zeroed(0, pmm::FrameUse::User);
    libk::Result<void> mapped = libk::err(ERR_NO_MEMORY);
    if (frame.ok()) {
      if (off < src_len) {
        size_t n = src_len - off < PAGE_SIZE ? src_len - off : PAGE_SIZE;
        memcpy(arch::phys_to_virt(frame.value()), src + off, n);
      }
      mapped = pt_.map(va + off, frame.value(), PAGE_SIZE, r->perms);
      if (mapped.is_error()) pmm::free(frame.value(), 0, pmm::FrameUse::User);
    }
    if (mapped.is_error()) {  // undo the whole region: no partial state
      unmap_region(*r, off);
      regions_.remove(*r);
      region_cache.destroy(r);
      return libk::err(mapped.error());
    }
    pages_++;
    owned_pages_++;
  }
  return libk::ok();
}

libk::Result<void> AddressSpace::map_borrowed(uintptr_t va, uintptr_t pa, size_t size,
                                              uint32_t perms) {
  if (perms & arch::PERM_W) return libk::err(ERR_ACCESS_DENIED);
  VmRegion* r = TRY(insert_region(va, size, perms, false));
  auto mapped = pt_.map(va, pa, size, r->perms);
  if (mapped.is_error()) {
    regions_.remove(*r);
    region_cache.destroy(r);
    return mapped;
  }
  pages_ += size / PAGE_SIZE;
  return libk::ok();
}

libk::Result<void> AddressSpace::release(uintptr_t base, size_t size) {
  size = arch::page_round_up(size);
  for (auto& r : regions_) {
    if (r.base == base && r.size == size && r.owns_frames) {
      unmap_region(r, r.size);
      regions_.remove(r);
      region_cache.destroy(&r);
      return libk::ok();
    }
  }
  return libk::err(ERR_NOT_FOUND);
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
  while (VmRegion* r = regions_.pop_front()) {
    unmap_region(*r, r->size, /*keep_entries=*/true);
    region_cache.destroy(r);
  }
  pt_.destroy();
  arch::sfence_vma();
  KASSERT(pages_ == 0);
}
