// Tasks of a process: create, exit, kill, wait. Every task of a process
// runs in its address space with its handle table; a task handle kills and
// waits for one task, never the process (see object/task_object.h).
#include <utility>

#include "mm/user_copy.h"
#include "object/loader.h"
#include "object/task_object.h"
#include "sched/sched.h"
#include "syscall.h"

namespace syscall {
namespace {

struct Create {
  uintptr_t pc, sp;
  uint64_t arg;
  uintptr_t out;
  HandleTable::Reservation slot;
};
// Where the task starts is the caller's business (a bad pc or stack faults
// the task, and a fault ends the process); it must only be a user address.
libk::Result<Create> decode_create(const Args& a) {
  uintptr_t pc = a[0], sp = a[1];
  if (pc % 2 || !user::range_ok(pc, 2)) return libk::err(ERR_INVALID_ARGS);
  if (sp % 16 || sp < 16 || !user::range_ok(sp - 16, 16)) return libk::err(ERR_INVALID_ARGS);
  uintptr_t out = TRY(out_ptr<keel_handle_t>(a[3]));
  TRY(user::write<keel_handle_t>(out, KEEL_HANDLE_INVALID));
  HandleTable::Reservation slot = TRY(current_process().handles().reserve(1));
  return Create{pc, sp, a[2], out, std::move(slot)};
}
// The task starts before its handle exists, so no handle ever names a task
// that might never run (a waiter on it would wait for ever). If the out
// pointer was unmapped meanwhile by another task, the new task is killed
// and the handle closed: the caller gets ERR_INVALID_ARGS and nothing stays.
libk::Result<void> create(Create& r) {
  Process& self = current_process();
  HandleTable& table = self.handles();
  RefPtr<Task> task = TRY(Task::create(self.name(), loader::user_task_entry, nullptr, true));
  task->user_pc = r.pc;
  task->user_sp = r.sp;
  task->user_args[0] = r.arg;
  RefPtr<TaskObject> obj = TRY(TaskObject::create(task, self.pid()));
  TRY(self.start_task(task));  // ERR_BAD_STATE, ERR_OUT_OF_RANGE: never started, freed here
  keel_handle_t h = table.add(r.slot, RefPtr<Object>(obj.get()), KEEL_TASK_RIGHTS);
  auto written = hand_out(table, r.out, h);
  if (written.is_error()) sched::kill(*task, KEEL_EXIT_KILLED);
  return written;
}

struct Exit {
  int64_t code;
};
libk::Result<Exit> decode_exit(const Args& a) { return Exit{static_cast<int64_t>(a[0])}; }
// The return-to-user path takes the task out (a kill that came first keeps
// its code); the last task out tears the process down.
libk::Result<void> exit(Exit& r) {
  sched::current()->request_exit(r.code);
  return libk::ok();
}

libk::Result<RefPtr<TaskObject>> decode_kill(const Args& a) {
  return current_process().handles().lookup_as<TaskObject>(a[0], KEEL_RIGHT_KILL);
}
libk::Result<void> kill(RefPtr<TaskObject>& t) {
  sched::kill(t->task(), KEEL_EXIT_KILLED);
  return libk::ok();
}

struct Wait {
  keel_handle_t h;
  RefPtr<TaskObject> task;
  uintptr_t out;
  Deadline deadline;
};
libk::Result<Wait> decode_wait(const Args& a) {
  RefPtr<TaskObject> t =
      TRY(current_process().handles().lookup_as<TaskObject>(a[0], KEEL_RIGHT_WAIT));
  if (&t->task() == sched::current()) return libk::err(ERR_INVALID_ARGS);  // would never end
  uintptr_t out = TRY(out_ptr<int64_t>(a[1]));
  TRY(user::write<int64_t>(out, 0));
  return Wait{a[0], std::move(t), out, deadline_from_ms(a[2])};
}
// On success the task handle is consumed, as process_wait's is.
libk::Result<void> wait(Wait& r) {
  Task& t = r.task->task();
  if (r.deadline.is_poll() && !(t.exit_flags.load(libk::MemoryOrder::Acquire) & Task::EXIT_REAPED))
    return libk::err(ERR_SHOULD_WAIT);
  int64_t code = TRY(sched::join(t, r.deadline));
  TRY(user::write<int64_t>(r.out, code));
  (void)current_process().handles().close(r.h);
  return libk::ok();
}
}  // namespace

int64_t sys_task_create(const Args& a) { return handler<decode_create, create>(a); }
int64_t sys_task_exit(const Args& a) { return handler<decode_exit, exit>(a); }
int64_t sys_task_kill(const Args& a) { return handler<decode_kill, kill>(a); }
int64_t sys_task_wait(const Args& a) { return handler<decode_wait, wait>(a); }

}  // namespace syscall
