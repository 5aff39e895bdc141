#include "task.h"

#include <arch/trap_frame.h>

#include "lib/panic.h"
#include "mm/kernel_vm.h"
#include "mm/kstat.h"
#include "sched/sched.h"

namespace {
TypedCache<Task> task_cache("task");
libk::Atomic<uint64_t> next_tid{1};  // task ids are their own sequence (not koids)
}  // namespace

Task::Task(const char* name) : tid_(next_tid.fetch_add(1, libk::MemoryOrder::Relaxed)) {
  size_t i = 0;
  for (; name && name[i] && i < sizeof(name_) - 1; i++) name_[i] = name[i];
  name_[i] = 0;
  kstat::add(kstat::Counter::tasks_live, 1);
}

Task::~Task() {
  KASSERT(!sched_node.linked() && !timer_node.linked() && !process_node.linked());
  KASSERT(!stack.allocated());
  for (void* b : scratch) KASSERT(b == nullptr);
  kstat::add(kstat::Counter::tasks_live, -1);
}

void Task::destroy() {
  // Never started (a failed task_create): nothing ever ran on its stack. A
  // started task only ends Dead, its stack freed by the next task.
  if (state() == State::Ready) stack.release();
  task_cache.destroy(this);
}

libk::Result<RefPtr<Task>> Task::create(const char* name, Entry entry, void* arg, bool user) {
  Task* t = TRY(task_cache.create(name));
  RefPtr<Task> ref = libk::adopt(t);
  TRY(t->stack.allocate());  // on failure `ref` frees the task: nothing is left behind
  t->stack_lo = t->stack.bottom();
  t->stack_hi = t->stack.top();
  t->entry = entry;
  t->arg = arg;
  uintptr_t sp =
      user ? reinterpret_cast<uintptr_t>(arch::user_trap_frame(t->stack.top())) : t->stack.top();
  t->context = arch::new_task_context(sp, &sched::task_main, reinterpret_cast<uint64_t>(t), 0);
  t->satp = kernel_vm::page_table().satp();
  return ref;
}

libk::Result<RefPtr<Task>> Task::adopt_running_context(const char* name, uintptr_t stack_lo,
                                                       uintptr_t stack_hi) {
  Task* t = TRY(task_cache.create(name));
  t->stack_lo = stack_lo;
  t->stack_hi = stack_hi;
  t->state_.store(State::Running, libk::MemoryOrder::Relaxed);
  t->satp = kernel_vm::page_table().satp();
  return libk::adopt(t);
}

bool Task::request_exit(int64_t code) {
  uint32_t expected = 0;
  if (!exit_claimed_.compare_exchange(expected, 1, libk::MemoryOrder::AcqRel)) return false;
  exit_code_ = code;
  kill_requested_.store(true, libk::MemoryOrder::Release);  // publishes the code
  return true;
}

const char* Task::state_name(State s) {
  switch (s) {
    case State::Ready:
      return "ready";
    case State::Running:
      return "running";
    case State::Blocked:
      return "blocked";
    case State::Dead:
      return "dead";
  }
  return "?";
}

void Task::unexpected_state(State cur, State from, State to) {
  panic("task %lu (%s): %s -> %s, but it is %s", tid(), name_, state_name(from), state_name(to),
        state_name(cur));
}

void Task::illegal_state_change(State cur, State next) {
  panic("task %lu (%s): illegal state change %s -> %s", tid(), name_, state_name(cur),
        state_name(next));
}
