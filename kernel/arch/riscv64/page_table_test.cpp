// Page table map/unmap/protect, permissions enforced, no frames left behind.
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/memlayout.h>
#include <arch/page_table.h>

#include "ktest/ktest.h"
#include "mm/kernel_vm.h"
#include "mm/pmm.h"

using namespace arch;

namespace {
constexpr uintptr_t TEST_VA = 0x400000;  // lower half, mapped without U: kernel-only

void read_u64(void* p) {
  volatile uint64_t v = *static_cast<volatile uint64_t*>(p);
  (void)v;
}
void write_u64(void* p) { *static_cast<volatile uint64_t*>(p) = 0x1234; }
}  // namespace

KTEST("vm.map_translate_unmap") {
  PageTable pt = KT_TRY(PageTable::create());
  uintptr_t pa = KT_TRY(pmm::alloc(0, pmm::FrameUse::Test));
  KT_TRY(pt.map(0x400000, pa, PAGE_SIZE, PERM_R | PERM_W | PERM_U));
  uintptr_t got = 0;
  uint32_t perms = 0;
  KT_EXPECT(pt.translate(0x400123, &got, &perms));
  KT_EXPECT_EQ(got, pa + 0x123);
  KT_EXPECT_EQ(perms, PERM_R | PERM_W | PERM_U);
  KT_EXPECT_EQ(pt.table_frames(), 3u);  // root + level 1 + level 0
  // Mapping the same page twice is refused.
  KT_EXPECT_EQ(pt.map(0x400000, pa, PAGE_SIZE, PERM_R).error(), ERR_ALREADY_EXISTS);
  pt.unmap(0x400000, PAGE_SIZE);
  KT_EXPECT(!pt.translate(0x400000, &got));
  pt.destroy();
  KT_EXPECT_EQ(pt.table_frames(), 0u);
  pmm::free(pa, 0, pmm::FrameUse::Test);
}

KTEST("vm.refuses_write_execute_and_misalignment") {
  PageTable pt = KT_TRY(PageTable::create());
  KT_EXPECT_EQ(pt.map(0x10000, 0x80000000, PAGE_SIZE, PERM_R | PERM_W | PERM_X).error(),
               ERR_INVALID_ARGS);
  KT_EXPECT_EQ(pt.map(0x10000, 0x80000000, PAGE_SIZE, PERM_W).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(pt.map(0x10001, 0x80000000, PAGE_SIZE, PERM_R).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(pt.map(0x10000, 0x80000800, PAGE_SIZE, PERM_R).error(), ERR_INVALID_ARGS);
  KT_EXPECT_EQ(pt.map(0x0000008000000000ull, 0x80000000, PAGE_SIZE, PERM_R).error(),
               ERR_INVALID_ARGS);       // not canonical
  KT_EXPECT_EQ(pt.table_frames(), 1u);  // nothing was built for refused requests
  pt.destroy();
}

KTEST("vm.failed_map_leaves_nothing_mapped") {
  PageTable pt = KT_TRY(PageTable::create());
  uintptr_t pa = KT_TRY(pmm::alloc(0, pmm::FrameUse::Test));
  KT_TRY(pt.map(0x403000, pa, PAGE_SIZE, PERM_R));
  // 4 pages where the 4th is taken: the first 3 must be rolled back.
  KT_EXPECT_EQ(pt.map(0x400000, pa, 4 * PAGE_SIZE, PERM_R).error(), ERR_ALREADY_EXISTS);
  for (uintptr_t va = 0x400000; va < 0x403000; va += PAGE_SIZE)
    KT_EXPECT(!pt.translate(va, nullptr));
  KT_EXPECT(pt.translate(0x403000, nullptr));
  pt.destroy();
  pmm::free(pa, 0, pmm::FrameUse::Test);
}

KTEST("vm.protect_changes_live_mapping") {
  // A private table sharing the kernel half, as every address space will.
  PageTable pt = KT_TRY(PageTable::create_sharing_kernel_half(kernel_vm::page_table()));
  uintptr_t pa = KT_TRY(pmm::alloc_zeroed(0, pmm::FrameUse::Test));
  void* va = reinterpret_cast<void*>(TEST_VA);
  KT_TRY(pt.map(TEST_VA, pa, PAGE_SIZE, PERM_R | PERM_W));
  pt.activate();
  FaultCatch c;
  KT_EXPECT(!run_catching_faults(c, write_u64, va));
  KT_EXPECT_EQ(*phys_to_virt<uint64_t>(pa), 0x1234u);
  KT_EXPECT(pt.protect(TEST_VA, PAGE_SIZE, PERM_R).ok());
  KT_EXPECT(run_catching_faults(c, write_u64, va));
  KT_EXPECT_EQ(c.scause, arch::EXC_STORE_PAGE);
  KT_EXPECT(!run_catching_faults(c, read_u64, va));  // still readable
  pt.unmap(TEST_VA, PAGE_SIZE);
  KT_EXPECT(run_catching_faults(c, read_u64, va));
  KT_EXPECT_EQ(c.scause, arch::EXC_LOAD_PAGE);
  // Kernel code and data stayed reachable through the shared half all along.
  kernel_vm::page_table().activate();
  pt.destroy();
  pmm::free(pa, 0, pmm::FrameUse::Test);
}

KTEST("vm.kernel_image_permissions") {
  PageTable& kpt = kernel_vm::page_table();
  uint32_t perms = 0;
  KT_EXPECT(kpt.translate(reinterpret_cast<uintptr_t>(__kernel_start), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_X | PERM_G);
  KT_EXPECT(kpt.translate(reinterpret_cast<uintptr_t>(__text_end), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_G);
  KT_EXPECT(kpt.translate(reinterpret_cast<uintptr_t>(__bss_start), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_W | PERM_G);
  KT_EXPECT(!kpt.translate(reinterpret_cast<uintptr_t>(__boot_stack_guard), nullptr, &perms));
  // The direct map is never executable, and never a writable alias of the
  // kernel's text or read-only data; RAM outside the image is R+W.
  KT_EXPECT(kpt.translate(DIRECT_MAP_BASE + virt_to_phys(__kernel_start), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_G);
  KT_EXPECT(kpt.translate(DIRECT_MAP_BASE + virt_to_phys(__text_end), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_G);
  KT_EXPECT(kpt.translate(DIRECT_MAP_BASE + virt_to_phys(__bss_start), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_W | PERM_G);
  KT_EXPECT(kpt.translate(DIRECT_MAP_BASE + virt_to_phys(__kernel_end), nullptr, &perms));
  KT_EXPECT_EQ(perms, PERM_R | PERM_W | PERM_G);
  // The firmware below the kernel is not mapped at all.
  KT_EXPECT(!kpt.translate(DIRECT_MAP_BASE + KERNEL_PHYS_BASE, nullptr, &perms));
}

// W^X holds for aliases too: a store through the direct map into kernel
// text, read-only data, or the boot image (whose pages user programs run
// from) faults.
KTEST("vm.direct_map_alias_of_image_is_read_only") {
  extern const uint8_t bootimage_start[];
  static const uint64_t constant = 7;
  const void* targets[] = {reinterpret_cast<const void*>(&write_u64), &constant, bootimage_start};
  for (const void* t : targets) {
    void* alias = phys_to_virt(virt_to_phys(t));
    FaultCatch c;
    KT_EXPECT(run_catching_faults(c, write_u64, alias));
    KT_EXPECT_EQ(c.scause, arch::EXC_STORE_PAGE);
    KT_EXPECT_EQ(c.stval, reinterpret_cast<uint64_t>(alias));
  }
  KT_EXPECT_EQ(constant, 7u);
}
