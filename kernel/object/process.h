// Process: an address space, a handle table and the tasks that run in them.
//
// Ownership:
//   - the process table owns one reference to every process that has not
//     finished exiting, so a running process needs no one else;
//   - a parent's process handle owns one (it reads the exit code);
//   - a process owns its tasks (tasks_); a task points back with a plain
//     pointer (Task::owner), valid because the process outlives its tasks:
//     the process table's reference is dropped only once the last task is
//     reaped, and the pointer is cleared then;
//   - a task handle (TaskObject) owns a reference to the Task record, never
//     to the process: it can kill and wait for the task, not keep the
//     process alive;
//   - observer handles (procfs) own no reference at all;
//   - a process owns a reference to its job's record (job.h), never the
//     reverse: the job lists it (JobMember) until it is torn down.
// The process ends when its last task has ended (task_exit from each, the
// first task's exit(), a kill or a fault: the latter three end every task).
// Exit or kill tears everything down synchronously, in the last task's exit
// path: other tasks stopped, handle table closed, observers revoked, address
// space freed, waiters woken. What is left is this object with its name, pid
// and exit code: the exit record, freed with the last process handle (wait
// consumes the parent's).
#pragma once
#include <keel/syscall.h>
#include <libk/atomic.h>
#include <libk/list.h>
#include <libk/owning_list.h>
#include <libk/result.h>

#include "mm/address_space.h"
#include "mm/slab.h"
#include "object/handle_table.h"
#include "object/job.h"
#include "object/object.h"
#include "sched/task.h"
#include "sched/wait_queue.h"

class Process final : public Object, public TaskOwner, public JobMember {
 public:
  static constexpr ObjectType kType = ObjectType::Process;
  enum class State : uint8_t { Running, Exiting, Exited };

  // A new, empty, unregistered process (no tasks, nothing mapped) in `job`:
  // ERR_NO_MEMORY over the job's process quota, ERR_BAD_STATE if it is killed.
  static libk::Result<RefPtr<Process>> create(const char* name, uint64_t parent_pid,
                                              Job& job = Job::root());

  uint64_t pid() const { return koid(); }
  const char* name() const { return name_; }
  uint64_t parent_pid() const { return parent_pid_; }
  State state() const { return libk::AtomicRef(state_).load(libk::MemoryOrder::Acquire); }
  int64_t exit_code() const { return exit_code_; }
  AddressSpace& address_space() { return aspace_; }
  HandleTable& handles() { return handles_; }
  Job& job() { return *job_; }
  size_t task_count() const {
    return libk::AtomicRef(task_count_).load(libk::MemoryOrder::Relaxed);
  }
  // Called by a task of this process (not exiting): whether it is the only
  // one. Then nobody else changes the process's handle table until this
  // task does (HandleTable::lookup_unshared): only a task of the process
  // adds one (task_create), and the acquire pairs with the release of an
  // exiting task's count, so whatever it did to the table before is seen.
  bool alone() const { return libk::AtomicRef(task_count_).load(libk::MemoryOrder::Acquire) == 1; }

  // Add a task (not yet started) to this process.
  void adopt_task(const RefPtr<Task>& task);
  // Start running: registers in the process table and starts every task
  // (the spawner, once it is built).
  void start();
  // Register it but start no task (a suspended spawn): lists, observers
  // and job_open see it. If its START handle is gone already, it is killed.
  void publish_suspended();
  // Start a suspended process (process_start): false if it is not
  // published yet, or started already (a kill starts it, to exit).
  bool start_suspended();
  // Its tasks have been started (never false again once true).
  bool started() const { return libk::AtomicRef(started_).load(libk::MemoryOrder::Acquire); }
  // The one handle with KEEL_RIGHT_START (the spawner's: the right is never
  // copied, and the handle does not move before the process starts) closed.
  // A suspended process, which nobody can start now, is killed (started,
  // to exit): no handle kept anywhere else, even in a queue of its own
  // table's channels, keeps it suspended.
  void start_handle_gone();
  // Add a task to the running process and start it (task_create):
  // ERR_BAD_STATE once the process is exiting, ERR_OUT_OF_RANGE past
  // KEEL_MAX_TASKS_PER_PROCESS.
  libk::Result<void> start_task(const RefPtr<Task>& task);
  // Ask every task to stop; the last one out tears the process down.
  // The first exit code wins. A published process that was not started
  // is started, to exit.
  void kill(int64_t code);
  // Wait for the exit record; ERR_TIMED_OUT, ERR_INTERRUPTED.
  libk::Result<int64_t> wait(Deadline deadline);

  // Exit path of a task of this process (called with no references held,
  // at the top of the task's stack). The last task performs the teardown.
  // After this returns the task must not touch the process again.
  void task_exiting(Task& task) override;
  // A task of this process is gone for good (on its hart, after its final
  // switch). The last one reaped ends the exit: Exited, waiters woken, the
  // process table's reference dropped (possibly the last: it may free *this).
  void task_reaped() override;
  // The process a user task runs for (only processes own tasks).
  static Process* of(const Task& task) { return static_cast<Process*>(task.owner); }
  // The same for a task known to have one (a task in a syscall from user
  // mode): no null check before the cast's adjustment.
  static Process& of_user(const Task& task) { return static_cast<Process&>(*task.owner); }

  void fill_info(keel_object_info& info);
  template <typename F>
  void for_each_task(F&& fn) {
    SpinGuard g(lock_);
    for (Task& t : tasks_) fn(t);
  }
  libk::IntrusiveList<ObserverLink, &ObserverLink::node>& observers() { return observers_; }

 private:
  friend class TypedCache<Process>;
  Process(const char* name, uint64_t parent_pid, Job& job);
  ~Process();
  void destroy() override;
  void teardown();
  void publish(bool start);
  void start_tasks_locked();

  char name_[KEEL_NAME_MAX];
  uint64_t parent_pid_;
  RefPtr<Job> job_;                 // for the process's whole life: its quota is charged
  State state_ = State::Running;    // written under lock_ with release stores
  bool published_ = false;          // in the process table (publish); lock_
  bool started_ = false;            // its tasks started; written under lock_ (atomic)
  bool start_handle_gone_ = false;  // start_handle_gone; lock_
  int64_t exit_code_ = 0;
  bool exit_code_set_ = false;
  AddressSpace aspace_;
  HandleTable handles_;
  Spinlock lock_{LockRank::Process, "process"};        // tasks_, task_count_, state_
  libk::OwningList<Task, &Task::process_node> tasks_;  // the process owns its tasks
  size_t task_count_ = 0;            // tasks not yet exiting (written under lock_, atomic stores)
  libk::Atomic<uint32_t> unreaped_;  // tasks adopted and not yet reaped
  WaitQueue exit_waiters_;
  libk::IntrusiveList<ObserverLink, &ObserverLink::node> observers_;  // observer_lock

 public:
  libk::ListNode table_node;      // in the process table while registered (it owns a reference)
  libk::ListNode pid_node;        // in the process table's pid bucket meanwhile (unowned)
  bool observers_closed = false;  // no new observer links once revoked (observer_lock)
};

// All processes that have not finished exiting, by pid.
namespace process_table {
void add(const RefPtr<Process>& p);  // takes its own reference
RefPtr<Process> remove(Process& p);  // gives it back
RefPtr<Process> find(uint64_t pid);  // a counted reference, or null
// The pids above `after` in ascending order, up to cap; returns how many there are.
size_t list(uint64_t after, uint64_t* pids, size_t cap);
size_t count();
void for_each(void (*fn)(void* ctx, Process& p), void* ctx);  // under the table lock
}  // namespace process_table
