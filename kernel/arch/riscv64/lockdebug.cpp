// Lock debugging: the per-hart stack of held spinlocks and the checks
// (lockdebug.h). Reports take the console over first (panic_begin), so
// they take no lock; a hart asked where it is answers with its return
// addresses in its Cpu, printing nothing itself.
#include <arch/backtrace.h>
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/lockdebug.h>
#include <arch/sbi.h>
#include <arch/tlb.h>

#include "lib/kprintf.h"
#include "lib/panic.h"

namespace lockdebug {

bool enabled = false;
uint64_t bound_ticks = 0;
namespace {
uint64_t ticks_per_ms = 1;
libk::Atomic<uint32_t> reporting;  // one deadlock report at a time
// Cpu::backtrace_wanted: none, asked, being answered, answered.
constexpr uint32_t ASKED = 1, ANSWERING = 2, ANSWERED = 3;

// Every hart's locks and what it waits for: the wait-for graph, read
// racily (the harts keep running).
void report_harts() {
  uint64_t now = arch::r_time();
  for (unsigned i = 0, n = arch::cpus_online(); i < n; i++) {
    arch::Cpu* c = arch::cpu(i);
    kprintf("lockdebug: hart %lu (cpu %u):", c->hartid, i);
    for (unsigned k = 0; k < c->nheld && k < arch::Cpu::MAX_HELD; k++)
      kprintf(" holds %s (%lu ms)", c->held[k].name, (now - c->held[k].since) / ticks_per_ms);
    if (const char* s = c->spinning_on) kprintf(" spins on %s", s);
    if (c->shooting_at >= 0) kprintf(" waits for a shootdown on cpu %d", c->shooting_at);
    kprintf(" (shootdowns %lu asked, %lu done)\n",
            c->tlb_requested.load(libk::MemoryOrder::Relaxed),
            c->tlb_done.load(libk::MemoryOrder::Relaxed));
  }
}

// Ask the holder where it is: it answers from its next spin loop or IPI.
// This hart serves shootdowns meanwhile (the holder may be waiting for one).
void ask_for_backtrace(arch::Cpu& holder) {
  holder.backtrace_wanted.store(ASKED, libk::MemoryOrder::Release);
  arch::sbi::send_ipi(holder.hartid);
  uint64_t give_up = arch::r_time() + 1000 * ticks_per_ms;
  while (holder.backtrace_wanted.load(libk::MemoryOrder::Acquire) != ANSWERED &&
         arch::r_time() < give_up)
    arch::tlb::serve();
  if (holder.backtrace_wanted.load(libk::MemoryOrder::Acquire) != ANSWERED) {
    kprintf("lockdebug: hart %lu did not answer (interrupts off and not spinning?)\n",
            holder.hartid);
    return;
  }
  kprintf("lockdebug: hart %lu is here:\nbacktrace:\n", holder.hartid);
  for (unsigned i = 0; i < holder.nwhere && i < arch::Cpu::WHERE_MAX; i++)
    kprintf("  #%u pc %#018lx\n", i, holder.where[i]);
}
}  // namespace

void poll() {
  arch::Cpu* c = arch::this_cpu();
  uint32_t asked = ASKED;
  if (c->backtrace_wanted.load(libk::MemoryOrder::Relaxed) != ASKED ||
      !c->backtrace_wanted.compare_exchange(asked, ANSWERING, libk::MemoryOrder::Acquire,
                                            libk::MemoryOrder::Relaxed))
    return;
  c->nwhere = arch::collect_backtrace(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)),
                                      c->where, arch::Cpu::WHERE_MAX);
  c->backtrace_wanted.store(ANSWERED, libk::MemoryOrder::Release);
}

void enable(uint64_t bound_ms, uint64_t timebase_hz) {
  ticks_per_ms = timebase_hz / 1000 ? timebase_hz / 1000 : 1;
  bound_ticks = bound_ms * ticks_per_ms;
  enabled = true;
  arch::use_full_syscall(arch::this_cpu());  // other harts come up with the flag set
}

void acquired(const void* lock, LockRank rank, const char* name, bool tried) {
  arch::Cpu* c = arch::this_cpu();
  if (!tried && rank != LockRank::None) {
    for (unsigned i = 0; i < c->nheld; i++) {
      const arch::Cpu::HeldLock& h = c->held[i];
      if (h.rank != 0 && h.rank >= static_cast<uint8_t>(rank))
        panic("lock order: taking %s (rank %u) while holding %s (rank %u) on hart %lu", name,
              static_cast<unsigned>(rank), h.name, h.rank, c->hartid);
    }
  }
  if (c->nheld == arch::Cpu::MAX_HELD)
    panic("lockdebug: more than %u spinlocks held on hart %lu (taking %s)", arch::Cpu::MAX_HELD,
          c->hartid, name);
  c->held[c->nheld++] = {lock, name, arch::r_time(), static_cast<uint8_t>(rank)};
}

void released(const void* lock) {
  arch::Cpu* c = arch::this_cpu();
  // Not necessarily the last taken: a blocking task lets go of its wait
  // queue's lock while it holds its hart's.
  for (unsigned i = c->nheld; i-- > 0;) {
    if (c->held[i].lock != lock) continue;
    uint64_t held_for = arch::r_time() - c->held[i].since;
    if (held_for > bound_ticks)
      panic("lockdebug: spinlock %s held for %lu ms (bound %lu ms) on hart %lu", c->held[i].name,
            held_for / ticks_per_ms, bound_ticks / ticks_per_ms, c->hartid);
    for (unsigned k = i + 1; k < c->nheld; k++) c->held[k - 1] = c->held[k];
    c->nheld--;
    return;
  }
  // Released on another hart than it was taken (a lock handed across a
  // migration would be a bug): report it.
  panic("lockdebug: releasing a spinlock this hart (%lu) does not hold", c->hartid);
}

void check_may_block(const void* handed) {
  arch::Cpu* c = arch::this_cpu();
  for (unsigned i = 0; i < c->nheld; i++)
    if (c->held[i].lock != handed)
      panic("lockdebug: blocking while holding spinlock %s on hart %lu", c->held[i].name,
            c->hartid);
}

void waiting(const void* lock, const char* name, uint64_t since, unsigned holder) {
  (void)lock;
  if (arch::r_time() - since > bound_ticks) {
    if (reporting.exchange(1, libk::MemoryOrder::AcqRel)) return;  // another hart reports
    arch::Cpu* h = arch::cpu(holder);
    panic_begin();  // the console is this hart's from here: no lock (another may hold it)
    kprintf("\nlockdebug: hart %lu waited %lu ms for spinlock %s\n", arch::this_cpu()->hartid,
            (arch::r_time() - since) / ticks_per_ms, name);
    report_harts();
    if (h && h != arch::this_cpu()) ask_for_backtrace(*h);
    panic("lockdebug: waited longer than the bound for spinlock %s, held by hart %lu (deadlock?)",
          name, h ? h->hartid : ~0ul);
  }
}

}  // namespace lockdebug
