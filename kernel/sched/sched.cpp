#include "sched.h"

#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/spinlock.h>
#include <arch/timer.h>
#include <libk/owning_list.h>

#include <utility>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "sched/wait_queue.h"

namespace sched {
HartSched harts[arch::MAX_HARTS];

namespace {

WaitQueue exit_wq;  // joiners wait here for Task::EXIT_REAPED (only tests and bench join)
WaitQueue sleepers[arch::MAX_HARTS];  // sleeping tasks, woken only by their deadline

void insert_deadline(HartSched& hs, Task& t) {
  for (Task& other : hs.deadlines) {
    if (t.deadline < other.deadline) {
      hs.deadlines.insert_before(other, t);
      return;
    }
  }
  hs.deadlines.push_back(t);
}

// The task switched in finishes the switch: release the hart lock and, if
// the previous task died, free its stack and drop its last scheduler reference.
void finish_switch(HartSched& hs) {
  Task* dead = hs.dead;
  hs.dead = nullptr;
  hs.lock.unlock();
  if (!dead) return;
  dead->stack.release();
  // Either join's fetch_or comes first and we wake its caller (under the
  // queue lock, which it holds from its check of REAPED until it is on the
  // queue), or ours does and join sees REAPED. Never joined: no lock.
  if (dead->exit_flags.fetch_or(Task::EXIT_REAPED, libk::MemoryOrder::AcqRel) & Task::EXIT_JOINED) {
    SpinGuard g(exit_wq.lock());
    exit_wq.wake_all_locked();
  }
  RefPtr<Task> last = libk::adopt(dead);  // the dead slot's reference, dropped here
}

// Switch to the next ready task (or idle). Interrupts off, hs.lock held, and
// the current task's reference already moved to its next owner (run queue,
// wait queue or dead slot) unless it is the idle task.
void reschedule(HartSched& hs) {
  Task* prev = hs.current;
  RefPtr<Task> next_ref = hs.ready.pop_front();
  Task* next = next_ref ? next_ref.leak_ref() : hs.idle;       // run queue's ref -> current slot
  if (next != hs.idle) next->set_state(Task::State::Running);  // idle is always Running
  hs.current = next;
  hs.slice = TIME_SLICE_TICKS;
  hs.need_resched = false;
  if (next != prev) {
    hs.switches++;
    if (next->satp != prev->satp) {  // the kernel half is in both: safe to switch here
      arch::w_satp(next->satp);
      arch::sfence_vma();
    }
    arch::set_stack_bounds(next->stack_lo, next->stack_hi);
    context_switch(&prev->context, &next->context);
  }
  finish_switch(this_hart());  // possibly on another hart's HartSched after migration (none yet)
}

}  // namespace

void run_idle() {
  for (;;) {
    arch::irq_disable();
    HartSched& hs = this_hart();
    if (!hs.ready.empty()) {
      arch::irq_enable();
      yield();
      continue;
    }
    arch::wfi();         // wakes on a pending enabled interrupt even with SIE off
    arch::irq_enable();  // take it
  }
}

void init_this_hart() {
  HartSched& hs = this_hart();
  uintptr_t lo, hi;
  arch::boot_stack_bounds(&lo, &hi);
  auto idle = Task::adopt_running_context("idle", lo, hi);
  if (idle.is_error()) panic("sched: no memory for the idle task");
  hs.idle = idle.release_value().leak_ref();  // the hart's reference, never dropped
  hs.idle->hart = static_cast<uint32_t>(arch::this_cpu()->hartid);
  hs.current = hs.idle;
}

Task* idle_task() { return this_hart().idle; }
uint64_t ticks() { return libk::AtomicRef(this_hart().ticks).load(libk::MemoryOrder::Relaxed); }
uint64_t context_switches() { return this_hart().switches; }

void make_ready(RefPtr<Task>&& task) {
  HartSched& hs = harts[task->hart];
  uint64_t irq = arch::irq_save();
  hs.lock.lock();
  task->set_state(Task::State::Ready);
  hs.ready.push_back(std::move(task));
  if (hs.current == hs.idle) hs.need_resched = true;
  hs.lock.unlock();
  arch::irq_restore(irq);
}

void start(RefPtr<Task>&& task) {
  HartSched& hs = this_hart();
  task->hart = static_cast<uint32_t>(arch::this_cpu()->hartid);
  uint64_t irq = arch::irq_save();
  hs.lock.lock();
  hs.ready.push_back(std::move(task));  // Ready from creation
  if (hs.current == hs.idle) hs.need_resched = true;
  hs.lock.unlock();
  arch::irq_restore(irq);
}

void yield() {
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
    hs.ready.push_back(libk::adopt(cur));  // current slot's reference -> run queue
  }
  reschedule(hs);
  arch::irq_restore(irq);
}

void block_current(Deadline deadline, Spinlock& queue_lock) {
  HartSched& hs = this_hart();
  hs.lock.lock();
  Task* cur = hs.current;
  if (!deadline.is_never()) {
    cur->deadline = deadline.time();
    insert_deadline(hs, *cur);
  }
  queue_lock.raw_unlock();  // interrupts stay off until we run again
  reschedule(hs);
}

void cancel_deadline(Task& t) {
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
  WaitQueue& wq = sleepers[arch::this_cpu()->hartid];
  SpinGuard g(wq.lock());
  auto r = wq.block_locked(deadline);
  if (r.error() == ERR_TIMED_OUT) return libk::ok();  // the normal end of a sleep
  return r;
}

void kill(Task& t) {
  t.request_kill();
  libk::atomic_fence(libk::MemoryOrder::SeqCst);  // pairs with block_locked's re-check
  // A blocked task is taken out of its wait queue and made ready at once.
  for (;;) {
    WaitQueue* wq = t.waiting_on.load(libk::MemoryOrder::Acquire);
    if (!wq) return;
    SpinGuard g(wq->lock());
    if (t.waiting_on.load(libk::MemoryOrder::Relaxed) != wq)
      continue;  // woken meanwhile: look again
    wq->wake_task_locked(t, ERR_INTERRUPTED);
    return;
  }
}

bool current_killed() { return current()->kill_requested(); }

libk::Result<int> join(Task& t, Deadline deadline) {
  if (&t == current()) return libk::err(ERR_INVALID_ARGS);
  if (t.exit_flags.fetch_or(Task::EXIT_JOINED, libk::MemoryOrder::AcqRel) & Task::EXIT_REAPED)
    return t.exit_code();
  SpinGuard g(exit_wq.lock());
  while (!(t.exit_flags.load(libk::MemoryOrder::Acquire) & Task::EXIT_REAPED))
    TRY(exit_wq.block_locked(deadline));
  return t.exit_code();
}

void exit_current(int code) {
  Task* cur = current();
  bool owned = cur->owner != nullptr;
  if (owned) cur->owner->task_exiting(*cur);  // the last task of a process tears it down
  arch::irq_disable();
  HartSched& hs = this_hart();
  KASSERT(cur != hs.idle);
  cur->exit_code_ = code;
  hs.lock.lock();
  cur->set_state(Task::State::Dead);
  // The exit path holds raw pointers only: the one reference left to drop
  // is the current slot's, which moves to the dead slot here. A process's
  // task has no other owner once its process let go of it (exit hook), so
  // its count must be exactly 1: a reference still held by the exiting
  // frames would show here. Kernel tasks may also be held by joiners.
  KASSERT(!cur->sched_node.linked() && !cur->timer_node.linked());
  if (owned && cur->ref_count() != 1)
    panic("task %lu exits holding %u references to itself (expected 1)", cur->tid(),
          cur->ref_count());
  KASSERT(cur->ref_count() >= 1);
  hs.dead = cur;
  reschedule(hs);
  panic("sched: dead task %lu was switched back in", cur->tid());
}

void task_main(uint64_t task, uint64_t) {
  Task* self = reinterpret_cast<Task*>(task);
  finish_switch(this_hart());
  arch::irq_enable();
  int code = self->kill_requested() ? -1 : self->entry(self->arg);
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
    WaitQueue* wq = t->waiting_on.load(libk::MemoryOrder::Relaxed);
    if (!wq) continue;    // being woken elsewhere right now: its waker cancels the deadline
    RefPtr<Task> pin(t);  // keeps t addressable while no lock is held
    hs.lock.unlock();
    wq->lock().raw_relock(0);
    if (t->waiting_on.load(libk::MemoryOrder::Relaxed) == wq)
      wq->wake_task_locked(*t, ERR_TIMED_OUT);
    wq->lock().raw_unlock();
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
    if (hs.current && hs.current != hs.idle) fn(ctx, *hs.current);
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
