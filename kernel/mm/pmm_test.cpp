// The frame allocator: exhaust all RAM, free it all, counters exact.
#include "mm/pmm.h"

#include <arch/memlayout.h>

#include "ktest/ktest.h"
#include "mm/kmalloc.h"

namespace {
// Allocated frames are chained through their own first word (via the direct
// map), so exhausting RAM needs no memory besides RAM itself.
uintptr_t take_all_frames(size_t* count) {
  uintptr_t head = 0;
  *count = 0;
  while (true) {
    auto r = pmm::alloc(0, pmm::FrameUse::Test);
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
  KT_EXPECT_EQ(pmm::alloc(0, pmm::FrameUse::Test).error(), ERR_NO_MEMORY);
  KT_EXPECT_EQ(kmalloc(64).error(), ERR_NO_MEMORY);  // the heap fails cleanly too
  while (head) {
    uintptr_t next = *arch::phys_to_virt<uintptr_t>(head);
    pmm::free(head, 0, pmm::FrameUse::Test);
    head = next;
  }
  KT_EXPECT_EQ(pmm::frames_free(), free_at_start);
  KT_EXPECT_EQ(pmm::frames_total(), total);
  KT_EXPECT(pmm::check_invariants());
}

KTEST("pmm.blocks_are_aligned_and_zeroed") {
  for (unsigned order = 0; order <= pmm::MAX_ORDER; order++) {
    uintptr_t pa = KT_TRY(pmm::alloc_zeroed(order, pmm::FrameUse::Test));
    KT_EXPECT_EQ(pa & ((arch::PAGE_SIZE << order) - 1), 0u);
    uint64_t* words = arch::phys_to_virt<uint64_t>(pa);
    bool zero = true;
    for (size_t i = 0; i < (arch::PAGE_SIZE << order) / 8; i++) zero &= words[i] == 0;
    KT_EXPECT(zero);
    words[0] = 0xdead;  // dirty it so the next zeroed allocation is a real check
    pmm::free(pa, order, pmm::FrameUse::Test);
  }
}

KTEST("pmm.invalid_and_double_free_refused") {
  // Each of these frees would panic (naming the address and what the frame
  // is): free_refusal says why, without panicking. kernel-bad-free checks
  // the panic itself.
  using pmm::FrameUse;
  size_t before = pmm::frames_free();
  uintptr_t pa = KT_TRY(pmm::alloc(1, FrameUse::Test));
  KT_EXPECT(pmm::free_refusal(pa, 0, FrameUse::Test) != nullptr);                    // wrong order
  KT_EXPECT(pmm::free_refusal(pa + arch::PAGE_SIZE, 0, FrameUse::Test) != nullptr);  // interior
  KT_EXPECT(pmm::free_refusal(pa + 8, 1, FrameUse::Test) != nullptr);                // unaligned
  KT_EXPECT(pmm::free_refusal(pa, 1, FrameUse::User) != nullptr);                    // wrong use
  KT_EXPECT(pmm::free_refusal(0x1000, 0, FrameUse::Test) != nullptr);                // not RAM
  KT_EXPECT(pmm::free_refusal(arch::KERNEL_PHYS_BASE, 0, FrameUse::Test) != nullptr);  // firmware
  KT_EXPECT(pmm::free_refusal(pa, 1, FrameUse::Test) == nullptr);
  libk::FrameRecord r;
  KT_EXPECT(pmm::frame_record(pa + arch::PAGE_SIZE, &r));
  KT_EXPECT(r.use == FrameUse::Test && r.order == 1 &&
            r.head == reinterpret_cast<uintptr_t>(arch::phys_to_virt(pa)));
  pmm::free(pa, 1, FrameUse::Test);
  KT_EXPECT(pmm::free_refusal(pa, 1, FrameUse::Test) != nullptr);  // double free
  KT_EXPECT(pmm::frame_record(pa, &r) && r.use == FrameUse::Free);
  // A single frame freed into the per-hart cache is free too.
  uintptr_t one = KT_TRY(pmm::alloc(0, FrameUse::Test));
  pmm::free(one, 0, FrameUse::Test);
  KT_EXPECT(pmm::free_refusal(one, 0, FrameUse::Test) != nullptr);
  KT_EXPECT_EQ(pmm::frames_free(), before);
  KT_EXPECT(pmm::check_invariants());
}

KTEST("pmm.kernel_image_and_dtb_reserved") {
  // Nothing the kernel is made of may ever be handed out.
  uintptr_t kstart = arch::virt_to_phys(__kernel_start);
  uintptr_t kend = arch::virt_to_phys(__kernel_end);
  for (uintptr_t pa = kstart; pa < kend; pa += arch::PAGE_SIZE) {
    libk::FrameRecord r;
    KT_EXPECT(!pmm::frame_record(pa, &r) || r.use == pmm::FrameUse::Free);
    KT_EXPECT(pmm::free_refusal(pa, 0, pmm::FrameUse::Test) != nullptr);
  }
}

// Not in the kernel suite's globs: kernel-bad-free boots with
// test=badfree.* and requires the panic that names the frame.
KTEST("badfree.double_free_of_a_frame_panics") {
  uintptr_t pa = KT_TRY(pmm::alloc(0, pmm::FrameUse::Test));
  pmm::free(pa, 0, pmm::FrameUse::Test);
  kprintf("# badfree: freeing frame %#lx a second time\n", pa);
  pmm::free(pa, 0, pmm::FrameUse::Test);
  KT_EXPECT(false);  // unreachable
}
