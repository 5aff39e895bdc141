// The hardware half of page_table_memory.h: TLB flush (here and on other
// harts) and satp.
//
// User tables have address-space identifiers (ASIDs), so a hart that
// switches between them keeps its TLB: the IPC fast path switches address
// spaces without a flush. A hart may then hold a table's translations long
// after it last ran it; they are dropped lazily, by generation. Each ASID
// has a generation, moved on by every unmap or protect of its table and
// when the ASID is freed; each hart remembers the generation it last
// flushed each ASID at, and flushes that ASID when it loads it at a newer
// one. Harts running the table right now (Cpu::satp names them) are shot
// down at once. Unmapper and switcher each write, fence, then read (the
// generation / Cpu::satp, then the other): either the unmapper sees the
// hart on the table and shoots it, or the switcher sees the new generation
// and flushes. Tables without an ASID (the kernel's; any if the hardware
// has none, or all are taken) flush at every switch. The remote flush is
// tlb::shootdown (tlb.h).
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/page_table_memory.h>
#include <arch/spinlock.h>
#include <arch/tlb.h>
#include <libk/atomic.h>

namespace arch {
libk::Atomic<uint32_t> asid_generation[MAX_ASIDS];
}  // namespace arch

namespace arch::pt_memory {

namespace {
unsigned asid_count = 0;  // usable: 1 .. asid_count - 1 (probed at boot; 0: none)
Spinlock asid_lock{LockRank::Asid, "asid"};
bool asid_used[MAX_ASIDS];
unsigned asid_cursor = 1;
}  // namespace

void probe_asids() {
  uint64_t old = r_satp();
  w_satp(old | (uint64_t{0xffff} << 44));
  uint64_t bits = asid_of(r_satp());
  w_satp(old);
  sfence_vma();
  asid_count = bits + 1 < MAX_ASIDS ? static_cast<unsigned>(bits + 1) : MAX_ASIDS;
  if (asid_count < 2) asid_count = 0;
}

uint16_t alloc_asid() {
  if (!asid_count) return 0;
  SpinGuard g(asid_lock);
  for (unsigned k = 1; k < asid_count; k++) {
    unsigned a = asid_cursor;
    asid_cursor = asid_cursor + 1 < asid_count ? asid_cursor + 1 : 1;
    if (asid_used[a]) continue;
    asid_used[a] = true;
    return static_cast<uint16_t>(a);
  }
  return 0;  // all taken: this table flushes at every switch
}

void free_asid(uint16_t asid) {
  // A hart that still holds its translations flushes them before it loads
  // the ASID again (for the next table that gets it).
  asid_generation[asid].fetch_add(1, libk::MemoryOrder::AcqRel);
  SpinGuard g(asid_lock);
  asid_used[asid] = false;
}

void flush_tlb(uint64_t satp, uintptr_t va, size_t) {
  sfence_vma();
  if (va >= DIRECT_MAP_BASE) return;  // the kernel half: see above
  if (uint64_t asid = asid_of(satp)) asid_generation[asid].fetch_add(1, libk::MemoryOrder::AcqRel);
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
  Cpu* c = this_cpu();
  libk::AtomicRef(c->satp).store(satp, libk::MemoryOrder::Relaxed);
  if (uint64_t asid = asid_of(satp)) {
    load_user_satp(c, satp, asid);
    return;
  }
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  uint64_t e = tlb::epoch_now();
  w_satp(satp);
  sfence_vma();
  tlb::note_full_flush(e);
}

}  // namespace arch
