// Lock debugging: the per-hart stack of held spinlocks and the checks
// (lockdebug.h). Reports go through panic(), which takes no lock.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/lockdebug.h>

#include "lib/panic.h"

namespace lockdebug {

bool enabled = false;
uint64_t bound_ticks = 0;
namespace {
uint64_t ticks_per_ms = 1;
}

void enable(uint64_t bound_ms, uint64_t timebase_hz) {
  ticks_per_ms = timebase_hz / 1000 ? timebase_hz / 1000 : 1;
  bound_ticks = bound_ms * ticks_per_ms;
  enabled = true;
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
    arch::Cpu* h = arch::cpu(holder);
    panic("lockdebug: waited longer than the bound for spinlock %s, held by hart %lu (deadlock?)",
          name, h ? h->hartid : ~0ul);
  }
}

}  // namespace lockdebug
