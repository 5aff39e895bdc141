// The hardware half of page_table_memory.h: TLB flush (here and on other
// harts) and satp.
//
// User tables have address-space identifiers (ASIDs), so a hart that
// switches between them keeps its TLB: the IPC fast path switches address
// spaces without a flush. The price is that a hart may hold a table's
// translations long after it last ran it. Every hart that ever loaded an
// ASID is in that ASID's hart mask (set before its satp write, cleared only
// when the ASID is handed out again, clean): an unmap shoots down every
// hart in the mask (unmapper and switcher each write, fence, then read:
// the PTE / the mask, then the other), whether or not it runs the table
// now. A freed ASID is handed out again only once every hart has flushed
// its whole TLB since (tlb::stamp; each does so at least once a tick), so a
// new table never meets its predecessor's translations. Tables without an
// ASID (the kernel's; any if the hardware has none, or all are taken)
// flush at every switch, and the harts running them now are the ones
// Cpu::satp names. The remote flush is tlb::shootdown (tlb.h).
// The kernel half is shared by every table; after boot the only kernel-half
// unmaps are kernel stacks, which are flushed lazily (tlb::stamp: kstack.cpp
// reuses a slot only once every hart has flushed since), so those flush
// here only.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/page_table_memory.h>
#include <arch/spinlock.h>
#include <arch/tlb.h>
#include <libk/atomic.h>

namespace arch::pt_memory {

namespace {
constexpr unsigned MAX_ASIDS = 4096;
unsigned asid_count = 0;  // usable: 1 .. asid_count - 1 (probed at boot; 0: none)
Spinlock asid_lock{LockRank::Asid, "asid"};
bool asid_used[MAX_ASIDS];
uint64_t asid_freed_at[MAX_ASIDS];  // tlb::stamp() when freed (0: never used)
unsigned asid_cursor = 1;
libk::Atomic<uint32_t> asid_harts[MAX_ASIDS];  // CPU indexes that loaded it (bit i)

unsigned asid_of(uint64_t satp) { return static_cast<unsigned>((satp >> 44) & 0xffff); }
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
  for (int pass = 0; pass < 2; pass++) {
    for (unsigned k = 1; k < asid_count; k++) {
      unsigned a = asid_cursor;
      asid_cursor = asid_cursor + 1 < asid_count ? asid_cursor + 1 : 1;
      if (asid_used[a]) continue;
      if (asid_freed_at[a] && !tlb::flushed_everywhere_since(asid_freed_at[a])) continue;
      asid_used[a] = true;
      asid_harts[a].store(0, libk::MemoryOrder::Relaxed);
      return static_cast<uint16_t>(a);
    }
    if (pass == 0) tlb::flush_everywhere();  // make the freed ones clean now
  }
  return 0;  // all taken: this table flushes at every switch
}

void free_asid(uint16_t asid) {
  SpinGuard g(asid_lock);
  asid_freed_at[asid] = tlb::stamp();
  asid_used[asid] = false;
}

void flush_tlb(uint64_t satp, uintptr_t va, size_t) {
  sfence_vma();
  if (va >= DIRECT_MAP_BASE) return;  // the kernel half: see above
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  Cpu* me = this_cpu();
  unsigned asid = asid_of(satp);
  uint32_t ran = asid ? asid_harts[asid].load(libk::MemoryOrder::Acquire) : 0;
  for (unsigned i = 0, n = cpus_online(); i < n; i++) {
    Cpu* c = cpu(i);
    if (c == me || !libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire)) continue;
    bool may_hold =
        asid ? (ran >> i) & 1 : libk::AtomicRef(c->satp).load(libk::MemoryOrder::Relaxed) == satp;
    if (may_hold) tlb::shootdown(*c);
  }
}

void load_root(uint64_t satp) { switch_satp(satp); }

unsigned asid_of_satp(uint64_t satp) { return asid_of(satp); }
libk::Atomic<uint32_t>& asid_hart_mask(unsigned asid) { return asid_harts[asid]; }

}  // namespace arch::pt_memory

namespace arch {
void switch_satp(uint64_t satp) {
  Cpu* c = this_cpu();
  libk::AtomicRef(c->satp).store(satp, libk::MemoryOrder::Relaxed);
  unsigned asid = pt_memory::asid_of_satp(satp);
  if (asid) {
    uint32_t bit = 1u << c->index;
    auto& ran = pt_memory::asid_hart_mask(asid);
    if (!(ran.load(libk::MemoryOrder::Relaxed) & bit)) ran.fetch_or(bit, libk::MemoryOrder::SeqCst);
    libk::atomic_fence(libk::MemoryOrder::SeqCst);
    w_satp(satp);  // its own translations, if any, were kept up to date by flush_tlb
    return;
  }
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  uint64_t e = tlb::epoch_now();
  w_satp(satp);
  sfence_vma();
  tlb::note_full_flush(e);
}

}  // namespace arch
