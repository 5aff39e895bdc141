#include "wait_queue.h"

#include <arch/cpu.h>
#include <arch/lockdebug.h>
#include <arch/timer.h>

#include <utility>

#include "lib/panic.h"
#include "sched/sched.h"

WaitQueue::~WaitQueue() { KASSERT(waiters_.empty()); }

libk::Result<void> WaitQueue::block_locked(Deadline deadline, sched::Successor next) {
  Task* cur = sched::current();
  KASSERT(cur != sched::idle_task());
  if (cur->kill_requested()) return libk::err(ERR_INTERRUPTED);
  if (deadline.is_poll() || (!deadline.is_never() && deadline.time() <= timer::now()))
    return libk::err(ERR_TIMED_OUT);
  if (!publish_wait(cur)) {
    // The killer may have read waiting_on: let it finish with this queue
    // (it may be waiting for this lock) before the caller can free it.
    uint64_t saved = lock_->saved_irq_state();
    lock_->raw_unlock();
    sched::wait_out_queue_lookups(*cur);
    lock_->raw_relock(saved);
    return libk::err(ERR_INTERRUPTED);
  }
  waiters_.push_back(libk::adopt(cur));  // current slot's reference -> this queue
  if (lockdebug::enabled) lockdebug::check_may_block(lock_);
  uint64_t saved = lock_->saved_irq_state();
  // A successor pinned to another hart cannot run here (interrupts are off:
  // this hart stays ours until we block).
  Task* direct = nullptr;
  if (next) {
    RefPtr<Task> t = next.take();
    if (t->pinned && t->hart != arch::this_cpu()->index)
      sched::make_ready_next(std::move(t));
    else
      direct = t.leak_ref();  // -> block_current, which moves it to the current slot
  }
  // The scheduler takes its hart lock (and files the deadline) before it
  // lets go of this queue's lock, so no waker sees us half blocked.
  sched::block_current(deadline, *lock_, direct);
  sched::wait_out_queue_lookups(*cur);  // before the caller can free this queue
  lock_->raw_relock(saved);
  if (cur->wake_status != KEEL_OK) return libk::err(cur->wake_status);
  return libk::ok();
}

void WaitQueue::wake_task_locked(Task& t, keel_status why) {
  RefPtr<Task> ref = take_locked(t);
  t.wake_status = why;
  sched::make_ready(std::move(ref));
}

bool WaitQueue::wake_one_next_locked() {
  Task* t = waiters_.front();
  if (!t) return false;
  sched::make_ready_next(take_locked(*t));
  return true;
}

bool WaitQueue::wake_one_locked() {
  Task* t = waiters_.front();
  if (!t) return false;
  wake_task_locked(*t, KEEL_OK);
  return true;
}

size_t WaitQueue::wake_all_locked() {
  size_t n = 0;
  while (wake_one_locked()) n++;
  return n;
}
