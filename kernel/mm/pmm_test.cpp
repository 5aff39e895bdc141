// The frame allocator: exhaust all RAM, free it all, counters exact.
#include "arch/riscv64/memlayout.h"
#include "ktest/ktest.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"

namespace {
// Allocated frames are chained through their own first word (via the direct
// map), so exhausting RAM needs no memory besides RAM itself.
uintptr_t take_all_frames(size_t* count) {
  uintptr_t head = 0;
  *count = 0;
  while (true) {
    auto r = pmm::alloc(0);
    if (r.is_error()) break;
    *arch::phys_to_virt<uintptr_t>(r.value()) = head;
    head = r.value();
    (*count)++;
  }
  return head;
}
}  // namespace

KTEST("pmm.exhaust_and_free_all") {
  size_t free_at_start = pmm::frames_free();
  size_t total = pmm::frames_total();
  KT_ASSERT(free_at_start > 0 && free_at_start <= total);
  size_t count = 0;
  uintptr_t head = take_all_frames(&count);
  KT_EXPECT_EQ(count, free_at_start);
  KT_EXPECT_EQ(pmm::frames_free(), 0u);
  KT_EXPECT_EQ(pmm::alloc(0).error(), ERR_NO_MEMORY);
  KT_EXPECT_EQ(kmalloc(64).error(), ERR_NO_MEMORY);  // the heap fails cleanly too
  while (head) {
    uintptr_t next = *arch::phys_to_virt<uintptr_t>(head);
    KT_EXPECT(pmm::free(head, 0).ok());
    head = next;
  }
  KT_EXPECT_EQ(pmm::frames_free(), free_at_start);
  KT_EXPECT_EQ(pmm::frames_total(), total);
  KT_EXPECT(pmm::check_invariants());
}

KTEST("pmm.blocks_are_aligned_and_zeroed") {
  for (unsigned order = 0; order <= pmm::MAX_ORDER; order++) {
    uintptr_t pa = KT_TRY(pmm::alloc_zeroed(order));
    KT_EXPECT_EQ(pa & ((arch::PAGE_SIZE << order) - 1), 0u);
    uint64_t* words = arch::phys_to_virt<uint64_t>(pa);
    bool zero = true;
    for (size_t i = 0; i < (arch::PAGE_SIZE << order) / 8; i++) zero &= words[i] == 0;
    KT_EXPECT(zero);
    words[0] = 0xdead;  // dirty it so the next zeroed allocation is a real check
    KT_EXPECT(pmm::free(pa, order).ok());
  }
}

KTEST("pmm.invalid_and_double_free_detected") {
  size_t before = pmm::frames_free();
  uintptr_t pa = KT_TRY(pmm::alloc(1));
  KT_EXPECT_EQ(pmm::free(pa, 0).error(), ERR_INVALID_ARGS);                    // wrong order
  KT_EXPECT_EQ(pmm::free(pa + arch::PAGE_SIZE, 0).error(), ERR_INVALID_ARGS);  // interior
  KT_EXPECT_EQ(pmm::free(pa + 8, 1).error(), ERR_INVALID_ARGS);                // unaligned
  KT_EXPECT_EQ(pmm::free(0x1000, 0).error(), ERR_INVALID_ARGS);                // not RAM
  KT_EXPECT_EQ(pmm::free(arch::KERNEL_PHYS_BASE, 0).error(), ERR_INVALID_ARGS);  // firmware
  KT_EXPECT(pmm::free(pa, 1).ok());
  KT_EXPECT_EQ(pmm::free(pa, 1).error(), ERR_INVALID_ARGS);  // double free
  KT_EXPECT_EQ(pmm::frames_free(), before);
  KT_EXPECT(pmm::check_invariants());
}

KTEST("pmm.kernel_image_and_dtb_reserved") {
  // Nothing the kernel is made of may ever be handed out.
  uintptr_t kstart = arch::virt_to_phys(__kernel_start);
  uintptr_t kend = arch::virt_to_phys(__kernel_end);
  for (uintptr_t pa = kstart; pa < kend; pa += arch::PAGE_SIZE) {
    unsigned order;
    KT_EXPECT(!pmm::allocated_order(pa, &order));
    KT_EXPECT_EQ(pmm::free(pa, 0).error(), ERR_INVALID_ARGS);
  }
}
