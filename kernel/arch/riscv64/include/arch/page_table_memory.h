// Where page-table pages come from, and the two hardware steps a page
// table needs. page_table.cpp is pure Sv39 logic written against these
// hooks: the kernel defines them (mm/page_table_memory.cpp: frames from the
// frame allocator, reached through the direct map; page_table_hw.cpp:
// sfence.vma and satp), and the host tests define their own (an arena that
// can be told to run out) to test the logic natively.
#pragma once
#include <libk/result.h>
#include <stddef.h>
#include <stdint.h>

namespace arch::pt_memory {

libk::Result<uintptr_t> alloc_table();  // a zeroed page for a table; its physical address
void free_table(uintptr_t pa);
uint64_t* table(uintptr_t pa);  // the 512 entries of the table at pa
// Entries for [va, va + size) of the table whose satp is `satp` changed:
// drop stale translations on every hart that may hold them (this one, and
// any other running on that table; all others for the kernel half, which
// every table shares). Returns once they are gone everywhere.
void flush_tlb(uint64_t satp, uintptr_t va, size_t size);
void load_root(uint64_t satp);  // switch this hart to the table
// Address-space identifiers for user tables (0: none, the table's switch
// flushes the TLB; the kernel's own table always uses 0).
uint16_t alloc_asid();
void free_asid(uint16_t asid);  // the table is gone: reusable once no hart can hold its entries
void probe_asids();             // at boot, on the boot hart: how many the hardware has

}  // namespace arch::pt_memory
