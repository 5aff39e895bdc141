// The hardware half of page_table_memory.h: TLB flush and satp.
#include <arch/csr.h>
#include <arch/page_table_memory.h>

namespace arch::pt_memory {

void flush_tlb() { sfence_vma(); }

void load_root(uint64_t satp) {
  sfence_vma();
  w_satp(satp);
  sfence_vma();
}

}  // namespace arch::pt_memory
