// Lock debugging panics where it must. Not in the kernel suite's globs:
// each kernel-lockdebug-* test boots with test=lockdebug.<name> and
// lockdebug=200 and requires the panic naming the locks.
#include <arch/cpu.h>
#include <arch/lockdebug.h>
#include <arch/spinlock.h>
#include <arch/timer.h>

#include "ktest/ktest.h"
#include "lib/kprintf.h"
#include "sched/sched.h"

namespace {
Spinlock inner{LockRank::Hart, "test inner lock"};
Spinlock outer{LockRank::Process, "test outer lock"};
// Unranked: the order check would stop the deadlock before it happens.
Spinlock first{LockRank::None, "test first lock"};
Spinlock second{LockRank::None, "test second lock"};
libk::Atomic<uint32_t> second_taken;

int take_second_then_first(void*) {
  second.lock();
  second_taken.store(1, libk::MemoryOrder::Release);
  first.lock();  // held by the test: never
  return 0;
}
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

// Two harts each hold the lock the other wants. The report names every
// hart's locks and what it spins on, and the other hart answers with its
// backtrace before the panic.
KTEST("lockdebug.deadlock_reports_both_harts") {
  KT_ASSERT(lockdebug::enabled);
  KT_ASSERT(sched::harts_online() >= 2);
  first.lock();
  auto t = Task::create("deadlock", take_second_then_first, nullptr);
  KT_ASSERT(t.ok());
  t.value()->pinned = true;
  t.value()->hart = (arch::this_cpu()->index + 1) % sched::harts_online();
  sched::start(t.release_value());
  while (!second_taken.load(libk::MemoryOrder::Acquire)) {
  }
  second.lock();
  KT_EXPECT(false);
}
