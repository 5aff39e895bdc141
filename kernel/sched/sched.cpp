#include "sched.h"

#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <arch/spinlock.h>
#include <arch/timer.h>
#include <arch/tlb.h>
#include <keel/syscall.h>
#include <libk/owning_list.h>

#include <utility>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/kstat.h"
#include "sched/wait_queue.h"

namespace sched {
HartSched harts[arch::MAX_CPUS];

namespace {

WaitQueue exit_wq;  // joiners wait here for Task::EXIT_REAPED (only tests and bench join)
WaitQueue sleepers[arch::MAX_CPUS];  // sleeping tasks, woken only by their deadline

void insert_deadline(HartSched& hs, Task& t) {
  for (Task& other : hs.deadlines) {
    if (t.deadline < other.deadline) {
      hs.deadlines.insert_before(other, t);
      return;
    }
  }
  hs.deadlines.push_back(t);
}

unsigned index_of(const HartSched& hs) { return static_cast<unsigned>(&hs - harts); }

// Run queue changes, hart lock held (nready mirrors the length for others).
[[gnu::always_inline]] inline void push_ready(HartSched& hs, RefPtr<Task>&& t) {
  hs.ready.push_back(std::move(t));
  hs.nready.store(hs.nready.load(libk::MemoryOrder::Relaxed) + 1, libk::MemoryOrder::Relaxed);
}
[[gnu::always_inline]] inline RefPtr<Task> pop_ready(HartSched& hs) {
  RefPtr<Task> t = hs.ready.pop_front();
  if (t)
    hs.nready.store(hs.nready.load(libk::MemoryOrder::Relaxed) - 1, libk::MemoryOrder::Relaxed);
  return t;
}

// Interrupt another hart (an IPI): it re-checks its run queue and, if it was
// running a task, passes its preemption point (where a killed task leaves).
void interrupt_hart(const HartSched& hs) {
  if (arch::Cpu* c = arch::cpu(index_of(hs))) arch::sbi::send_ipi(c->hartid);
}

// Work was queued on hs (its lock held): an idle hart must notice.
void kick_locked(HartSched& hs) {
  // (A hand-over changes current without the lock, never to or from idle.)
  if (libk::AtomicRef(hs.current).load(libk::MemoryOrder::Relaxed) != hs.idle) return;
  hs.need_resched = true;
  if (&hs != &this_hart()) interrupt_hart(hs);
}

// Where a task that becomes ready should run: its last hart if that one is
// idle (its cache is warm), else an idle hart, else its last hart anyway
// (idle harts steal from busy ones). Hints only: wrong guesses cost time.
HartSched& place(const Task& t) {
  HartSched& last = harts[t.hart];
  if (!last.busy.load(libk::MemoryOrder::Relaxed) &&
      last.nready.load(libk::MemoryOrder::Relaxed) == 0)
    return last;
  if (t.pinned) return last;
  for (unsigned i = 0, n = arch::cpus_online(); i < n; i++) {
    HartSched& hs = harts[i];
    if (hs.online.load(libk::MemoryOrder::Acquire) && !hs.busy.load(libk::MemoryOrder::Relaxed) &&
        hs.nready.load(libk::MemoryOrder::Relaxed) == 0)
      return hs;
  }
  return last;
}

// An idle hart takes one ready task from another hart's run queue. Its own
// lock is not held (hart locks never nest); interrupts are off.
void steal(HartSched& me) {
  for (unsigned i = 0, n = arch::cpus_online(); i < n; i++) {
    HartSched& hs = harts[i];
    if (&hs == &me || hs.nready.load(libk::MemoryOrder::Relaxed) == 0) continue;
    if (!hs.lock.try_lock()) continue;
    RefPtr<Task> t;
    for (Task& cand : hs.ready) {
      if (cand.pinned) continue;
      t = hs.ready.remove(cand);
      t->inherit_slice = false;  // another hart's slice is not the waker's
      hs.nready.store(hs.nready.load(libk::MemoryOrder::Relaxed) - 1, libk::MemoryOrder::Relaxed);
      break;
    }
    hs.lock.unlock();
    if (!t) continue;
    libk::AtomicRef(t->hart).store(index_of(me), libk::MemoryOrder::Relaxed);
    me.lock.lock();
    push_ready(me, std::move(t));
    me.steals++;
    me.lock.unlock();
    return;
  }
}

// The task switched in finishes the switch: the task switched out is fully
// saved now (another hart may run it from here on), the hart lock is
// released and, if the previous task died, its stack freed and its last
// scheduler reference dropped.
void finish_switch(HartSched& hs) {
  Task* dead = hs.dead;
  if (Task* prev = hs.switched_out) {
    hs.switched_out = nullptr;
    prev->on_cpu.store(false, libk::MemoryOrder::Release);
  }
  // The dead task's stack goes while the task still sits in the dead slot
  // (under the hart lock): an audit on another hart sees it owned or gone.
  if (dead) dead->stack.release();
  hs.dead = nullptr;
  hs.lock.unlock();
  if (!dead) return;
  TaskOwner* owner = dead->owner;
  dead->owner = nullptr;
  // REAPED and the drop of the dead slot's reference happen together under
  // the exit queue's lock, under which join looks: a joiner (it holds a
  // reference of its own, so ours is not the last) returns only after both,
  // on whatever hart. If ours is the last, nobody joins: drop it after.
  bool last;
  {
    SpinGuard g(exit_wq.lock());
    dead->exit_flags.fetch_or(Task::EXIT_REAPED, libk::MemoryOrder::AcqRel);
    last = !dead->unref_unless_last();
    if (!last) exit_wq.wake_all_locked();
  }
  if (last) RefPtr<Task> drop = libk::adopt(dead);  // the dead slot's reference
  // Only now, with the stack and (most likely) the Task gone, may the owner
  // wake anyone (it may free itself: nothing touches it after).
  if (owner) owner->task_reaped();
}

// Switch to `next`, whose reference the caller moves into the current slot.
// Interrupts off, hs.lock held, and the current task's reference already
// moved to its next owner (run queue, wait queue or dead slot) unless it is
// the idle task. A fresh slice restarts the time slice; otherwise `next`
// runs on what is left of it (the IPC hand-over: the caller's time passes
// to the task it woke, and a pending end of slice stays pending).
arch::Context discarded[arch::MAX_CPUS];  // where a parked task's kernel context goes: nowhere

void switch_to(HartSched& hs, Task* next, bool fresh_slice, bool save_prev = true) {
  Task* prev = hs.current;
  if (next != hs.idle) next->set_state(Task::State::Running);  // idle is always Running
  hs.current = next;
  hs.busy.store(next != hs.idle, libk::MemoryOrder::Relaxed);
  if (fresh_slice) {
    hs.slice = TIME_SLICE_TICKS;
    hs.need_resched = false;
  }
  if (next != prev) {
    libk::AtomicRef(hs.switches).store(hs.switches + 1, libk::MemoryOrder::Relaxed);
    // Woken onto this hart while its last hart was still switching away
    // from it: wait until its context is saved (a few instructions there).
    while (next->on_cpu.load(libk::MemoryOrder::Acquire)) arch::tlb::serve();
    next->on_cpu.store(true, libk::MemoryOrder::Relaxed);
    hs.switched_out = prev;
    if (next->satp != prev->satp) arch::switch_satp(next->satp);  // kernel half in both
    arch::set_stack_bounds(next->stack_lo, next->stack_hi);
    if (save_prev) prev->context_parked = false;  // overwritten by this switch
    context_switch(save_prev ? &prev->context : &discarded[index_of(hs)], &next->context);
  }
  finish_switch(this_hart());  // this task's hart now: it may have moved
}

// Switch to the next ready task (or idle); same conditions. A task woken
// by IPC to run next takes over the rest of the slice, if any is left.
void reschedule(HartSched& hs, bool save_prev = true) {
  RefPtr<Task> next_ref = pop_ready(hs);
  Task* next = next_ref ? next_ref.leak_ref() : hs.idle;  // run queue's ref -> current slot
  bool fresh = !next->inherit_slice || hs.slice == 0;
  next->inherit_slice = false;
  switch_to(hs, next, fresh, save_prev);
}

}  // namespace

void run_idle() {
  for (;;) {
    arch::irq_disable();
    HartSched& hs = this_hart();
    if (hs.nready.load(libk::MemoryOrder::Relaxed) == 0) steal(hs);
    if (hs.nready.load(libk::MemoryOrder::Relaxed) != 0) {
      arch::irq_enable();
      yield();
      continue;
    }
    arch::wfi();         // wakes on a pending enabled interrupt even with SIE off
    arch::irq_enable();  // take it
  }
}

void init_this_hart(KernelStack* stack) {
  arch::this_cpu()->sched_hart = &harts[arch::this_cpu()->index];
  HartSched& hs = this_hart();
  uintptr_t lo = arch::this_cpu()->stack_lo, hi = arch::this_cpu()->stack_hi;
  auto idle = Task::adopt_running_context("idle", lo, hi);
  if (idle.is_error()) panic("sched: no memory for the idle task");
  hs.idle = idle.release_value().leak_ref();  // the hart's reference, never dropped
  if (stack) hs.idle->stack.take_from(*stack);
  hs.idle->hart = index_of(hs);
  hs.idle->pinned = true;
  hs.idle->on_cpu.store(true, libk::MemoryOrder::Relaxed);
  hs.current = hs.idle;
  hs.online.store(true, libk::MemoryOrder::Release);
  kstat::add(kstat::Counter::harts_online, 1);
}

void on_ipi() {
  HartSched& hs = this_hart();
  hs.lock.lock();
  if (hs.current != hs.idle || hs.nready.load(libk::MemoryOrder::Relaxed)) hs.need_resched = true;
  hs.lock.unlock();
}

unsigned harts_online() {
  unsigned n = 0;
  for (unsigned i = 0, c = arch::cpus_online(); i < c; i++)
    n += harts[i].online.load(libk::MemoryOrder::Acquire);
  return n;
}

uint64_t ticks() { return libk::AtomicRef(this_hart().ticks).load(libk::MemoryOrder::Relaxed); }
uint64_t context_switches() {
  uint64_t n = 0;
  for (unsigned i = 0, c = arch::cpus_online(); i < c; i++)
    n += libk::AtomicRef(harts[i].switches).load(libk::MemoryOrder::Relaxed);
  return n;
}

void make_ready(RefPtr<Task>&& task) {
  uint64_t irq = arch::irq_save();
  HartSched& hs = place(*task);  // off every queue: its hart may change
  libk::AtomicRef(task->hart).store(index_of(hs), libk::MemoryOrder::Relaxed);
  hs.lock.lock();
  push_ready(hs, std::move(task));
  kick_locked(hs);
  hs.lock.unlock();
  arch::irq_restore(irq);
}

void make_ready_next(RefPtr<Task>&& task) {
  uint64_t irq = arch::irq_save();
  HartSched& me = this_hart();
  HartSched* hs = &harts[task->hart];
  if (!task->pinned) {
    // An idle hart runs it at once; otherwise this one, next.
    HartSched& p = place(*task);
    bool idle =
        !p.busy.load(libk::MemoryOrder::Relaxed) && p.nready.load(libk::MemoryOrder::Relaxed) == 0;
    hs = idle ? &p : &me;
  }
  libk::AtomicRef(task->hart).store(index_of(*hs), libk::MemoryOrder::Relaxed);
  hs->lock.lock();
  if (hs == &me && hs->current != hs->idle) {
    task->inherit_slice = true;
    hs->ready.push_front(std::move(task));
    hs->nready.store(hs->nready.load(libk::MemoryOrder::Relaxed) + 1, libk::MemoryOrder::Relaxed);
  } else {
    push_ready(*hs, std::move(task));
  }
  kick_locked(*hs);
  hs->lock.unlock();
  arch::irq_restore(irq);
}

void start(RefPtr<Task>&& task) {
  uint64_t irq = arch::irq_save();
  // The least loaded hart, this one first on a tie.
  HartSched* best = &this_hart();
  if (!task->pinned) {
    auto load = [](const HartSched& h) {
      return h.nready.load(libk::MemoryOrder::Relaxed) + h.busy.load(libk::MemoryOrder::Relaxed);
    };
    uint32_t best_load = load(*best);
    for (unsigned i = 0, n = arch::cpus_online(); i < n && best_load; i++) {
      HartSched& h = harts[i];
      if (h.online.load(libk::MemoryOrder::Acquire) && load(h) < best_load) {
        best = &h;
        best_load = load(h);
      }
    }
  } else {
    best = &harts[task->hart];
  }
  HartSched& hs = *best;
  libk::AtomicRef(task->hart).store(index_of(hs), libk::MemoryOrder::Relaxed);
  hs.lock.lock();
  push_ready(hs, std::move(task));  // Ready from creation
  kick_locked(hs);
  hs.lock.unlock();
  arch::irq_restore(irq);
}

void yield() {
  if (lockdebug::enabled) lockdebug::check_may_block(nullptr);
  uint64_t irq = arch::irq_save();
  HartSched& hs = this_hart();
  hs.lock.lock();
  if (hs.ready.empty()) {
    hs.need_resched = false;
    hs.slice = TIME_SLICE_TICKS;
    hs.lock.unlock();
    arch::irq_restore(irq);
    return;
  }
  Task* cur = hs.current;
  if (cur != hs.idle) {
    cur->set_state(Task::State::Ready);
    push_ready(hs, libk::adopt(cur));  // current slot's reference -> run queue
  }
  reschedule(hs);
  arch::irq_restore(irq);
}

void block_current(Deadline deadline, Spinlock& queue_lock, Task* next) {
  HartSched& hs = this_hart();
  hs.lock.lock();
  Task* cur = hs.current;
  KASSERT(cur->hart == index_of(hs));  // its deadline goes on the list cancel_deadline looks in
  if (!deadline.is_never()) {
    cur->deadline = deadline.time();
    insert_deadline(hs, *cur);
  } else {
    cur->deadline = 0;  // cancel_deadline need not look
  }
  queue_lock.raw_unlock();  // interrupts stay off until we run again
  if (!next) return reschedule(hs);
  // The direct switch: `next` is off every queue and ours to run here.
  libk::AtomicRef(next->hart).store(index_of(hs), libk::MemoryOrder::Relaxed);
  switch_to(hs, next, hs.slice == 0);
}

void park_current(Spinlock& queue_lock, Task* next) {
  HartSched& hs = this_hart();
  hs.lock.lock();
  hs.current->deadline = 0;
  queue_lock.raw_unlock();
  if (next) {
    libk::AtomicRef(next->hart).store(index_of(hs), libk::MemoryOrder::Relaxed);
    switch_to(hs, next, hs.slice == 0, false);
  } else {
    reschedule(hs, false);
  }
  panic("sched: a parked task came back through its old kernel frames");
}

void finish_switch_in() { finish_switch(this_hart()); }

void cancel_deadline(Task& t) {
  if (!t.deadline) return;  // blocked without one (set before it joined its wait queue)
  HartSched& hs = harts[t.hart];
  hs.lock.lock();
  if (t.timer_node.linked()) hs.deadlines.remove(t);
  hs.lock.unlock();
}

Deadline after_ticks(uint64_t n) {
  uint64_t interval = timer::timebase_hz() / timer::TICK_HZ;
  return Deadline::at(timer::now() + n * interval);
}

libk::Result<void> sleep(uint64_t n) { return sleep_until(after_ticks(n ? n : 1)); }

libk::Result<void> sleep_until(Deadline deadline) {
  WaitQueue& wq = sleepers[arch::this_cpu()->index];
  SpinGuard g(wq.lock());
  auto r = wq.block_locked(deadline);
  if (r.error() == ERR_TIMED_OUT) return libk::ok();  // the normal end of a sleep
  return r;
}

void wait_out_queue_lookups(Task& self) {
  // Pairs with the fence kill and on_tick make after counting themselves in:
  // either they read waiting_on after it was cleared (by our waker, or by
  // us), or we see them here and wait until they let go of the queue.
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  while (self.queue_lookups.load(libk::MemoryOrder::Acquire) != 0) arch::tlb::serve();
}

void (*kill_lookup_hook_for_test)(Task& t) = nullptr;

void kill(Task& t, int64_t code) {
  t.request_exit(code);
  // From reading waiting_on until the queue's lock is let go, t's queue
  // must not be freed: t counts us in queue_lookups and, once off the
  // queue, waits for us (wait_out_queue_lookups). Interrupts stay off
  // meanwhile, so it never waits on a killer preempted on its own hart.
  uint64_t irq = arch::irq_save();
  t.queue_lookups.fetch_add(1, libk::MemoryOrder::Relaxed);
  // Pairs with block_locked's re-check and with wait_out_queue_lookups.
  libk::atomic_fence(libk::MemoryOrder::SeqCst);
  // A blocked task is taken out of its wait queue and made ready at once.
  bool woken = false;
  for (;;) {
    WaitQueue* wq = t.waiting_on.load(libk::MemoryOrder::Acquire);
    if (!wq) break;
    if (kill_lookup_hook_for_test) kill_lookup_hook_for_test(t);
    SpinGuard g(wq->lock());
    if (t.waiting_on.load(libk::MemoryOrder::Relaxed) != wq)
      continue;  // woken meanwhile: look again
    wq->wake_task_locked(t, ERR_INTERRUPTED);
    woken = true;
    break;
  }
  t.queue_lookups.fetch_sub(1, libk::MemoryOrder::Release);
  arch::irq_restore(irq);
  if (woken) return;
  // Running on another hart (perhaps in user mode, where it would otherwise
  // run on to its next tick): interrupt it, so it passes its preemption
  // point, where a killed task leaves. Ready: it leaves when it next runs.
  // Just taken off its queue by an IPC hand-over (still Blocked, about to
  // run in user mode): it leaves at its next trap, within a tick.
  unsigned h = libk::AtomicRef(t.hart).load(libk::MemoryOrder::Relaxed);  // a hint
  if (t.state() == Task::State::Running && h < arch::MAX_CPUS && &harts[h] != &this_hart())
    interrupt_hart(harts[h]);
}

bool current_killed() { return current()->kill_requested(); }

uint32_t activity(const Task& t) {
  switch (t.state()) {
    case Task::State::Running:
      return KEEL_ACTIVITY_RUNNING;
    case Task::State::Ready:
      return KEEL_ACTIVITY_READY;
    case Task::State::Blocked: {
      WaitQueue* wq = t.waiting_on.load(libk::MemoryOrder::Relaxed);
      bool asleep = wq >= &sleepers[0] && wq < &sleepers[arch::MAX_CPUS];
      return asleep ? KEEL_ACTIVITY_SLEEPING : KEEL_ACTIVITY_BLOCKED;
    }
    case Task::State::Dead:
      break;
  }
  return KEEL_ACTIVITY_NONE;
}

libk::Result<int64_t> join(Task& t, Deadline deadline) {
  if (&t == current()) return libk::err(ERR_INVALID_ARGS);
  SpinGuard g(exit_wq.lock());  // see finish_switch
  while (!(t.exit_flags.load(libk::MemoryOrder::Acquire) & Task::EXIT_REAPED))
    TRY(exit_wq.block_locked(deadline));
  return t.exit_code();
}

void exit_current(int64_t code) {
  Task* cur = current();
  cur->exit_code_ = code;  // the owner's exit hook reads it
  bool owned = cur->owner != nullptr;
  if (owned) cur->owner->task_exiting(*cur);  // the last task of a process tears it down
  KASSERT(cur != idle_task());
  // Another task may hold a momentary reference to this one: the tick
  // waking an expired deadline pins the task it looks at, a task closing a
  // task handle drops its count and its reference one after the other, and
  // the task that created this one holds a reference until its create call
  // returns (a task killed before it ever ran exits at once, perhaps while
  // its creator, preempted, waits in this very hart's run queue). Wait it
  // out, boundedly, letting this hart run others meanwhile. A reference the
  // exiting frames still hold never goes and panics below.
  auto expected = [cur] { return 1 + cur->handle_refs.load(libk::MemoryOrder::Acquire); };
  if (owned) {
    uint64_t give_up = timer::now() + timer::timebase_hz();
    while (cur->ref_count() != expected() && timer::now() < give_up) yield();
  }
  arch::irq_disable();
  HartSched& hs = this_hart();
  hs.lock.lock();
  cur->set_state(Task::State::Dead);
  // The exit path holds raw pointers only: the one reference left to drop
  // is the current slot's, which moves to the dead slot here. A process's
  // task has no other owner once its process let go of it (exit hook) but
  // its task handles, so its count must be exactly 1 + handle_refs: a
  // reference still held by the exiting frames would show here. Kernel
  // tasks may also be held by joiners.
  KASSERT(!cur->sched_node.linked() && !cur->timer_node.linked());
  if (owned && cur->ref_count() != expected())
    panic("task %lu exits holding %u references to itself (expected %u)", cur->tid(),
          cur->ref_count(), expected());
  KASSERT(cur->ref_count() >= 1);
  hs.dead = cur;
  reschedule(hs);
  panic("sched: dead task %lu was switched back in", cur->tid());
}

void task_main(uint64_t task, uint64_t) {
  Task* self = reinterpret_cast<Task*>(task);
  finish_switch(this_hart());
  arch::irq_enable();
  int64_t code = self->kill_requested() ? self->exit_code() : self->entry(self->arg);
  exit_current(code);
}

void on_tick() {
  HartSched& hs = this_hart();
  hs.lock.lock();
  hs.ticks++;
  uint64_t now = timer::now();
  while (Task* t = hs.deadlines.front()) {
    if (t->deadline > now) break;
    hs.deadlines.remove(*t);
    // As in kill: counted in queue_lookups until the queue's lock is let go.
    // (t is still there to count in: a waker makes it ready only after
    // cancelling its deadline, which needs the hart lock we hold.)
    t->queue_lookups.fetch_add(1, libk::MemoryOrder::Relaxed);
    libk::atomic_fence(libk::MemoryOrder::SeqCst);
    WaitQueue* wq = t->waiting_on.load(libk::MemoryOrder::Relaxed);
    if (!wq) {  // being woken elsewhere right now: its waker cancels the deadline
      t->queue_lookups.fetch_sub(1, libk::MemoryOrder::Release);
      continue;
    }
    RefPtr<Task> pin(t);  // keeps t addressable while no lock is held
    hs.lock.unlock();
    wq->lock().raw_relock(0);
    if (t->waiting_on.load(libk::MemoryOrder::Relaxed) == wq)
      wq->wake_task_locked(*t, ERR_TIMED_OUT);
    wq->lock().raw_unlock();
    t->queue_lookups.fetch_sub(1, libk::MemoryOrder::Release);
    hs.lock.lock();
  }
  if (hs.slice > 0) hs.slice--;
  if (hs.slice == 0 && !hs.ready.empty()) hs.need_resched = true;
  hs.lock.unlock();
}

void for_each_scheduled_task(void (*fn)(void*, Task&), void* ctx) {
  uint64_t irq = arch::irq_save();
  for (HartSched& hs : harts) {
    if (!hs.idle) continue;
    hs.lock.lock();
    fn(ctx, *hs.idle);
    Task* cur = libk::AtomicRef(hs.current).load(libk::MemoryOrder::Relaxed);  // see hand_over
    if (cur && cur != hs.idle) fn(ctx, *cur);
    if (hs.dead) fn(ctx, *hs.dead);
    for (Task& t : hs.ready) fn(ctx, t);
    hs.lock.unlock();
  }
  arch::irq_restore(irq);
}

void report_current() {
  Task* t = current();
  if (t)
    kprintf("task: %lu (%s)\n", t->tid(), t->name());
  else
    kprintf("task: none\n");
}

void preempt_if_needed() {
  HartSched& hs = this_hart();
  if (hs.need_resched) yield();
}

}  // namespace sched
