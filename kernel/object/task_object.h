// TaskObject: a handle's view of one task of a process (task_create hands
// it out). It owns a reference to the Task record only, so it can kill the
// task and wait for its end, and keeps nothing else alive: once the task is
// reaped, what it holds is the record with the exit code. The process never
// depends on it (a process's tasks are its own; a task's handle may live in
// any process, the task's own included, whose teardown closes it).
#pragma once
#include <keel/syscall.h>
#include <libk/result.h>

#include "mm/slab.h"
#include "object/object.h"
#include "sched/task.h"

class TaskObject final : public Object {
 public:
  static constexpr ObjectType kType = ObjectType::Task;
  static libk::Result<RefPtr<TaskObject>> create(const RefPtr<Task>& task, uint64_t pid);

  Task& task() { return *task_; }
  void fill_info(keel_object_info& info);

 private:
  friend class TypedCache<TaskObject>;
  TaskObject(const RefPtr<Task>& task, uint64_t pid);
  ~TaskObject();
  void destroy() override;

  RefPtr<Task> task_;
  uint64_t pid_;
};
