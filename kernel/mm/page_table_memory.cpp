// Page-table pages for arch::PageTable: frames from the frame allocator
// (recorded as FrameUse::PageTable), reached through the direct map.
#include <arch/memlayout.h>
#include <arch/page_table_memory.h>

#include "mm/pmm.h"

namespace arch::pt_memory {

libk::Result<uintptr_t> alloc_table() { return pmm::alloc_zeroed(0, pmm::FrameUse::PageTable); }
void free_table(uintptr_t pa) { pmm::free(pa, 0, pmm::FrameUse::PageTable); }
uint64_t* table(uintptr_t pa) { return phys_to_virt<uint64_t>(pa); }

}  // namespace arch::pt_memory
