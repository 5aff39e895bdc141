// The hardware half of page_table_memory.h: TLB flush (here and on other
// harts) and satp.
//
// There are no ASIDs: a hart that changes satp flushes its whole TLB, so the
// only stale user translations are on harts running the table right now,
// which Cpu::satp names. Unmapper and switcher each write, fence, then read
// (the PTE / Cpu::satp, then the other): either the unmapper sees the hart
// on the table and fences it, or the hart's own flush after loading satp
// comes after the PTE change. The remote flush is tlb::shootdown (tlb.h).
// The kernel half is shared by every table; after boot the only kernel-half
// unmaps are kernel stacks, which are flushed lazily (tlb::stamp: kstack.cpp
// reuses a slot only once every hart has flushed since), so those flush
// here only.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/page_table_memory.h>
#include <arch/tlb.h>
#include <libk/atomic.h>

namespace arch::pt_memory {

void flush_tlb(uint64_t satp, uintptr_t va, size_t) {
  sfence_vma();
  if (va >= DIRECT_MAP_BASE) return;  // the kernel half: see above
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  Cpu* me = this_cpu();
  for (unsigned i = 0, n = cpus_online(); i < n; i++) {
    Cpu* c = cpu(i);
    if (c == me || !libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire)) continue;
    if (libk::AtomicRef(c->satp).load(libk::MemoryOrder::Relaxed) == satp) tlb::shootdown(*c);
  }
}

void load_root(uint64_t satp) { switch_satp(satp); }

}  // namespace arch::pt_memory

namespace arch {
void switch_satp(uint64_t satp) {
  libk::AtomicRef(this_cpu()->satp).store(satp, libk::MemoryOrder::Relaxed);
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  uint64_t e = tlb::epoch_now();
  w_satp(satp);
  sfence_vma();
  tlb::note_full_flush(e);
}

}  // namespace arch
