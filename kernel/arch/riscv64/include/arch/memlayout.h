// Keel's Sv39 virtual memory layout.
//
//   0x0000_0000_0000_0000 .. 0x0000_003f_ffff_ffff  user space (lower half, U pages only)
//   0xffff_ffc0_0000_0000 .. +64 GiB                direct map of physical memory (pa + base)
//   0xffff_ffd0_0000_0000 .. +64 GiB                kernel stacks, each with an unmapped guard page
//   0xffff_ffff_8000_0000 .. +2 GiB                 kernel image (linked here, loaded at
//   0x8020_0000)
//
// The kernel half is present in every address space without the U bit, so a
// trap or syscall never switches satp.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace arch {

constexpr size_t PAGE_SIZE = 4096;
constexpr unsigned PAGE_SHIFT = 12;

constexpr uintptr_t USER_BASE = 0x10000;            // page 0..15 never mapped (null guard)
constexpr uintptr_t USER_END = 0x0000004000000000;  // exclusive
constexpr uintptr_t DIRECT_MAP_BASE = 0xffffffc000000000;
constexpr uintptr_t DIRECT_MAP_SIZE = 0x0000001000000000;  // 64 GiB of physical space
constexpr uintptr_t KSTACK_AREA_BASE = 0xffffffd000000000;
constexpr uintptr_t KSTACK_AREA_SIZE = 0x0000001000000000;
constexpr uintptr_t KERNEL_VIRT_BASE = 0xffffffff80000000;
constexpr uintptr_t KERNEL_PHYS_BASE = 0x80000000;

// Physical address <-> direct-map pointer.
template <typename T = void>
inline T* phys_to_virt(uintptr_t pa) {
  return reinterpret_cast<T*>(pa + DIRECT_MAP_BASE);
}
inline uintptr_t virt_to_phys(const void* va) {
  uintptr_t v = reinterpret_cast<uintptr_t>(va);
  if (v >= KERNEL_VIRT_BASE) return v - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE;
  return v - DIRECT_MAP_BASE;
}

constexpr uintptr_t page_round_down(uintptr_t a) { return a & ~(PAGE_SIZE - 1); }
constexpr uintptr_t page_round_up(uintptr_t a) { return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

}  // namespace arch

// Symbols from the linker script (kernel virtual addresses).
extern "C" char __kernel_start[], __text_end[], __rodata_end[], __data_start[], __kernel_end[],
    __bss_start[], __bss_end[], __boot_stack_guard[], __boot_stack_bottom[], __boot_stack_top[];
