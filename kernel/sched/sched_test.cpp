// Scheduler regression suite: the three ways another kernel leaked every
// task (park path, exit path, observers) cannot happen here.
#include "sched/sched.h"

#include <arch/csr.h>
#include <arch/fault.h>
#include <arch/memlayout.h>
#include <arch/timer.h>
#include <libk/atomic.h>

#include "ktest/ktest.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/kstat.h"
#include "mm/pmm.h"
#include "object/object.h"
#include "sched/wait_queue.h"

namespace {

// A kernel object that tasks hold references to during their lives.
class Token final : public Object {
 public:
  static RefPtr<Token> make() {
    auto t = cache.create();
    return t.ok() ? libk::adopt(t.value()) : RefPtr<Token>();
  }
  libk::Atomic<int> uses{0};  // tasks on every hart count their use at once

 private:
  friend class TypedCache<Token>;
  Token() : Object(ObjectType::Test) {}
  void destroy() override { cache.destroy(this); }
  static TypedCache<Token> cache;
};
TypedCache<Token> Token::cache("test_token");

RefPtr<Task> spawn(const char* name, Task::Entry entry, void* arg) {
  auto t = Task::create(name, entry, arg);
  if (t.is_error()) return RefPtr<Task>();
  RefPtr<Task> mine = t.value();  // the test's own reference, for join/kill
  sched::start(t.release_value());
  return mine;
}

// Blocked and switched away from (on another hart a task is still on its
// way into the scheduler for a moment after its state says Blocked).
void wait_until_blocked(Task& t) {
  while (t.state() != Task::State::Blocked || t.on_cpu.load(libk::MemoryOrder::Acquire))
    sched::yield();
}

// --- park path: block/wake 100,000 times ---
struct PingPong {
  WaitQueue to_task, to_test;
  int turn = 0;  // 1: the task's turn, 0: the test's
  int rounds = 0;
};

int ping_task(void* arg) {
  auto* p = static_cast<PingPong*>(arg);
  for (int i = 0; i <= p->rounds; i++) {  // the last round never comes
    {
      SpinGuard g(p->to_task.lock());
      while (libk::AtomicRef(p->turn).load(libk::MemoryOrder::Acquire) != 1)
        if (p->to_task.block_locked().is_error()) return 1;
    }
    // One wait queue at a time (the lock order): the test sleeps on to_test.
    SpinGuard g2(p->to_test.lock());
    libk::AtomicRef(p->turn).store(0, libk::MemoryOrder::Release);
    p->to_test.wake_one_locked();
  }
  return 0;
}
}  // namespace

KTEST("sched.park_path_refcounts_constant") {
  constexpr int ROUNDS = 100000;
  static PingPong p;
  p.turn = 0;
  p.rounds = ROUNDS;
  Task* idle = sched::idle_task();
  uint32_t idle_before = idle->ref_count();
  RefPtr<Task> t = spawn("pinger", ping_task, &p);
  KT_ASSERT(t);
  wait_until_blocked(*t);
  uint32_t task_before = t->ref_count();  // wait queue's + ours
  KT_EXPECT_EQ(task_before, 2u);
  uint64_t switches = sched::context_switches();
  for (int i = 0; i < ROUNDS; i++) {
    {
      SpinGuard g2(p.to_task.lock());
      libk::AtomicRef(p.turn).store(1, libk::MemoryOrder::Release);
      p.to_task.wake_one_locked();
    }
    SpinGuard g(p.to_test.lock());  // the task sets turn 0 under this lock
    while (libk::AtomicRef(p.turn).load(libk::MemoryOrder::Acquire) != 0)
      KT_ASSERT(p.to_test.block_locked().ok());
  }
  KT_EXPECT(sched::context_switches() - switches >= 2u * ROUNDS);
  // The task blocks once more, for a round that never comes: same owners,
  // same count as before 100,000 park/wake cycles.
  wait_until_blocked(*t);
  KT_EXPECT_EQ(t->ref_count(), task_before);
  sched::kill(*t);
  KT_EXPECT(sched::join(*t).ok());
  KT_EXPECT_EQ(t->ref_count(), 1u);  // only ours is left
  // Let the idle task run (and be switched away from) many times too.
  for (int i = 0; i < 20; i++) KT_EXPECT(sched::sleep(1).ok());
  KT_EXPECT_EQ(idle->ref_count(), idle_before);
}

// --- exit path: 10,000 tasks that held references during their lives ---
namespace {
struct ExitWork {
  Token* token;
};
int holder_task(void* arg) {
  auto* w = static_cast<ExitWork*>(arg);
  RefPtr<Token> mine(w->token);  // a counted reference held across a yield
  void* scratch = kmalloc(200).release_value();
  mine->uses.fetch_add(1, libk::MemoryOrder::Relaxed);
  sched::yield();
  (void)kfree(scratch);
  return 7;
}
}  // namespace

KTEST("sched.exit_path_10000_tasks_back_to_baseline") {
  static kstat::Snapshot before;
  kstat::snapshot(before);
  RefPtr<Token> token = Token::make();
  KT_ASSERT(token);
  ExitWork work{token.get()};
  constexpr int BATCHES = 100, PER_BATCH = 100;
  static RefPtr<Task> batch[PER_BATCH];
  for (int b = 0; b < BATCHES; b++) {
    for (int i = 0; i < PER_BATCH; i++) {
      batch[i] = spawn("holder", holder_task, &work);
      KT_ASSERT(batch[i]);
    }
    for (int i = 0; i < PER_BATCH; i++) {
      auto code = sched::join(*batch[i]);
      KT_EXPECT(code.ok() && code.value() == 7);
      KT_EXPECT_EQ(batch[i]->ref_count(), 1u);  // the scheduler kept nothing
      batch[i].reset();
    }
  }
  KT_EXPECT_EQ(token->uses.load(libk::MemoryOrder::Relaxed), BATCHES * PER_BATCH);
  KT_EXPECT_EQ(token->ref_count(), 1u);  // no exited task kept its reference
  token.reset();
  // tasks_live, frames_free, task_stack_frames, every slab count: exact.
  KT_EXPECT_BASELINE(before);
}

// --- kill in every state ---
namespace {
int never_runs(void* flag) {
  *static_cast<int*>(flag) = 1;
  return 0;
}
int block_forever(void* wq) {
  auto* q = static_cast<WaitQueue*>(wq);
  SpinGuard g(q->lock());
  for (;;) {
    auto r = q->block_locked();
    if (r.is_error()) return r.error();
  }
}
int sleep_long(void*) {
  auto r = sched::sleep(1000000);
  return r.is_error() ? r.error() : 0;
}
int spin_until_killed(void* counter) {
  while (!sched::current_killed())
    static_cast<libk::Atomic<uint64_t>*>(counter)->fetch_add(1, libk::MemoryOrder::Relaxed);
  return 5;
}
}  // namespace

KTEST("sched.kill_ready_task") {
  int ran = 0;
  auto made = Task::create("ready", never_runs, &ran);
  KT_ASSERT(made.ok());
  RefPtr<Task> t = made.value();
  // Ready until the kill, on every hart count: pinned to this hart, which
  // runs nothing else meanwhile (interrupts off), so no hart can steal it.
  uint64_t irq = arch::irq_save();
  t->pinned = true;
  t->hart = arch::this_cpu()->index;
  sched::start(made.release_value());
  KT_EXPECT(t->state() == Task::State::Ready);
  sched::kill(*t);
  arch::irq_restore(irq);
  auto code = sched::join(*t);
  KT_EXPECT(code.ok() && code.value() == -1);
  KT_EXPECT_EQ(ran, 0);
  KT_EXPECT_EQ(t->ref_count(), 1u);
}

KTEST("sched.kill_blocked_task_leaves_wait_queue_intact") {
  static WaitQueue wq;
  RefPtr<Task> victim = spawn("victim", block_forever, &wq);
  RefPtr<Task> other = spawn("other", block_forever, &wq);
  KT_ASSERT(victim && other);
  wait_until_blocked(*victim);
  wait_until_blocked(*other);
  KT_EXPECT_EQ(wq.waiter_count(), 2u);
  sched::kill(*victim);
  KT_EXPECT_EQ(wq.waiter_count(), 1u);
  {
    SpinGuard g(wq.lock());
    KT_EXPECT(wq.has_waiter(*other));
    KT_EXPECT(!wq.has_waiter(*victim));
  }
  auto code = sched::join(*victim);
  KT_EXPECT(code.ok() && code.value() == ERR_INTERRUPTED);
  KT_EXPECT_EQ(victim->ref_count(), 1u);
  // The survivor is still properly queued: an ordinary wake reaches it.
  {
    SpinGuard g(wq.lock());
    KT_EXPECT(wq.wake_one_locked());
  }
  wait_until_blocked(*other);  // it loops back to block
  KT_EXPECT_EQ(wq.waiter_count(), 1u);
  sched::kill(*other);
  KT_EXPECT(sched::join(*other).ok());
  KT_EXPECT_EQ(wq.waiter_count(), 0u);
}

KTEST("sched.kill_sleeping_task") {
  RefPtr<Task> t = spawn("sleeper", sleep_long, nullptr);
  KT_ASSERT(t);
  wait_until_blocked(*t);
  sched::kill(*t);
  auto code = sched::join(*t);
  KT_EXPECT(code.ok() && code.value() == ERR_INTERRUPTED);
}

KTEST("sched.kill_preempted_busy_task") {
  static libk::Atomic<uint64_t> counter;
  counter.store(0, libk::MemoryOrder::Relaxed);
  RefPtr<Task> t = spawn("spinner", spin_until_killed, &counter);
  KT_ASSERT(t);
  KT_EXPECT(sched::sleep(3).ok());  // it runs (and is preempted) meanwhile
  KT_EXPECT(counter.load(libk::MemoryOrder::Relaxed) > 0);
  sched::kill(*t);
  sched::kill(*t);  // idempotent
  auto code = sched::join(*t);
  KT_EXPECT(code.ok() && code.value() == 5);
}

// --- preemption and sleeping ---
// These count events (turns on the CPU, ticks), never wall time: on a
// loaded host any amount of real time can pass between two ticks.
namespace {
struct Busy {
  volatile bool stop;
  libk::Atomic<int> last;           // which busy task ran last
  libk::Atomic<uint64_t> turns[2];  // times each one found the other had run since its last look
};
Busy busy;
// Never yields, never blocks: only preemption lets anyone else run.
int busy_loop(void* arg) {
  int me = static_cast<int>(reinterpret_cast<uintptr_t>(arg));
  while (!busy.stop) {
    if (busy.last.load(libk::MemoryOrder::Relaxed) != me) {
      busy.last.store(me, libk::MemoryOrder::Relaxed);
      busy.turns[me].fetch_add(1, libk::MemoryOrder::Relaxed);
    }
  }
  return 0;
}
struct SleepRecord {
  uint64_t asked, before, after;
};
// Times in clock units (timer::now()), not in ticks counted: a deadline is
// a point of the clock, and on a loaded host ticks arrive late, so a sleep
// of 25 intervals may see only 15 tick interrupts (it once failed so).
int timed_sleeper(void* arg) {
  auto* r = static_cast<SleepRecord*>(arg);
  r->before = timer::now();
  if (sched::sleep(r->asked).is_error()) return 1;
  r->after = timer::now();
  return 0;
}
}  // namespace

KTEST("sched.preemption_busy_tasks_both_progress") {
  busy.stop = false;
  busy.last.store(-1, libk::MemoryOrder::Relaxed);
  busy.turns[0].store(0, libk::MemoryOrder::Relaxed);
  busy.turns[1].store(0, libk::MemoryOrder::Relaxed);
  RefPtr<Task> a = spawn("busy0", busy_loop, reinterpret_cast<void*>(uintptr_t{0}));
  RefPtr<Task> b = spawn("busy1", busy_loop, reinterpret_cast<void*>(uintptr_t{1}));
  KT_ASSERT(a && b);
  // Round robin: neither task ever gives the CPU up, so each turn the other
  // gets is a preemption. Wait (in ticks, generously) for several of each.
  constexpr uint64_t TURNS = 5;
  for (int i = 0; i < 6000; i++) {
    if (busy.turns[0].load(libk::MemoryOrder::Relaxed) >= TURNS &&
        busy.turns[1].load(libk::MemoryOrder::Relaxed) >= TURNS)
      break;
    KT_EXPECT(sched::sleep(1).ok());
  }
  KT_EXPECT(busy.turns[0].load(libk::MemoryOrder::Relaxed) >= TURNS);
  KT_EXPECT(busy.turns[1].load(libk::MemoryOrder::Relaxed) >= TURNS);
  busy.stop = true;
  KT_EXPECT(sched::join(*a).ok());
  KT_EXPECT(sched::join(*b).ok());
}

KTEST("sched.sleep_wakes_on_time") {
  // A sleep never ends early (by the clock). No upper bound: how soon the
  // sleeper runs again depends on the host, which the test does not control.
  uint64_t interval = timer::timebase_hz() / timer::TICK_HZ;
  for (uint64_t n : {1, 5, 10, 25}) {
    SleepRecord r{n, 0, 0};
    RefPtr<Task> t = spawn("timed", timed_sleeper, &r);
    KT_ASSERT(t);
    auto code = sched::join(*t);
    KT_EXPECT(code.ok() && code.value() == 0);
    uint64_t slept = r.after - r.before;
    if (slept < n * interval)
      ktest::fail(__FILE__, __LINE__, "sleep(%lu) took only %lu of %lu clock units", n, slept,
                  n * interval);
  }
}

KTEST("sched.join_deadline_and_self") {
  static WaitQueue wq;
  RefPtr<Task> t = spawn("blocked", block_forever, &wq);
  KT_ASSERT(t);
  KT_EXPECT_EQ(sched::join(*t, sched::after_ticks(3)).error(), ERR_TIMED_OUT);
  KT_EXPECT_EQ(sched::join(*sched::current()).error(), ERR_INVALID_ARGS);
  sched::kill(*t);
  KT_EXPECT(sched::join(*t).ok());
}

KTEST("sched.task_stack_has_guard_page") {
  FaultCatch c;
  Task* self = sched::current();
  KT_ASSERT(self->stack.allocated());
  KT_EXPECT(run_catching_faults(
      c, [](void* p) { (void)*static_cast<volatile uint64_t*>(p); },
      reinterpret_cast<void*>(self->stack.guard() + 128)));
  KT_EXPECT_EQ(c.scause, arch::EXC_LOAD_PAGE);
  // The test runner's own, and each secondary hart's idle task's.
  KT_EXPECT_EQ(kstack::stacks_in_use(), size_t{sched::harts_online()});
}

KTEST("sched.create_fails_cleanly_without_memory") {
  // Exhaust frames, then creating a task must fail with nothing left behind.
  uintptr_t head = 0;
  while (true) {
    auto r = pmm::alloc(0, pmm::FrameUse::Test);
    if (r.is_error()) break;
    *arch::phys_to_virt<uintptr_t>(r.value()) = head;
    head = r.value();
  }
  auto t = Task::create("doomed", never_runs, nullptr);
  KT_EXPECT_EQ(t.error(), ERR_NO_MEMORY);
  while (head) {
    uintptr_t next = *arch::phys_to_virt<uintptr_t>(head);
    pmm::free(head, 0, pmm::FrameUse::Test);
    head = next;
  }
}

// A deadline is a point of the clock: a tick delivered late (the host kept
// QEMU off the CPU, or interrupts were off) must not make a sleep end early.
// Each round holds interrupts off until most of an interval past a tick's
// due time, so that tick arrives late; a sleep of 5 ticks' worth must still
// last 5 intervals of the clock. Counted in ticks, it lasted about 4.2.
KTEST("sched.sleep_never_ends_early_after_a_late_tick") {
  uint64_t interval = timer::timebase_hz() / timer::TICK_HZ;
  for (int round = 0; round < 3; round++) {
    uint64_t irq = arch::irq_save();
    uint64_t until = timer::now() + interval + interval * 8 / 10;
    while (timer::now() < until) {
    }
    arch::irq_restore(irq);  // the late tick is taken here
    uint64_t start = timer::now();
    KT_ASSERT(sched::sleep(5).ok());
    uint64_t slept = timer::now() - start;
    KT_EXPECT(slept >= 5 * interval);
  }
}

// A task killed before it ever ran exits at once, while the task that
// created it may still hold a reference (until its create call returns) and
// wait, preempted, in the same hart's run queue. The exit must let that
// task run rather than spin for it with interrupts off (it once did, and
// panicked after a second: "exits holding 3 references to itself").
namespace {
struct CountingOwner final : TaskOwner {
  libk::Atomic<uint32_t> reaped;
  void task_exiting(Task&) override {}
  void task_reaped() override { reaped.fetch_add(1, libk::MemoryOrder::AcqRel); }
};
}  // namespace

KTEST("sched.exit_lets_a_reference_holder_on_its_hart_run") {
  static CountingOwner owner;
  Task* me = sched::current();
  bool was_pinned = me->pinned;
  arch::irq_disable();
  me->pinned = true;  // stay on this hart, with the task below
  arch::irq_enable();
  auto created = Task::create("killed-early", never_runs, nullptr);
  KT_ASSERT(created.ok());
  RefPtr<Task> mine = created.value();  // the creator's reference, held on
  mine->owner = &owner;
  mine->pinned = true;
  mine->hart = arch::this_cpu()->index;
  sched::kill(*mine, 7);
  sched::start(created.release_value());
  // It runs now, exits at once, and finds our reference: it must give way.
  for (int i = 0; i < 20; i++) sched::yield();
  KT_EXPECT_EQ(owner.reaped.load(libk::MemoryOrder::Acquire), 0u);  // still waiting for us
  mine.reset();
  uint64_t give_up = timer::now() + 60 * timer::timebase_hz();
  while (owner.reaped.load(libk::MemoryOrder::Acquire) == 0 && timer::now() < give_up)
    sched::yield();
  KT_EXPECT_EQ(owner.reaped.load(libk::MemoryOrder::Acquire), 1u);
  arch::irq_disable();
  me->pinned = was_pinned;
  arch::irq_enable();
}

// The state check's table, written out the long way: exactly Ready ->
// Running; Running -> Ready, Blocked, Dead; Blocked -> Ready are legal.
KTEST("sched.state_changes_allowed_are_exactly_the_five") {
  using S = Task::State;
  const S all[] = {S::Ready, S::Running, S::Blocked, S::Dead};
  for (S from : all)
    for (S to : all) {
      bool legal = (from == S::Ready && to == S::Running) ||
                   (from == S::Running && (to == S::Ready || to == S::Blocked || to == S::Dead)) ||
                   (from == S::Blocked && to == S::Ready);
      KT_EXPECT_EQ((Task::ALLOWED_CHANGES & task_state_change(from, to)) != 0, legal);
    }
}

// An illegal change is a kernel bug: it panics naming the task and both
// states (kernel-badstate: the panic line is expected).
KTEST("badstate.illegal_state_change_panics") {
  RefPtr<Task> t = KT_TRY(Task::create(
      "stateless", [](void*) { return 0; }, nullptr));
  KT_EXPECT(t->state() == Task::State::Ready);  // created, never started
  t->set_state(Task::State::Blocked);           // Ready -> Blocked: never legal
  KT_EXPECT(false);                             // unreachable
}

// A change from a known state (Task::change_state) panics the same way when
// the task is not in that state: Blocked -> Ready on a Ready task.
KTEST("badstate.change_from_the_wrong_state_panics") {
  RefPtr<Task> t = KT_TRY(Task::create(
      "stateless", [](void*) { return 0; }, nullptr));
  KT_EXPECT(t->state() == Task::State::Ready);
  t->change_state<Task::State::Blocked, Task::State::Ready>();  // it is Ready, not Blocked
  KT_EXPECT(false);                                             // unreachable
}
