// Jobs: every process belongs to one; jobs nest (a tree, at most
// KEEL_JOB_MAX_DEPTH deep, under the root job that init holds). A job
//   - bounds what its subtree may hold at once (libk::Quota: processes,
//     handles, user frames, and the kernel memory of messages sent but not
//     yet received, the objects their handles keep alive included), so one
//     runaway program cannot starve the rest;
//   - can be killed as a whole: every process in its subtree is killed and
//     no process joins it again; job_kill returns once they are all torn down.
//
// Ownership (design.md's rule: nothing outlives every holder of a
// capability to stop it):
//   - Job is the record. It is owned by its JobObject (the handle's object),
//     by each child job (a child keeps its parent's record) and by each
//     process in it (Process::job_); it owns no process and no child.
//   - JobObject is what handles hold. When its last handle goes (closed,
//     wherever it was, a message carrying it included: HandleRef), the job
//     is killed, however many momentary references syscalls of other tasks
//     hold. So when a shell exits, its jobs die with it.
// All membership (children, processes, killed) is under one lock, the job
// tree's: spawns, exits and kills take it once; nothing hot does.
#pragma once
#include <keel/syscall.h>
#include <libk/list.h>
#include <libk/quota.h>
#include <libk/result.h>

#include "mm/slab.h"
#include "object/object.h"
#include "sched/deadline.h"
#include "sched/wait_queue.h"

class Process;

// What a job keeps of a process: a place in its list (Process derives from it).
struct JobMember {
  libk::ListNode job_node;  // in the job's processes while a member (tree lock)
};

class Job final : public libk::RefCounted<Job> {
 public:
  // The root job, made on first use and never freed: no limits, no parent.
  static Job& root();
  // A child of `parent`: ERR_BAD_STATE if parent is killed, ERR_OUT_OF_RANGE
  // past KEEL_JOB_MAX_DEPTH, ERR_NO_MEMORY.
  static libk::Result<RefPtr<Job>> create_child(Job& parent, const keel_job_limits& limits);

  uint64_t koid() const { return koid_; }
  Job* parent() const { return parent_.get(); }
  libk::Quota& quota() { return quota_; }
  bool killed() const;
  // Is `j` this job or one of its descendants?
  bool contains(const Job& j) const;

  // A new process joins (before it starts): one process charged.
  // ERR_NO_MEMORY over a quota, ERR_BAD_STATE once the job is killed.
  libk::Result<void> add(JobMember& p);
  // A process leaves for good (torn down, or never started); uncharges it.
  // The caller holds a Release around it (waiters wake when it ends).
  // Harmless for a process that is not a member.
  void remove(JobMember& p);
  // remove() in two halves, for a process whose last reference may go in
  // between: leave() takes it off the job's list (true if it was on it);
  // released() then uncharges it, touching only the job. Waiters wake when
  // the Release around it ends.
  bool leave(JobMember& p);
  void released();

  // Around a process's leaving, from before its uncharge until after its
  // last references (the process's, and the job records only it kept
  // alive) are dropped: wait_empty() on the job or an ancestor does not
  // return meanwhile, so a job_kill that returned finds even the child jobs
  // freed that the killed processes alone kept. Ends by waking every
  // waiter (which looks at its own job again). Declare it before the
  // references it must outlive.
  class Release {
   public:
    explicit Release(Job& job);
    ~Release();
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;
    bool covers(const Job* j) const;  // under the waiters' lock

    libk::ListNode node;

   private:
    const Job* path_[KEEL_JOB_MAX_DEPTH];  // compared, never followed once freed
    unsigned n_ = 0;
  };

  // Kill every process of the subtree; from now on nothing joins it.
  void kill();
  // Wait until no process of the subtree is left (all torn down):
  // ERR_TIMED_OUT, ERR_INTERRUPTED (the caller is being killed).
  libk::Result<void> wait_empty(Deadline deadline);

  void fill_info(keel_object_info& info);
  // koids of this job and its ancestors, into path[KEEL_JOB_MAX_DEPTH] (0-padded).
  void path(uint64_t* path) const;
  void on_last_unref();

 private:
  friend class TypedCache<Job>;
  Job(Job* parent, const uint64_t (&limits)[libk::Quota::COUNT]);
  ~Job();

  uint64_t koid_;
  RefPtr<Job> parent_;
  unsigned depth_;  // the root's is 1
  libk::Quota quota_;
  bool killed_ = false;                                             // tree lock
  libk::ListNode sibling_node_;                                     // in the parent's children_
  libk::IntrusiveList<Job, &Job::sibling_node_> children_;          // tree lock
  libk::IntrusiveList<JobMember, &JobMember::job_node> processes_;  // tree lock
};

class JobObject final : public Object {
 public:
  static constexpr ObjectType kType = ObjectType::Job;
  static libk::Result<RefPtr<JobObject>> create(RefPtr<Job> job);
  Job& job() { return *job_; }

 private:
  friend class TypedCache<JobObject>;
  explicit JobObject(RefPtr<Job> job);
  ~JobObject() = default;
  void on_zero_handles() override;  // kills the job
  void destroy() override;

  RefPtr<Job> job_;
};
