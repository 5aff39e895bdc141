// WaitQueue: tasks blocked until someone wakes them, a deadline passes, or
// they are killed. The queue owns the reference of every task in it.
//
// Protocol (no lost wake-ups): take lock(), check the condition, and if it
// does not hold call block_locked(); the lock is released only once the task
// is on the queue, and is held again when block_locked returns. Wakers take
// lock() too.
#pragma once
#include <arch/context.h>
#include <arch/lockdebug.h>
#include <arch/spinlock.h>
#include <libk/owning_list.h>
#include <libk/result.h>

#include "lib/panic.h"
#include "sched/deadline.h"
#include "sched/sched.h"
#include "sched/task.h"

class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  ~WaitQueue();

  // The lock: the queue's own, or one it shares (share_lock).
  Spinlock& lock() { return *lock_; }
  // From now on, guard this queue with `shared` (which must outlive it)
  // instead of its own lock: a channel's readers use their pair's lock,
  // which also guards the channel's queue and peer link, so that the IPC
  // fast path takes one lock for both endpoints. Only before first use.
  void share_lock(Spinlock& shared) {
    KASSERT(waiters_.empty());
    lock_ = &shared;
  }

  // Block the current task (caller holds lock()) until woken or the
  // deadline. Returns ok when woken, ERR_TIMED_OUT (at once for
  // Deadline::poll() or a deadline already past), or ERR_INTERRUPTED if the
  // task is being killed (also at once, for a task already marked for it).
  // With `next`, switch straight to that task on blocking (the IPC fast
  // path); if the task does not block, `next` is made ready instead.
  libk::Result<void> block_locked(Deadline deadline = Deadline::never(),
                                  sched::Successor next = {});

  // Wake the first waiter / all waiters (caller holds lock()).
  bool wake_one_locked();
  size_t wake_all_locked();
  // Park the current task here (caller holds lock()): block_locked's
  // protocol with no deadline, but the task keeps no kernel frames: it
  // resumes at resume_entry on resume_sp (a fresh entry) when woken. The
  // task switches away (to `next`, if given) and this never returns; false
  // if the task is being killed: nothing changed, the lock is still held.
  [[gnu::always_inline]] bool park_locked(uintptr_t resume_sp,
                                          void (*resume_entry)(uint64_t, uint64_t), Task* next) {
    Task* cur = sched::current();
    if (cur->kill_requested_hint() ||
        !enqueue_parked(cur, resume_sp, resume_entry, lockdebug::enabled))
      return false;
    // A successor pinned to another hart cannot run here (interrupts are
    // off: this hart stays ours until we switch).
    if (next && next->pinned && next->hart != arch::this_cpu()->index) {
      sched::make_ready_next(libk::adopt(next));
      next = nullptr;
    }
    sched::park_current(*lock_, next);
  }
  // The same for `cur`, hs's current task (the IPC fast path, which has
  // both at hand and made the early look at the kill flag itself), handing
  // the hart to `next` (a parked task taken off another queue) straight
  // into user mode (sched::hand_over): true, the lock released.
  // `debug` as for RawSpinlock::lock.
  [[gnu::always_inline]] bool park_handing_over(sched::HartSched& hs, Task* cur,
                                                uintptr_t resume_sp,
                                                void (*resume_entry)(uint64_t, uint64_t),
                                                Task* next, bool debug) {
    if (!enqueue_parked(cur, resume_sp, resume_entry, debug)) return false;
    sched::hand_over(hs, cur, *lock_, next, debug);
    return true;
  }
  // Wake the first waiter to run next (make_ready_next): woken by IPC.
  bool wake_one_next_locked();
  // Take `t` (which must be on this queue) out and make it ready with `why`.
  void wake_task_locked(Task& t, keel_status why);
  // Take `t` out as woken (KEEL_OK) but do not make it ready: its reference
  // comes back, to switch to (sched::Successor).
  [[gnu::always_inline]] RefPtr<Task> take_locked(Task& t) {
    RefPtr<Task> ref = take_blocked_locked(t);
    t.change_state<Task::State::Blocked, Task::State::Ready>();
    return ref;
  }
  // The same, but `t` stays Blocked: its new owner makes it Ready (or
  // Running, sched::hand_over) before anyone else can reach it.
  [[gnu::always_inline]] RefPtr<Task> take_blocked_locked(Task& t) {
    KASSERT(t.waiting_on.load(libk::MemoryOrder::Relaxed) ==
            this);                          // waiting_on names the one queue that owns t
    RefPtr<Task> ref = waiters_.remove(t);  // this queue's reference moves out
    t.waiting_on.store(nullptr, libk::MemoryOrder::Release);
    t.wake_status = KEEL_OK;
    t.parked = false;  // it resumes at its parked context, which knows
    if (t.deadline) sched::cancel_deadline(t);
    return ref;
  }
  Task* first_waiter() { return waiters_.front(); }

  size_t waiter_count() const { return waiters_.size(); }  // O(n): tests
  bool has_waiter(const Task& t) const { return waiters_.contains(t); }

 private:
  // The current task (Running, lock() held) is about to wait here: Blocked,
  // waiting_on published, then the kill flag looked at again. kill() sets
  // the flag, then reads waiting_on, so one of the two sees the other.
  // False if it is being killed: Running again, waiting_on cleared (a
  // killer may still have read it: see sched::wait_out_queue_lookups).
  // `check`: whether it checks that the task is Running (Task::change_state).
  [[gnu::always_inline]] bool publish_wait(Task* cur, bool check = true) {
    cur->change_state<Task::State::Running, Task::State::Blocked>(check);
    cur->wake_status = KEEL_OK;
    // The store, then the fence, then the flag's load: kill makes the same
    // steps the other way round (flag, fence, waiting_on), so one of the two
    // sees the other. The fence orders both, which need no ordering of their own.
    cur->waiting_on.store(this, libk::MemoryOrder::Relaxed);
    libk::atomic_fence(libk::MemoryOrder::SeqCst);
    if (!cur->kill_requested_hint()) return true;
    cur->waiting_on.store(nullptr, libk::MemoryOrder::Release);
    cur->change_state_through<Task::State::Blocked, Task::State::Ready, Task::State::Running>();
    return false;
  }

  // Both parks' first half: the wait published (false if it is being
  // killed), the resume point set, the current slot's reference moved to
  // this queue.
  [[gnu::always_inline]] bool enqueue_parked(Task* cur, uintptr_t resume_sp,
                                             void (*resume_entry)(uint64_t, uint64_t), bool debug) {
    // (The early look at the kill flag only saves work; publish_wait's is
    // the one that counts.)
    if (!publish_wait(cur, debug)) return false;
    // A task parks with one resume point (its own frame, the parked entry).
    if (debug && cur->context_parked)
      KASSERT(cur->context.sp == resume_sp &&
              cur->context.s[0] == reinterpret_cast<uint64_t>(resume_entry));
    if (!cur->context_parked) {
      arch::set_fresh_entry(cur->context, resume_sp, resume_entry);
      cur->context_parked = true;
    }
    cur->parked = true;
    waiters_.push_back(libk::adopt(cur));  // current slot's reference -> this queue
    if (debug) lockdebug::check_may_block(lock_);
    return true;
  }

  Spinlock own_lock_{LockRank::WaitQueue, "wait queue"};
  Spinlock* lock_ = &own_lock_;
  // Owns each waiter's reference. No size counter (the IPC fast path takes
  // a task off one queue and parks on another every call): waiter_count()
  // walks it.
  libk::OwningList<Task, &Task::sched_node, false> waiters_;
};
