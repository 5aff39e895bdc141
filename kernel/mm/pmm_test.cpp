// The frame allocator: exhaust all RAM, free it all, counters exact.
#include "mm/pmm.h"

#include <arch/memlayout.h>

#include "ktest/ktest.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"

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

namespace {
void free_chain(uintptr_t head) {
  while (head) {
    uintptr_t next = *arch::phys_to_virt<uintptr_t>(head);
    pmm::free(head, 0, pmm::FrameUse::Test);
    head = next;
  }
}

// Frames freed by a task pinned to another hart (there they go to that
// hart's cache, not to the buddy lists). The task is made while memory is
// left and waits for its frames: making one later would need memory.
struct FreeThere {
  uintptr_t pas[4];
  size_t n;
  libk::Atomic<int> step{0};  // 1: free them, 2: freed, 3: exit (its stack is freed then)
  RefPtr<Task> task;
};
void await_step(libk::Atomic<int>& step, int want) {
  while (step.load(libk::MemoryOrder::Acquire) < want) sched::yield();
}
int free_there(void* arg) {
  auto* f = static_cast<FreeThere*>(arg);
  await_step(f->step, 1);
  for (size_t i = 0; i < f->n; i++) pmm::free(f->pas[i], 0, pmm::FrameUse::Test);
  f->step.store(2, libk::MemoryOrder::Release);
  await_step(f->step, 3);
  return 0;
}
bool prepare_other_hart(FreeThere& f) {
  auto t = Task::create("free-there", free_there, &f);
  if (t.is_error()) return false;
  f.task = t.value();
  f.task->pinned = true;
  f.task->hart = (arch::this_cpu()->index + 1) % sched::harts_online();
  sched::start(t.release_value());
  return true;
}
void free_on_other_hart(FreeThere& f) {
  f.step.store(1, libk::MemoryOrder::Release);
  await_step(f.step, 2);
}
bool finish_other_hart(FreeThere& f) {
  f.step.store(3, libk::MemoryOrder::Release);
  bool joined = sched::join(*f.task).ok();
  f.task.reset();
  return joined;
}

// Unlink pa from the chain at *head (take_all_frames').
void unlink(uintptr_t* head, uintptr_t pa) {
  for (uintptr_t* at = head; *at; at = arch::phys_to_virt<uintptr_t>(*at)) {
    if (*at != pa) continue;
    *at = *arch::phys_to_virt<uintptr_t>(pa);
    return;
  }
}
}  // namespace

// Free frames cached by one hart serve every hart: with the buddy lists
// empty, a single frame comes from another hart's cache, and a larger block
// is put together from what the caches hold. (Each hart once saw only its
// own cache: out of memory with up to 32 free frames per other hart.)
KTEST("pmm.frames_cached_on_another_hart_serve_this_one") {
  static FreeThere four, one;
  four.step.store(0, libk::MemoryOrder::Relaxed);
  one.step.store(0, libk::MemoryOrder::Relaxed);
  KT_ASSERT(prepare_other_hart(four) && prepare_other_hart(one));
  size_t free_at_start = pmm::frames_free();
  size_t count = 0;
  uintptr_t head = take_all_frames(&count);  // every cache emptied too
  KT_EXPECT_EQ(count, free_at_start);
  // An aligned block of 4 frames that are all ours.
  constexpr uintptr_t BLOCK = arch::PAGE_SIZE << 2;
  uintptr_t base = 0;
  for (uintptr_t pa = head; pa && !base; pa = *arch::phys_to_virt<uintptr_t>(pa)) {
    uintptr_t b = pa & ~(BLOCK - 1);
    bool ours = true;
    for (uintptr_t f = b; f < b + BLOCK; f += arch::PAGE_SIZE) {
      libk::FrameRecord r;
      ours &= pmm::frame_record(f, &r) && r.use == pmm::FrameUse::Test;
    }
    if (ours) base = b;
  }
  bool found = base != 0;
  KT_EXPECT(found);
  four.n = found ? 4 : 0;
  for (size_t i = 0; i < four.n; i++) {
    four.pas[i] = base + i * arch::PAGE_SIZE;
    unlink(&head, four.pas[i]);
  }
  free_on_other_hart(four);
  KT_EXPECT_EQ(pmm::frames_free(), four.n);
  auto block = pmm::alloc(2, pmm::FrameUse::Test);  // from 4 single frames in a cache
  KT_EXPECT(block.ok() && block.value() == base);
  if (block.ok()) pmm::free(block.value(), 2, pmm::FrameUse::Test);
  // Take them back as single frames; the other hart frees one, this one takes it.
  for (size_t i = 0; i < four.n; i++) {
    auto pa = pmm::alloc(0, pmm::FrameUse::Test);
    KT_EXPECT(pa.ok());
    if (pa.is_error()) break;
    *arch::phys_to_virt<uintptr_t>(pa.value()) = head;
    head = pa.value();
  }
  one.pas[0] = head;
  one.n = 1;
  head = *arch::phys_to_virt<uintptr_t>(head);
  free_on_other_hart(one);
  auto frame = pmm::alloc(0, pmm::FrameUse::Test);
  KT_EXPECT(frame.ok() && frame.value() == one.pas[0]);
  if (frame.ok()) pmm::free(frame.value(), 0, pmm::FrameUse::Test);
  free_chain(head);
  KT_EXPECT_EQ(pmm::frames_free(), free_at_start);
  KT_EXPECT(finish_other_hart(four) && finish_other_hart(one));
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
