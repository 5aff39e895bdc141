// The stack area is carved into fixed slots of (guard + PAGES) pages; a
// bitmap of slots is the allocator. Each slot's guard page is never mapped.
#include "kstack.h"

#include <arch/memlayout.h>
#include <arch/spinlock.h>
#include <arch/tlb.h>
#include <libk/atomic.h>
#include <libk/bitmap.h>

#include "lib/panic.h"
#include "mm/kernel_vm.h"
#include "mm/pmm.h"

namespace {
constexpr size_t SLOT_PAGES = KernelStack::PAGES + 1;
constexpr size_t SLOT_SIZE = SLOT_PAGES * arch::PAGE_SIZE;
constexpr size_t MAX_STACKS = 8192;

libk::StaticBitmap<MAX_STACKS> slots;
// A released slot's pages may still be in other harts' TLBs until each has
// flushed (tlb.h): its stamp, 0 once known clean. Under `lock`.
uint64_t dirty_since[MAX_STACKS];
Spinlock lock{LockRank::KernelStack, "kstack"};

// A free slot that no hart can still translate to its old frames.
size_t take_clean_slot() {
  for (size_t s = slots.find_first_clear(0); s < MAX_STACKS; s = slots.find_first_clear(s + 1)) {
    if (dirty_since[s] && !arch::tlb::flushed_everywhere_since(dirty_since[s])) continue;
    dirty_since[s] = 0;
    slots.set(s);
    return s;
  }
  return MAX_STACKS;
}
libk::Atomic<size_t> frames, stacks;

uintptr_t slot_base(uint32_t slot) { return arch::KSTACK_AREA_BASE + slot * SLOT_SIZE; }

void unmap_and_free(uintptr_t first_page, size_t count) {
  auto& pt = kernel_vm::page_table();
  for (size_t i = 0; i < count; i++) {
    uintptr_t va = first_page + i * arch::PAGE_SIZE;
    uintptr_t pa = 0;
    if (!pt.translate(va, &pa)) continue;
    pt.unmap(va, arch::PAGE_SIZE);
    pmm::free(pa, 0, pmm::FrameUse::KernelStack);
    frames.fetch_sub(1, libk::MemoryOrder::Relaxed);
  }
}
}  // namespace

namespace kstack {
void init() {
  // Build the area's tables once, for every slot, by mapping and unmapping
  // one page per leaf table: the second-level table must exist before any
  // address space copies the kernel half's root entries (the whole area,
  // MAX_STACKS slots, 160 MiB, sits under that one root entry, so stacks
  // mapped later appear in every address space); and with every leaf table
  // there from the start, mapping a stack never allocates a table frame, so
  // frames_free returns exactly to its baseline however many tasks came and
  // went (80 frames, for good).
  static_assert(MAX_STACKS * SLOT_SIZE <= (1ull << 30));
  constexpr size_t LEAF_SPAN = 512 * arch::PAGE_SIZE;
  auto& pt = kernel_vm::page_table();
  auto pa = pmm::alloc(0, pmm::FrameUse::Test);  // mapped and unmapped at once
  if (pa.is_error()) panic("kstack: no memory for the stack area tables");
  for (uintptr_t va = arch::KSTACK_AREA_BASE; va < arch::KSTACK_AREA_BASE + MAX_STACKS * SLOT_SIZE;
       va += LEAF_SPAN) {
    if (pt.map(va, pa.value(), arch::PAGE_SIZE, arch::PERM_R | arch::PERM_W | arch::PERM_G)
            .is_error())
      panic("kstack: cannot build the stack area tables");
    pt.unmap(va, arch::PAGE_SIZE);
  }
  pmm::free(pa.value(), 0, pmm::FrameUse::Test);
}
size_t frames_in_use() { return frames.load(libk::MemoryOrder::Relaxed); }
size_t stacks_in_use() { return stacks.load(libk::MemoryOrder::Relaxed); }
}  // namespace kstack

KernelStack::~KernelStack() { release(); }

libk::Result<void> KernelStack::allocate() {
  if (top_) return libk::err(ERR_BAD_STATE);
  uint32_t slot;
  {
    SpinGuard g(lock);
    size_t s = take_clean_slot();
    if (s >= MAX_STACKS) {
      arch::tlb::flush_everywhere();  // every free slot is clean after this
      s = take_clean_slot();
    }
    if (s >= MAX_STACKS) return libk::err(ERR_NO_MEMORY);
    slot = static_cast<uint32_t>(s);
  }
  uintptr_t first_page = slot_base(slot) + arch::PAGE_SIZE;  // above the guard
  for (size_t i = 0; i < PAGES; i++) {
    auto pa = pmm::alloc(0, pmm::FrameUse::KernelStack);
    libk::Result<void> mapped = libk::err(ERR_NO_MEMORY);
    if (pa.ok()) {
      mapped =
          kernel_vm::page_table().map(first_page + i * arch::PAGE_SIZE, pa.value(), arch::PAGE_SIZE,
                                      arch::PERM_R | arch::PERM_W | arch::PERM_G);
      if (mapped.is_error()) pmm::free(pa.value(), 0, pmm::FrameUse::KernelStack);
    }
    if (mapped.is_error()) {
      unmap_and_free(first_page, i);
      SpinGuard g(lock);
      slots.clear(slot);
      return libk::err(ERR_NO_MEMORY);
    }
    frames.fetch_add(1, libk::MemoryOrder::Relaxed);
  }
  stacks.fetch_add(1, libk::MemoryOrder::Relaxed);
  slot_ = slot;
  top_ = first_page + PAGES * arch::PAGE_SIZE;
  return libk::ok();
}

void KernelStack::release() {
  if (!top_) return;
  unmap_and_free(bottom(), PAGES);
  {
    SpinGuard g(lock);
    // The unmap flushed this hart; with no other hart there is nothing to wait for.
    dirty_since[slot_] = arch::cpus_online() > 1 ? arch::tlb::stamp() : 0;
    slots.clear(slot_);
  }
  stacks.fetch_sub(1, libk::MemoryOrder::Relaxed);
  top_ = 0;
}
