// The kernel's own address space: the kernel image with per-section
// permissions, the direct map of RAM (R+W, never X), and the device pages.
// Built once at boot to replace the boot page table of 1 GiB R+W+X pages.
#pragma once
#include <arch/page_table.h>
#include <libk/dtb.h>

namespace kernel_vm {

void init(const libk::PlatformInfo& plat);
arch::PageTable& page_table();

}  // namespace kernel_vm
