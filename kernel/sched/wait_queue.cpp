#include "wait_queue.h"

#include "lib/panic.h"
#include "sched/sched.h"

WaitQueue::~WaitQueue() { KASSERT(waiters_.empty()); }

libk::Result<void> WaitQueue::block_locked(uint64_t deadline) {
  Task* cur = sched::current();
  KASSERT(cur != sched::idle_task());
  if (cur->kill_requested()) return libk::err(ERR_INTERRUPTED);
  if (deadline && deadline <= sched::ticks()) return libk::err(ERR_TIMED_OUT);
  cur->set_state(Task::State::Blocked);
  cur->wake_status = KEEL_OK;
  __atomic_store_n(&cur->waiting_on, this, __ATOMIC_RELEASE);
  waiters_.push_back(libk::adopt(cur));  // current slot's reference -> this queue
  uint64_t saved = lock_.saved_irq_state();
  lock_.raw_unlock();  // interrupts stay off until we run again
  sched::block_current(deadline);
  lock_.raw_relock(saved);
  if (cur->wake_status != KEEL_OK) return libk::err(cur->wake_status);
  return libk::ok();
}

void WaitQueue::wake_task_locked(Task& t, keel_status why) {
  RefPtr<Task> ref = waiters_.remove(t);  // this queue's reference moves out
  __atomic_store_n(&t.waiting_on, nullptr, __ATOMIC_RELEASE);
  t.wake_status = why;
  sched::cancel_deadline(t);
  sched::make_ready(static_cast<RefPtr<Task>&&>(ref));
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
