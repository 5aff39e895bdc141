// The scheduler: per-hart run queues, an idle task per hart, preemptive
// round robin on the timer tick, sleeping, killing and joining.
//
// Every hart has its own state (no global "current"): a run queue, the
// current slot, the idle task and a dead slot, behind one per-hart lock that
// is handed across a context switch (taken by the task switching out,
// released by the one switching in). SMP adds harts, not a rewrite.
//
// Killing is a request plus a wake-up: the victim is taken out of whatever
// wait queue owns it and made ready; every block returns ERR_INTERRUPTED to
// it from then on, so it unwinds its own frames (dropping every reference
// they hold) and exits. Its stack and scheduler reference are freed by the
// next task after its final switch. join() returns only after that.
#pragma once
#include <arch/tlb.h>
#include <libk/result.h>
#include <stdint.h>

#include <utility>

#include "sched/deadline.h"
#include "sched/hart_sched.h"
#include "sched/task.h"

namespace sched {

// The boot flow of this hart becomes its idle task (owning `stack`, the
// one it runs on, if given: a secondary hart's).
void init_this_hart(KernelStack* stack = nullptr);
// The idle task's loop: run whatever is ready, otherwise wait for interrupts.
[[noreturn]] void run_idle();

inline Task* current() { return this_hart().current; }
inline Task* idle_task() { return this_hart().idle; }  // this hart's
uint64_t ticks();                                      // scheduler ticks on this hart since boot

// Make a new task runnable: its creator's reference moves into the run queue
// (keep a copy first to join or kill it).
void start(RefPtr<Task>&& task);
void yield();
// Sleep for at least n ticks' worth of time. ERR_INTERRUPTED if the task is
// killed meanwhile.
libk::Result<void> sleep(uint64_t n);
// The deadline n ticks' worth of time from now (on the clock, not the tick count).
Deadline after_ticks(uint64_t n);
// Sleep until the deadline (Deadline::never(): until killed).
libk::Result<void> sleep_until(Deadline deadline);
// Ask a task to die (see above) with exit code `code` (the first request's
// code wins). Safe in any state, idempotent.
void kill(Task& task, int64_t code = -1);
bool current_killed();
// What a task is doing, as keel_activity (a hint: it may change at once).
uint32_t activity(const Task& task);
// Wait until `task` is dead and its stack freed; its exit code.
// Past the deadline: ERR_TIMED_OUT.
libk::Result<int64_t> join(Task& task, Deadline deadline = Deadline::never());

// The timer interrupt's handler (wakes expired deadlines, ends slices).
void on_tick();
// The IPI handler: another hart queued work here or asked a task here to die.
void on_ipi();
// Harts whose scheduler runs (kstat's harts_online).
unsigned harts_online();
// The preemption point after an interrupt taken in kernel mode.
void preempt_if_needed();
// Print "task: <tid> (<name>)" for fatal reports.
void report_current();
// This hart's current task should give way.
inline bool need_resched() { return this_hart().need_resched; }

// The end of the current task. Only for frames that hold no counted
// reference (task_main after entry returned, the return-to-user path): the
// one reference left, the current slot's, moves to the dead slot and the
// next task drops it after the switch.
[[noreturn]] void exit_current(int64_t code);

// Entry of every new task (through task_start): runs entry(arg), then exits.
[[noreturn]] void task_main(uint64_t task, uint64_t unused);

// --- for WaitQueue (wait_queue.cpp) ---
// Block the current task, whose reference the caller has already moved into
// the wait queue whose lock it holds, until the deadline. That lock is
// released once the hart lock is held. Interrupts are off.
// With `next` (a reference the caller moves in: a task off every queue),
// switch straight to it rather than to the next ready task, on what is left
// of the time slice (the IPC fast path).
void block_current(Deadline deadline, Spinlock& queue_lock, Task* next = nullptr);
// Parking (the register IPC wait; the caller set the current task's context
// to where it resumes and moved its reference into the wait queue whose
// lock it holds, as for block_current, with no deadline):
// Give the hart from `cur` (hs.current) to `next` (a parked task taken off its wait queue, still
// Blocked: WaitQueue::take_blocked_locked; it goes to Running here), whose
// `hart` already names this one: the fast path takes no other;
// its reference moves to the current slot) without a kernel context
// switch: the caller returns next's trap frame to the assembly, which
// resumes it in user mode and then clears the parked task's on_cpu. The
// queue lock (which guards no device) is released. Interrupts off.
// It takes no hart lock: of what that lock guards it changes only
// `current`, which only this hart writes, from one task that is not idle to
// another (what kick_locked asks). Both tasks are ours: the current one is
// parked, and a waker that makes it ready here or elsewhere before it is off
// this stack waits for its on_cpu, as after any switch.
[[gnu::always_inline]] inline void hand_over(HartSched& hs, Task* cur, Spinlock& queue_lock,
                                             Task* next, bool debug = lockdebug::enabled) {
  cur->deadline = 0;
  queue_lock.raw_unlock(debug, Spinlock::Release::MemoryOnly);
  next->change_state_through<Task::State::Blocked, Task::State::Ready, Task::State::Running>(debug);
  libk::AtomicRef(hs.current).store(next, libk::MemoryOrder::Relaxed);
  libk::AtomicRef(hs.switches).store(hs.switches + 1, libk::MemoryOrder::Relaxed);
  while (next->on_cpu.load(libk::MemoryOrder::Acquire)) arch::tlb::serve();
  next->on_cpu.store(true, libk::MemoryOrder::Relaxed);
  if (next->satp != cur->satp) arch::switch_satp_fast(next->satp);
  arch::set_stack_bounds(next->stack_lo, next->stack_hi);
}
// Switch away for good (the parked context is where this task resumes):
// to `next` if given, else to the next ready task.
[[noreturn]] void park_current(Spinlock& queue_lock, Task* next);
// First thing a task resumed at a fresh entry does (a parked task's): the
// switch-in half of the scheduler's protocol.
void finish_switch_in();
// For a task that published waiting_on and is off that queue again (woken,
// or gone back because it is being killed), before it may drop what keeps
// the queue alive (a channel endpoint, a process): wait until no hart is
// still about to lock that queue through a waiting_on it read earlier
// (kill, on_tick). Hold no spinlock a killer could need (the queue's).
void wait_out_queue_lookups(Task& self);
// Test hook: called by kill with the task's wait queue just read from
// waiting_on, before it takes that queue's lock (interrupts off).
extern void (*kill_lookup_hook_for_test)(Task& t);
// Make a task ready (state Ready already) with the reference moved out of a wait queue.
void make_ready(RefPtr<Task>&& task);
// The same for a task woken by IPC: it runs next, on an idle hart if there
// is one, else first in this hart's run queue on the rest of this slice.
void make_ready_next(RefPtr<Task>&& task);

// A task taken off a wait queue to run next (a reader a short message was
// handed to): whoever holds it may switch to it directly when it blocks
// (WaitQueue::block_locked); otherwise it is made ready when this ends.
class Successor {
 public:
  Successor() = default;
  explicit Successor(RefPtr<Task>&& t) : task_(std::move(t)) {}
  Successor(Successor&&) = default;
  Successor& operator=(Successor&& o) {
    if (task_) make_ready_next(std::move(task_));
    task_ = o.take();
    return *this;
  }
  ~Successor() {
    if (task_) make_ready_next(std::move(task_));
  }
  explicit operator bool() const { return static_cast<bool>(task_); }
  RefPtr<Task> take() { return std::move(task_); }

 private:
  RefPtr<Task> task_;
};
void cancel_deadline(Task& task);

// Every task the schedulers own directly (idle, current, dead slot, run
// queues), for the audit. Interrupts off while it runs.
void for_each_scheduled_task(void (*fn)(void* ctx, Task& t), void* ctx);

// Counters for tests: context switches on every hart since boot.
uint64_t context_switches();

}  // namespace sched
