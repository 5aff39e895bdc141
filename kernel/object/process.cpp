#include "process.h"

#include <arch/csr.h>

#include "lib/panic.h"
#include "mm/kernel_vm.h"
#include "mm/kstat.h"
#include "object/observer.h"
#include "sched/sched.h"

namespace {
TypedCache<Process> process_cache("process");
}

Process::Process(const char* name, uint64_t parent_pid, Job& job)
    : Object(ObjectType::Process), parent_pid_(parent_pid), job_(&job) {
  size_t i = 0;
  for (; name && name[i] && i < sizeof(name_) - 1; i++) name_[i] = name[i];
  name_[i] = 0;
  kstat::add(kstat::Counter::processes_live, 1);
}

Process::~Process() {
  KASSERT(tasks_.empty() && !table_node.linked() && observers_.empty());
  kstat::add(kstat::Counter::processes_live, -1);
}

void Process::destroy() {
  { SpinGuard g(exit_waiters_.lock()); }  // a waker still inside (task_reaped) is out
  Job::Release release(*job_);            // until the job records only this kept are gone
  job_->remove(*this);                    // never started: it leaves its job only now
  process_cache.destroy(this);
}

libk::Result<RefPtr<Process>> Process::create(const char* name, uint64_t parent_pid, Job& job) {
  Process* p = TRY(process_cache.create(name, parent_pid, job));
  RefPtr<Process> ref = libk::adopt(p);  // on failure below it frees everything
  TRY(job.add(*p));                      // charges one process to the job and its ancestors
  p->handles_.set_quota(&job.quota());
  p->aspace_.set_quota(&job.quota());
  TRY(p->aspace_.init());
  return ref;
}

void Process::adopt_task(const RefPtr<Task>& task) {
  SpinGuard g(lock_);
  task->owner = this;
  task->satp = aspace_.satp();
  tasks_.push_back(RefPtr<Task>(task));  // the process's own reference
  libk::AtomicRef(task_count_).store(task_count_ + 1, libk::MemoryOrder::Relaxed);
  unreaped_.fetch_add(1, libk::MemoryOrder::Relaxed);
  // Killed while it was being built (its job was, before it had a task):
  // the task starts killed, or it would run on in a job that waits for it.
  if (state_ != State::Running) sched::kill(*task, exit_code_);
}

void Process::publish(bool start) {
  process_table::add(RefPtr<Process>(this));
  SpinGuard g(lock_);
  KASSERT(!published_);
  published_ = true;
  // Started here, in the same hold (no one sees it published and not
  // started unless it was spawned suspended); or killed since it was
  // listed (a job kill, or job_open's handle), which found it unpublished:
  // then it starts, to exit.
  if (!started_ && (start || state_ != State::Running)) start_tasks_locked();
}

void Process::start() { publish(true); }

void Process::publish_suspended() {
  publish(false);
  bool orphaned;
  {
    SpinGuard g(lock_);
    orphaned = start_handle_gone_ && !started_;
  }
  // Its START handle already left the spawner's table (another task of the
  // spawner closed it: it does not move while unstarted): start_handle_gone
  // found it unpublished.
  if (orphaned) kill(KEEL_EXIT_KILLED);
}

bool Process::start_suspended() {
  SpinGuard g(lock_);
  if (!published_ || started_) return false;  // its spawn under way, or started (killed) already
  start_tasks_locked();
  return true;
}

void Process::start_handle_gone() {
  bool suspended;
  {
    SpinGuard g(lock_);
    start_handle_gone_ = true;
    suspended = published_ && !started_;
  }
  if (suspended) kill(KEEL_EXIT_KILLED);
}

void Process::start_tasks_locked() {
  libk::AtomicRef(started_).store(true, libk::MemoryOrder::Release);
  for (Task& t : tasks_) sched::start(RefPtr<Task>(&t));
}

libk::Result<void> Process::start_task(const RefPtr<Task>& task) {
  SpinGuard g(lock_);
  // A process being killed takes no new task (kill has already stopped the
  // ones it saw); the caller, a task of this process, is on its way out.
  if (state_ != State::Running) return libk::err(ERR_BAD_STATE);
  if (task_count_ >= KEEL_MAX_TASKS_PER_PROCESS) return libk::err(ERR_OUT_OF_RANGE);
  task->owner = this;
  task->satp = aspace_.satp();
  tasks_.push_back(RefPtr<Task>(task));
  libk::AtomicRef(task_count_).store(task_count_ + 1, libk::MemoryOrder::Relaxed);
  unreaped_.fetch_add(1, libk::MemoryOrder::Relaxed);
  sched::start(RefPtr<Task>(task));
  return libk::ok();
}

void Process::kill(int64_t code) {
  SpinGuard g(lock_);
  if (!exit_code_set_) {
    exit_code_ = code;
    exit_code_set_ = true;
  }
  if (state_ == State::Running)
    libk::AtomicRef(state_).store(State::Exiting, libk::MemoryOrder::Release);
  for (Task& t : tasks_) sched::kill(t, code);
  // Published but never started (a suspended spawn): its tasks start, to
  // exit before their first instruction. (One still being built is started
  // by its spawner, which publishes it then.)
  if (published_ && !started_) start_tasks_locked();
}

libk::Result<int64_t> Process::wait(Deadline deadline) {
  SpinGuard g(exit_waiters_.lock());
  while (state() != State::Exited) TRY(exit_waiters_.block_locked(deadline));
  return exit_code_;
}

void Process::task_exiting(Task& task) {
  Process* p = this;
  bool last;
  // Off the process's table before it can be freed: the last task's
  // teardown frees it while others may still be on their way out.
  KASSERT(&task == sched::current());
  task.satp = kernel_vm::page_table().satp();
  kernel_vm::page_table().activate();
  {
    RefPtr<Task> ours;  // the process's reference to this task, dropped below
    {
      SpinGuard g(p->lock_);
      ours = p->tasks_.remove(task);
      // Release: a task left alone reads the table without its lock
      // (Process::alone) and must see what this one did to it.
      libk::AtomicRef(p->task_count_).store(p->task_count_ - 1, libk::MemoryOrder::Release);
      last = p->task_count_ == 0;
      if (last && !p->exit_code_set_) {  // every task ended by itself: the last one's code
        p->exit_code_ = task.exit_code();
        p->exit_code_set_ = true;
      }
    }
  }                         // not the task's last reference: its current slot still owns one
  if (last) p->teardown();  // the table's reference keeps *p until the last task is reaped
}

void Process::task_reaped() {
  if (unreaped_.fetch_sub(1, libk::MemoryOrder::AcqRel) != 1) return;
  // Exited and the drop of the table's reference happen together under the
  // waiters' lock, under which wait() looks: anyone who sees Exited (and
  // holds a reference of their own, so ours was not the last) finds the
  // process table's reference gone. If ours is the last, nobody can wait:
  // drop it after. destroy() takes the lock first, so a holder dropping the
  // last reference meanwhile waits until we are out.
  Process* self = process_table::remove(*this).leak_ref();
  KASSERT(self);  // start() registered it before any task ran
  // Off its job's list now (job_list stops naming it) but still charged to
  // the job: job_kill's waiters go only after it is Exited, the table's
  // reference is dropped (perhaps the last, freeing it) and so is `job`
  // (perhaps the last reference to its record and to ancestors only it
  // kept), so a job_kill that returned finds it torn down entirely, its
  // child jobs included. `job` outlives *this for that; `release` outlives
  // `job`.
  Job::Release release(*job_);
  RefPtr<Job> job = job_;
  bool member = job->leave(*this);
  bool last;
  {
    SpinGuard g(exit_waiters_.lock());
    libk::AtomicRef(state_).store(State::Exited, libk::MemoryOrder::Release);
    last = !self->unref_unless_last();
    if (!last) exit_waiters_.wake_all_locked();
  }
  if (last) RefPtr<Process> drop = libk::adopt(self);
  if (member) job->released();
}

// Teardown order (design.md): tasks already stopped; handle table closed;
// observers revoked; address space, tables and frames freed; then, once
// every task has made its final switch and had its stack freed (on whatever
// hart it ran: task_reaped), waiters woken and the process table's reference
// dropped, possibly the last one. So a parent whose wait returns finds every
// counter already back, whichever harts the tasks died on.
void Process::teardown() {
  handles_.close_all();
  observer::revoke_all(*this);
  KASSERT(sched::current()->owner == this);  // the last task of the process runs this
  aspace_.destroy();                         // no task runs on its table any more (task_exiting)
}

void Process::fill_info(keel_object_info& info) {
  SpinGuard g(lock_);
  info.type = KEEL_OBJ_PROCESS;
  info.koid = pid();
  info.related_koid = parent_pid_;
  info.state = state_ == State::Exited ? KEEL_STATE_EXITED : KEEL_STATE_RUNNING;
  info.exit_code = state_ == State::Exited ? exit_code_ : 0;
  info.tasks = task_count_;
  // The busiest task: running, then ready, then blocked, then sleeping;
  // none before its tasks start (a suspended spawn: procfs says "starting").
  constexpr uint32_t rank[] = {0, 4, 3, 2, 1};  // by keel_activity
  uint32_t busiest = KEEL_ACTIVITY_NONE;
  if (state_ != State::Exited && started_) {
    for (Task& t : tasks_) {
      uint32_t a = sched::activity(t);
      if (rank[a] > rank[busiest]) busiest = a;
    }
  }
  info.activity = busiest;
  info.pages = aspace_.pages();
  info.handles = handles_.count();
  job_->path(info.job_path);
  for (size_t i = 0; i < sizeof(info.name); i++) info.name[i] = name_[i];
}

namespace process_table {
namespace {
Spinlock lock{LockRank::ProcessTable, "process table"};
// Owns one reference each, in ascending pid order (a new process nearly
// always has the largest pid: its place is found from the back).
libk::OwningList<Process, &Process::table_node> live;
// The same processes by pid, for find() in O(1): a fixed number of
// buckets, each an unowned list.
constexpr size_t BUCKETS = 1024;
libk::IntrusiveList<Process, &Process::pid_node> by_pid[BUCKETS];
libk::IntrusiveList<Process, &Process::pid_node>& bucket(uint64_t pid) {
  return by_pid[pid % BUCKETS];
}
}  // namespace

void add(const RefPtr<Process>& p) {
  SpinGuard g(lock);
  Process* last = live.back();
  if (!last || last->pid() < p->pid())
    live.push_back(RefPtr<Process>(p));
  else  // created on another hart just before a process it is added after
    live.insert_sorted(RefPtr<Process>(p),
                       [](const Process& a, const Process& b) { return a.pid() < b.pid(); });
  bucket(p->pid()).push_back(*p);
}

RefPtr<Process> remove(Process& p) {
  SpinGuard g(lock);
  if (!p.table_node.linked()) return RefPtr<Process>();
  bucket(p.pid()).remove(p);
  return live.remove(p);
}

RefPtr<Process> find(uint64_t pid) {
  SpinGuard g(lock);
  for (Process& p : bucket(pid))
    if (p.pid() == pid) return RefPtr<Process>(&p);
  return RefPtr<Process>();
}

size_t list(uint64_t after, uint64_t* pids, size_t cap) {
  SpinGuard g(lock);
  size_t n = 0;
  for (Process& p : live) {
    if (p.pid() <= after) continue;
    if (n < cap) pids[n] = p.pid();
    n++;
  }
  return n;
}

size_t count() {
  SpinGuard g(lock);
  return live.size();
}

void for_each(void (*fn)(void*, Process&), void* ctx) {
  SpinGuard g(lock);
  for (Process& p : live) fn(ctx, p);
}
}  // namespace process_table
