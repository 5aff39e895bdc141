#include "task_object.h"

#include "sched/sched.h"

namespace {
TypedCache<TaskObject> cache("task_object");
}

TaskObject::TaskObject(const RefPtr<Task>& task, uint64_t pid)
    : Object(ObjectType::Task), task_(task), pid_(pid) {
  task_->handle_refs.fetch_add(1, libk::MemoryOrder::AcqRel);
}

TaskObject::~TaskObject() {
  // Count first, reference after: the task's exit path waits while they
  // disagree (sched::exit_current), so it never sees a stray reference.
  task_->handle_refs.fetch_sub(1, libk::MemoryOrder::AcqRel);
}

void TaskObject::destroy() { cache.destroy(this); }

libk::Result<RefPtr<TaskObject>> TaskObject::create(const RefPtr<Task>& task, uint64_t pid) {
  return libk::adopt(TRY(cache.create(task, pid)));
}

void TaskObject::fill_info(keel_object_info& info) {
  bool ended = task_->exit_flags.load(libk::MemoryOrder::Acquire) & Task::EXIT_REAPED;
  info.related_koid = pid_;
  info.state = ended ? KEEL_STATE_EXITED : KEEL_STATE_RUNNING;
  info.activity = ended ? KEEL_ACTIVITY_NONE : sched::activity(*task_);
  info.exit_code = ended ? task_->exit_code() : 0;
  info.tasks = task_->tid();
  const char* n = task_->name();
  for (size_t i = 0; i + 1 < sizeof(info.name) && n[i]; i++) info.name[i] = n[i];
}
