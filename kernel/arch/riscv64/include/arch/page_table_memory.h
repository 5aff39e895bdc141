// Where page-table pages come from, and the two hardware steps a page
// table needs. page_table.cpp is pure Sv39 logic written against these
// hooks: the kernel defines them (mm/page_table_memory.cpp: frames from the
// frame allocator, reached through the direct map; page_table_hw.cpp:
// sfence.vma and satp), and the host tests define their own (an arena that
// can be told to run out) to test the logic natively.
#pragma once
#include <libk/result.h>
#include <stdint.h>

namespace arch::pt_memory {

libk::Result<uintptr_t> alloc_table();  // a zeroed page for a table; its physical address
void free_table(uintptr_t pa);
uint64_t* table(uintptr_t pa);  // the 512 entries of the table at pa
void flush_tlb();               // entries changed: drop stale translations
void load_root(uint64_t satp);  // switch this hart to the table

}  // namespace arch::pt_memory
