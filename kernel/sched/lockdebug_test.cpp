// Lock debugging panics where it must. Not in the kernel suite's globs:
// each kernel-lockdebug-* test boots with test=lockdebug.<name> and
// lockdebug=200 and requires the panic naming the locks.
#include <arch/lockdebug.h>
#include <arch/spinlock.h>
#include <arch/timer.h>

#include "ktest/ktest.h"
#include "lib/kprintf.h"
#include "sched/sched.h"

namespace {
Spinlock inner{LockRank::Hart, "test inner lock"};
Spinlock outer{LockRank::Process, "test outer lock"};
}  // namespace

KTEST("lockdebug.order_violation_panics") {
  KT_ASSERT(lockdebug::enabled);
  kprintf("# lockdebug: taking rank %u while holding rank %u\n",
          static_cast<unsigned>(LockRank::Process), static_cast<unsigned>(LockRank::Hart));
  inner.lock();
  outer.lock();      // the order table says outer first
  KT_EXPECT(false);  // unreachable
}

KTEST("lockdebug.blocking_with_a_spinlock_panics") {
  KT_ASSERT(lockdebug::enabled);
  outer.lock();
  (void)sched::sleep(1);
  KT_EXPECT(false);
}

KTEST("lockdebug.held_past_the_bound_panics") {
  KT_ASSERT(lockdebug::enabled);
  outer.lock();
  uint64_t until = timer::now() + timer::timebase_hz() * 3 / 10;  // 300 ms > the 200 ms bound
  while (timer::now() < until) {
  }
  outer.unlock();
  KT_EXPECT(false);
}
