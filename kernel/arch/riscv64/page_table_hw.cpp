// The hardware half of page_table_memory.h: TLB flush (here and on other
// harts) and satp.
//
// There are no ASIDs: a hart that changes satp flushes its whole TLB, so the
// only stale user translations are on harts running the table right now,
// which Cpu::satp names. Unmapper and switcher each write, fence, then read
// (the PTE / Cpu::satp, then the other): either the unmapper sees the hart
// on the table and fences it, or the hart's own flush after loading satp
// comes after the PTE change. The kernel half is shared by every table, and
// a hart switching between tasks of one table does not flush: kernel-half
// changes go to every hart. The remote fence is SBI RFENCE, which returns
// once the other hart has done it.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/page_table_memory.h>
#include <arch/sbi.h>
#include <libk/atomic.h>

namespace arch::pt_memory {

void flush_tlb(uint64_t satp, uintptr_t va, size_t size) {
  sfence_vma();
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  bool kernel_half = va >= DIRECT_MAP_BASE;
  Cpu* me = this_cpu();
  for (unsigned i = 0, n = cpus_online(); i < n; i++) {
    Cpu* c = cpu(i);
    if (c == me || !libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire)) continue;
    if (kernel_half || libk::AtomicRef(c->satp).load(libk::MemoryOrder::Relaxed) == satp)
      sbi::remote_sfence_vma(c->hartid, va, size);
  }
}

void load_root(uint64_t satp) {
  libk::AtomicRef(this_cpu()->satp).store(satp, libk::MemoryOrder::Relaxed);
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  sfence_vma();
  w_satp(satp);
  sfence_vma();
}

}  // namespace arch::pt_memory
