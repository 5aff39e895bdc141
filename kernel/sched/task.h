// Task: a kernel thread of control with its own kernel stack.
//
// Ownership (who holds the counted references to a Task):
//   - Ready:   exactly one run queue (HartSched::ready)
//   - Running: its hart's current slot (HartSched::current)
//   - Blocked: exactly one wait queue (WaitQueue::waiters_); for the few
//              instructions of an IPC hand-over, the hart that took it off
//              (WaitQueue::take_blocked_locked), until it makes it Running
//              (sched::hand_over) or Ready
//   - Dead:    the hart's dead slot until the next task has switched in,
//              which frees the stack and drops that reference
// A state change *moves* that one reference (OwningList makes copying it
// impossible). Anyone else who wants the Task to stay addressable (its
// creator, a joiner) holds a RefPtr of their own; none of them can keep its
// stack alive: the stack is freed the moment the task is dead and switched
// away from. The idle task is the exception: its hart owns it for ever and
// its count never changes.
#pragma once
#include <arch/context.h>
#include <keel/status.h>
#include <libk/atomic.h>
#include <libk/list.h>
#include <libk/refptr.h>
#include <libk/result.h>
#include <stdint.h>

#include "lib/ref.h"
#include "mm/kstack.h"
#include "mm/slab.h"

class WaitQueue;
class Task;

// Whoever a task works for (a process, in the object layer): told first
// thing in the task's exit path, so it can let go of the task and tear
// itself down after its last one; and told again once the task is gone
// for good (switched away from for the last time, stack freed, on whatever
// hart it died), so that waiters are woken only when nothing of any of its
// tasks is left but the Task records. The scheduler knows nothing else of it.
class TaskOwner {
 public:
  virtual void task_exiting(Task& task) = 0;
  // Interrupts off, no scheduler lock held; the task's scheduler reference
  // is already dropped.
  virtual void task_reaped() = 0;

 protected:
  ~TaskOwner() = default;
};

// Bit (from * 4 + to) of a task state change (Task::ALLOWED_CHANGES).
template <typename S>
constexpr uint16_t task_state_change(S from, S to) {
  return static_cast<uint16_t>(1u << (static_cast<unsigned>(from) * 4 + static_cast<unsigned>(to)));
}

class Task final : public libk::RefCounted<Task> {
 public:
  enum class State : uint8_t { Ready, Running, Blocked, Dead };
  // Legal changes, bit (from * 4 + to): Ready -> Running; Running -> Ready,
  // Blocked, Dead; Blocked -> Ready.
  static constexpr uint16_t ALLOWED_CHANGES = task_state_change(State::Ready, State::Running) |
                                              task_state_change(State::Running, State::Ready) |
                                              task_state_change(State::Running, State::Blocked) |
                                              task_state_change(State::Running, State::Dead) |
                                              task_state_change(State::Blocked, State::Ready);
  using Entry = int (*)(void* arg);  // the return value is the exit code

  // A new task, not yet runnable: hand it to sched::start to start it. A user
  // task keeps the top of its kernel stack for its user trap frame.
  static libk::Result<RefPtr<Task>> create(const char* name, Entry entry, void* arg,
                                           bool user = false);
  // The task that stands for an already running context (a hart's boot
  // flow, which becomes its idle task). It has no stack of its own.
  static libk::Result<RefPtr<Task>> adopt_running_context(const char* name, uintptr_t stack_lo,
                                                          uintptr_t stack_hi);

  uint64_t tid() const { return tid_; }
  // Called by RefCounted when the count reaches zero.
  void on_last_unref() { destroy(); }
  const char* name() const { return name_; }
  State state() const { return state_.load(libk::MemoryOrder::Acquire); }
  // Checked transition (ALLOWED_CHANGES): an illegal one is a kernel bug
  // and panics.
  [[gnu::always_inline]] void set_state(State next) {
    // Whoever changes the state owns the task at that moment (holds the lock
    // of the queue or slot that owns it, or has it off every queue: the IPC
    // hand-over), and that lock ordered the last change before this one: the
    // read needs no ordering of its own.
    State cur = state_.load(libk::MemoryOrder::Relaxed);
    if (!((ALLOWED_CHANGES >> (static_cast<unsigned>(cur) * 4 + static_cast<unsigned>(next))) & 1))
      illegal_state_change(cur, next);
    state_.store(next, libk::MemoryOrder::Release);
  }
  // The same where the caller knows the state it changes from (it owns the
  // task in that state: a wait queue's task is Blocked): the change is
  // checked against ALLOWED_CHANGES at compile time, and only the starting
  // state at run time (one comparison), unless `check` is false: for a
  // park and the IPC hand-over, where that state is an invariant (the
  // running task, or one taken off a wait queue under the queue's lock),
  // checked only with lockdebug on.
  template <State From, State To>
  [[gnu::always_inline]] void change_state(bool check = true) {
    change_state_through<From, To, To>(check);
  }
  // Two legal changes, From -> Via -> To, made as one store, for an owner
  // that holds the task off every queue, where nobody else can change it
  // (the IPC hand-over: Blocked -> Ready -> Running for a task it took off
  // its wait queue). Readers meanwhile (kill, activity(), the audit) see
  // From, as a moment before. Both changes are checked at compile time,
  // the start at run time (if `check`, as above).
  template <State From, State Via, State To>
  [[gnu::always_inline]] void change_state_through(bool check = true) {
    static_assert(ALLOWED_CHANGES & task_state_change(From, Via), "not a legal state change");
    static_assert(Via == To || (ALLOWED_CHANGES & task_state_change(Via, To)),
                  "not a legal state change");
    State cur = check ? state_.load(libk::MemoryOrder::Relaxed) : From;
    if (cur != From) unexpected_state(cur, From, To);
    state_.store(To, libk::MemoryOrder::Release);
  }
  bool kill_requested() const { return kill_requested_.load(libk::MemoryOrder::Acquire); }
  // The same without ordering: for a check whose true answer only sends the
  // caller a general way that looks again with kill_requested() before it
  // reads the exit code (WaitQueue::publish_wait's, after its fence, too).
  bool kill_requested_hint() const { return kill_requested_.load(libk::MemoryOrder::Relaxed); }
  // Ask the task to end with `code`: the first request's code wins (it is
  // the exit code once kill_requested() reads true). False if one came first.
  bool request_exit(int64_t code);
  int64_t exit_code() const { return exit_code_; }
  static const char* state_name(State s);

  // --- fields the scheduler and wait queues own (sched.cpp, wait_queue.cpp) ---
  arch::Context context{};
  KernelStack stack;                     // freed by the next task after this one dies
  uintptr_t stack_lo = 0, stack_hi = 0;  // where its kernel frames may go (trap entry checks)
  libk::ListNode sched_node;             // in the run queue or wait queue owning our reference
  libk::ListNode timer_node;             // in the hart's deadline list (does not own)
  libk::Atomic<WaitQueue*> waiting_on;   // the wait queue owning us while Blocked (its lock)
  // Harts between reading waiting_on and letting go of that queue's lock
  // (kill, on_tick): they may still touch the queue after a waker took us
  // off it. A task that was on a queue waits for 0 before it may drop what
  // keeps the queue alive (sched::wait_out_queue_lookups).
  libk::Atomic<uint32_t> queue_lookups;
  uint64_t deadline = 0;  // clock time (timer::now()) a timed block ends at
  keel_status wake_status = KEEL_OK;
  // CPU index whose run queue takes it; where it runs while Running. It
  // changes only while the task is off every queue (or under the hart lock
  // of the queue it leaves); stores are atomic (kill reads it as a hint).
  uint32_t hart = 0;
  bool pinned = false;  // never moves to another hart (idle tasks, benchmarks)
  // Set while a hart runs it or is still saving its context after switching
  // away; another hart waits for false before switching to it.
  libk::Atomic<bool> on_cpu;
  // REAPED: dead, stack freed and the scheduler's reference dropped (set
  // under the exit queue's lock, under which sched::join looks).
  static constexpr uint32_t EXIT_REAPED = 1;
  libk::Atomic<uint32_t> exit_flags;
  Entry entry = nullptr;
  void* arg = nullptr;
  uint64_t satp = 0;            // address space to run in (kernel's for kernel tasks)
  TaskOwner* owner = nullptr;   // the process a user task runs for; told on exit and when reaped
  libk::ListNode process_node;  // in the process's task list (it owns a reference)
  uintptr_t user_pc = 0, user_sp = 0;  // where a user task starts
  uint64_t user_args[4] = {};
  // A short message handed straight to this task while it waits in a channel
  // read (channel.cpp's fast path): the sender fills it and takes the task off
  // the wait queue in one step, under that queue's lock; the task empties it
  // when it runs. cap > 0 while it waits: the most bytes it takes that way.
  struct Mailbox {
    static constexpr uint32_t WORDS = 4;
    uint64_t words[WORDS];
    uint32_t bytes = 0;
    uint32_t cap = 0;
    bool full = false;
  } mailbox;
  // Parked: blocked on a wait queue with no kernel frames kept (the register
  // IPC wait). Its whole user state is in its trap frame and its context
  // resumes at a fresh entry (set by whoever parked it), so a sender may
  // also hand the hart to it straight into user mode (sched::hand_over).
  bool parked = false;
  // Its context already holds the fresh entry it last parked with: set by
  // parking, cleared by every switch that saves its context (switch_to). A
  // task handed over into user mode keeps it, so parking again need not
  // write the same five words (WaitQueue::park_locked).
  bool context_parked = false;
  // What it is parked on (a channel endpoint), held only while parked: a
  // counted reference of the object layer's if parked_on_counted, else
  // none, for a task alone in its process that reached the endpoint through
  // its own handle (the IPC fast path): that handle keeps it, since only
  // this task could close it, and it does not run until it is woken.
  void* parked_on = nullptr;
  bool parked_on_counted = false;
  // A message was already written into its trap frame when it was woken.
  bool delivered = false;
  // Woken by IPC to run next on its hart: it runs on the rest of the current
  // time slice (the waker's) rather than a fresh one.
  bool inherit_slice = false;
  void* channel_graveyard = nullptr;  // channel.cpp: messages being freed by this task
  static constexpr unsigned SCRATCH_SLOTS = 2;
  void* scratch[SCRATCH_SLOTS] = {};  // ScratchBuffer blocks of the syscall it runs (it owns them)
  int64_t exit_code_ = 0;
  // References held by task handles (the object layer's TaskObject): the
  // exit path expects these besides its own.
  libk::Atomic<uint32_t> handle_refs;

 private:
  Task(const char* name);
  ~Task();
  [[noreturn, gnu::noinline, gnu::cold]] void illegal_state_change(State cur, State next);
  [[noreturn, gnu::noinline, gnu::cold]] void unexpected_state(State cur, State from, State to);
  void destroy();
  friend class TypedCache<Task>;

  uint64_t tid_;
  char name_[24];
  libk::Atomic<State> state_{State::Ready};
  libk::Atomic<bool> kill_requested_;
  libk::Atomic<uint32_t> exit_claimed_;  // 1 once a request_exit has set exit_code_
};
