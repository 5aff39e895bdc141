// Several harts: work spreads over all of them, a task preempted in kernel
// mode may resume on another hart with everything hart-local right, and a
// mapping removed from an address space running on another hart is gone
// there too before the unmap returns (TLB shootdown). At one hart the same
// tests run and check what one hart can show.
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/memlayout.h>
#include <arch/timer.h>
#include <arch/tlb.h>
#include <keel/syscall.h>
#include <libk/atomic.h>

#include "ktest/ktest.h"
#include "lib/kprintf.h"
#include "mm/address_space.h"
#include "sched/sched.h"
#include "sched/wait_queue.h"

namespace {

// hart -1: anywhere; -2: made but not started (the caller starts it).
RefPtr<Task> start_task(const char* name, Task::Entry entry, void* arg, int hart = -1) {
  auto t = Task::create(name, entry, arg);
  if (t.is_error()) return RefPtr<Task>();
  RefPtr<Task> mine = t.value();
  if (hart == -2) return mine;
  if (hart >= 0) {
    mine->pinned = true;
    mine->hart = static_cast<uint32_t>(hart);
  }
  sched::start(t.release_value());
  return mine;
}

uint64_t all_harts_mask() { return (uint64_t{1} << sched::harts_online()) - 1; }

// --- every hart runs tasks ---
struct Spread {
  libk::Atomic<uint64_t> seen;  // bit i: a task ran on hart i
  uint64_t give_up;             // clock time
};

int spread_task(void* arg) {
  auto* s = static_cast<Spread*>(arg);
  while (s->seen.load(libk::MemoryOrder::Acquire) != all_harts_mask() &&
         timer::now() < s->give_up) {
    arch::irq_disable();
    s->seen.fetch_or(uint64_t{1} << arch::this_cpu()->index, libk::MemoryOrder::AcqRel);
    arch::irq_enable();
    arch::cpu_relax();
  }
  return 0;
}
}  // namespace

KTEST("smp.every_hart_runs_tasks") {
  Spread s;
  s.give_up = timer::now() + 60 * timer::timebase_hz();  // generous: a busy host
  unsigned n = sched::harts_online();
  RefPtr<Task> tasks[arch::MAX_CPUS];
  for (unsigned i = 0; i < n; i++) KT_ASSERT((tasks[i] = start_task("spread", spread_task, &s)));
  for (unsigned i = 0; i < n; i++) KT_EXPECT(sched::join(*tasks[i]).ok());
  KT_EXPECT_EQ(s.seen.load(libk::MemoryOrder::Acquire), all_harts_mask());
  KT_EXPECT_EQ(n, arch::cpus_online());
}

namespace {
// --- a starving spinlock waiter goes before later ones ---
struct Contest {
  Spinlock lock{LockRank::None, "test contest lock"};
  char order[2];
  unsigned taken = 0;  // under lock
};
struct Contender {
  Contest* c;
  char name;
  uint64_t waited = 0;  // timebase ticks lock() took
};

int contend(void* arg) {
  auto* w = static_cast<Contender*>(arg);
  uint64_t start = timer::now();
  SpinGuard g(w->c->lock);
  w->waited = timer::now() - start;
  w->c->order[w->c->taken++] = w->name;
  return 0;
}

// Spin, serving shootdowns, until `done` (or a minute).
template <typename F>
bool spin_until(F&& done) {
  uint64_t give_up = timer::now() + 60 * timer::timebase_hz();
  while (!done() && timer::now() < give_up) arch::tlb::serve();
  return done();
}
}  // namespace

// Plain test-and-set let three harts take an address space's lock in turn
// for 10 s while a fourth never got it (utest-tasks at 4 harts, lockdebug's
// wait bound). A waiter that has waited past the starving bound is counted,
// and while one is, only starving waiters take the lock, even a free one:
// try_lock fails, and lock() waits until it starves itself. (Plain
// test-and-set fails both.)
KTEST("smp.spinlock_starving_waiter_goes_first") {
  Contest c;
  KT_ASSERT(c.lock.try_lock());
  KT_EXPECT(!c.lock.try_lock());
  KT_EXPECT_EQ(c.lock.starving(), 0u);
  c.lock.unlock();
  // A waiter starving (counted by hand): the free lock is not for others.
  c.lock.starve_for_test(true);
  KT_EXPECT(!c.lock.held());
  KT_EXPECT(!c.lock.try_lock());
  unsigned n = sched::harts_online();
  if (n > 1) {
    Contender b{&c, 'B'};
    RefPtr<Task> tb = start_task("contender B", contend, &b, (arch::this_cpu()->index + 1) % n);
    KT_ASSERT(tb);
    KT_EXPECT(sched::join(*tb).ok());
    KT_EXPECT_EQ(c.taken, 1u);
    KT_EXPECT(b.waited >= arch::spin_starving_ticks);
    kprintf("# a free lock with a waiter starving: taken after %lu us, once starving itself\n",
            b.waited * 1000000 / timer::timebase_hz());
  }
  c.lock.starve_for_test(false);
  KT_EXPECT_EQ(c.lock.starving(), 0u);
  // A real starving waiter: A waits on another hart past the bound while
  // this hart holds the lock; it is counted, gets the lock once it is free,
  // and is no longer counted after.
  if (n < 2) return;
  Contender a{&c, 'A'};
  RefPtr<Task> ta = start_task("contender A", contend, &a, -2);  // made, not started
  KT_ASSERT(ta);
  c.lock.lock();  // interrupts off: this task stays on this hart until the unlock
  ta->pinned = true;
  ta->hart = (arch::this_cpu()->index + 1) % n;
  sched::start(RefPtr<Task>(ta));
  bool a_starves = spin_until([&] { return c.lock.starving() == 1; });
  c.lock.unlock();
  KT_EXPECT(a_starves);
  KT_EXPECT(sched::join(*ta).ok());
  KT_EXPECT_EQ(c.taken, 2u);
  KT_EXPECT_EQ(c.lock.starving(), 0u);
}

namespace {
// --- preempted in kernel mode, resumed elsewhere ---
struct Migration {
  libk::Atomic<uint64_t> wrong;       // checks that found another hart's state
  libk::Atomic<uint64_t> migrations;  // a task saw its hart change
  uint64_t start;
  uint64_t step;  // task i spins until start + (i + 1) * step
  libk::Atomic<unsigned> next_id;
};

int migrating_task(void* arg) {
  auto* m = static_cast<Migration*>(arg);
  unsigned id = m->next_id.fetch_add(1, libk::MemoryOrder::Relaxed);
  uint64_t end = m->start + (id + 1) * m->step;
  unsigned last = ~0u;
  while (timer::now() < end) {
    // Interrupts on between checks: the tick preempts this task in kernel
    // mode, and an idle hart may steal it from the run queue.
    arch::irq_disable();
    Task* me = sched::current();
    unsigned here = arch::this_cpu()->index;
    bool right = me->hart == here && &sched::this_hart() == &sched::harts[here] &&
                 sched::this_hart().current == me;
    arch::irq_enable();
    if (!right) m->wrong.fetch_add(1, libk::MemoryOrder::Relaxed);
    if (last != ~0u && last != here) m->migrations.fetch_add(1, libk::MemoryOrder::Relaxed);
    if (last == ~0u) {
      // Started on the test's hart; from now on other harts may take it
      // (only the running task writes this, and only a queued task is read).
      arch::irq_disable();
      me->pinned = false;
      arch::irq_enable();
    }
    last = here;
  }
  return 0;
}
}  // namespace

KTEST("smp.preempted_kernel_tasks_resume_with_the_right_hart") {
  // Two tasks per hart, all started on this hart: the other harts are idle
  // and take them from its run queue, each preempted in kernel mode (after
  // its first turn), and they end one after another.
  Migration m;
  m.start = timer::now();
  m.step = timer::timebase_hz() / 8;  // 125 ms apart
  unsigned n = 2 * sched::harts_online();
  RefPtr<Task> tasks[2 * arch::MAX_CPUS];
  int here = static_cast<int>(arch::this_cpu()->index);
  for (unsigned i = 0; i < n; i++)
    KT_ASSERT((tasks[i] = start_task("migrant", migrating_task, &m, here)));
  for (unsigned i = 0; i < n; i++) KT_EXPECT(sched::join(*tasks[i]).ok());
  uint64_t steals = 0;
  for (unsigned i = 0; i < sched::harts_online(); i++) steals += sched::harts[i].steals;
  kprintf("# %lu migrations, %lu steals\n", m.migrations.load(libk::MemoryOrder::Relaxed), steals);
  KT_EXPECT_EQ(m.wrong.load(libk::MemoryOrder::Relaxed), 0u);
  if (sched::harts_online() > 1) KT_EXPECT(m.migrations.load(libk::MemoryOrder::Relaxed) > 0);
}

namespace {
// --- TLB shootdown ---
struct Shootdown {
  uintptr_t va;
  libk::Atomic<int> phase;  // 0: starting; 1: translation hot on the reader's hart; 2: released
  bool faulted = false;     // the reader's reads faulted once the page was gone
  unsigned reader_hart = 0;
};

// With interrupts off and SUM on throughout (QEMU drops its TLB when SUM
// changes, so a user copy per read would hide a missing shootdown), read
// the page until the release is over, then once more. Only a fence from
// the releasing hart can make these reads fault.
void hot_reads(void* arg) {
  auto* s = static_cast<Shootdown*>(arg);
  asm volatile("csrs sstatus, %0" ::"r"(arch::SSTATUS_SUM));
  auto* p = reinterpret_cast<volatile uint64_t*>(s->va);
  (void)*p;
  s->phase.store(1, libk::MemoryOrder::Release);
  // Like every loop that spins with interrupts off, answer shootdowns.
  while (s->phase.load(libk::MemoryOrder::Acquire) != 2) {
    (void)*p;
    arch::tlb::serve();
  }
  (void)*p;  // a stale translation still reads the freed frame here
}

void read_once(void* arg) {
  asm volatile("csrs sstatus, %0" ::"r"(arch::SSTATUS_SUM));
  (void)*reinterpret_cast<volatile uint64_t*>(static_cast<Shootdown*>(arg)->va);
}

int reader_task(void* arg) {
  auto* s = static_cast<Shootdown*>(arg);
  s->reader_hart = arch::this_cpu()->index;
  FaultCatch c;
  s->faulted = run_catching_faults(c, hot_reads, s);
  asm volatile("csrc sstatus, %0" ::"r"(arch::SSTATUS_SUM));
  return 0;
}
}  // namespace

KTEST("smp.unmap_reaches_every_hart_running_the_table") {
  AddressSpace as;
  KT_ASSERT(as.init().ok());
  auto va = as.allocate(arch::PAGE_SIZE, KEEL_VM_READ | KEEL_VM_WRITE);
  KT_ASSERT(va.ok());
  Shootdown s;
  s.va = va.value();
  if (sched::harts_online() > 1) {
    // A reader on another hart, on the table under test, spinning on the page.
    unsigned other = (arch::this_cpu()->index + 1) % sched::harts_online();
    auto t = Task::create("reader", reader_task, &s);
    KT_ASSERT(t.ok());
    RefPtr<Task> reader = t.value();
    reader->satp = as.satp();
    reader->pinned = true;
    reader->hart = other;
    sched::start(t.release_value());
    while (s.phase.load(libk::MemoryOrder::Acquire) != 1) sched::yield();
    KT_EXPECT(as.release(va.value(), arch::PAGE_SIZE).ok());  // returns once gone everywhere
    s.phase.store(2, libk::MemoryOrder::Release);
    KT_EXPECT(sched::join(*reader).ok());
    KT_EXPECT(s.faulted);  // no stale translation on the other hart
    KT_EXPECT_EQ(s.reader_hart, other);
  } else {
    // One hart: the local flush. Run on the table, read, release, read.
    Task* self = sched::current();
    uint64_t saved = self->satp;
    arch::irq_disable();
    self->satp = as.satp();
    arch::switch_satp(as.satp());
    FaultCatch c;
    KT_EXPECT(!run_catching_faults(c, read_once, &s));
    KT_EXPECT(as.release(va.value(), arch::PAGE_SIZE).ok());
    KT_EXPECT(run_catching_faults(c, read_once, &s));
    asm volatile("csrc sstatus, %0" ::"r"(arch::SSTATUS_SUM));
    self->satp = saved;
    arch::switch_satp(saved);
    arch::irq_enable();
  }
  as.destroy();
}

namespace {
// --- a killer's look at a wait queue it read from waiting_on ---
// The victim blocks on a queue that, once it is woken, it stands for
// freeing ("released": what a reader does when it drops the channel or
// process owning the queue). A killer reads that queue from waiting_on and
// is held just before it takes the queue's lock (the hook) until the test
// has woken the victim, then for 50 ms more. The victim must not release
// the queue until the killer has let go of it (Task::queue_lookups).
struct StaleLook {
  WaitQueue wq;
  Task* victim = nullptr;
  libk::Atomic<bool> blocked, in_window, woken, released, released_while_looked_at;
};
StaleLook* stale;

int stale_victim(void*) {
  StaleLook& s = *stale;
  {
    SpinGuard g(s.wq.lock());
    s.blocked.store(true, libk::MemoryOrder::Release);
    (void)s.wq.block_locked();  // woken by the test, or interrupted by the kill
  }
  s.released.store(true, libk::MemoryOrder::Release);
  return 0;
}

// In the killer's window (interrupts off). Waiting for the wake-up first
// means a slow host can only make the victim late (a pass), never leave it
// to the killer to wake.
void stale_hook(Task& t) {
  StaleLook& s = *stale;
  if (&t != s.victim) return;
  s.in_window.store(true, libk::MemoryOrder::Release);
  uint64_t give_up = timer::now() + 60 * timer::timebase_hz();
  while (!s.woken.load(libk::MemoryOrder::Acquire) && timer::now() < give_up) arch::tlb::serve();
  uint64_t until = timer::now() + timer::timebase_hz() / 20;
  while (timer::now() < until && !s.released.load(libk::MemoryOrder::Acquire)) arch::cpu_relax();
  if (s.released.load(libk::MemoryOrder::Acquire))
    s.released_while_looked_at.store(true, libk::MemoryOrder::Release);
}

int stale_killer(void* arg) {
  sched::kill(*static_cast<Task*>(arg), 7);
  return 0;
}
}  // namespace

// With three harts or more, the victim, the killer and this task each run on
// their own, and the race is real (the -smp4 twin). With fewer, the killer
// runs where the victim would, and the test checks the plain case: the kill
// wakes it, and nothing is left counted.
KTEST("smp.a_woken_task_frees_its_queue_only_after_its_killer_let_go") {
  unsigned n = sched::harts_online();
  bool race = n >= 3;
  StaleLook s;
  stale = &s;
  Task* me = sched::current();
  arch::irq_disable();
  unsigned here = arch::this_cpu()->index;
  bool was_pinned = me->pinned;
  me->pinned = true;  // this task must not run where the killer holds its hart
  arch::irq_enable();
  Deadline minute = Deadline::at(timer::now() + 60 * timer::timebase_hz());
  RefPtr<Task> v = start_task("stale victim", stale_victim, nullptr,
                              race ? static_cast<int>((here + 1) % n) : -1);
  RefPtr<Task> k;
  if (v) {
    s.victim = v.get();
    KT_EXPECT(spin_until([&] {
      return s.blocked.load(libk::MemoryOrder::Acquire) &&
             v->waiting_on.load(libk::MemoryOrder::Acquire) == &s.wq;
    }));
    sched::kill_lookup_hook_for_test = stale_hook;
    k = start_task("stale killer", stale_killer, v.get(),
                   race ? static_cast<int>((here + 2) % n) : -1);
    KT_EXPECT(k);
    if (k && race) {
      KT_EXPECT(spin_until([&] { return s.in_window.load(libk::MemoryOrder::Acquire); }));
      SpinGuard g(s.wq.lock());
      KT_EXPECT(s.wq.wake_one_locked());  // woken by someone else while the killer looks
    }
    s.woken.store(true, libk::MemoryOrder::Release);
    if (!k) {  // no killer: end the victim ourselves
      SpinGuard g(s.wq.lock());
      s.wq.wake_one_locked();
    }
    if (k) KT_EXPECT(sched::join(*k, minute).ok());
    KT_EXPECT(sched::join(*v, minute).ok());
    sched::kill_lookup_hook_for_test = nullptr;
    KT_EXPECT(s.released.load(libk::MemoryOrder::Acquire));
    KT_EXPECT(!s.released_while_looked_at.load(libk::MemoryOrder::Acquire));
    KT_EXPECT_EQ(v->queue_lookups.load(libk::MemoryOrder::Acquire), 0u);
    KT_EXPECT_EQ(s.wq.waiter_count(), 0u);
  } else {
    KT_EXPECT(v);
  }
  arch::irq_disable();
  me->pinned = was_pinned;
  arch::irq_enable();
}
