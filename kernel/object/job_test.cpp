// Jobs in the kernel: a process killed with its job while it is still being
// built (no task yet) must not run once started; the job's wait returns.
#include "object/job.h"

#include <arch/timer.h>

#include "ktest/ktest.h"
#include "mm/kstat.h"
#include "object/process.h"
#include "sched/sched.h"

namespace {
int never_runs(void* ran) {
  *static_cast<bool*>(ran) = true;
  return 0;
}
}  // namespace

KTEST("jobs.process_killed_before_its_first_task_never_runs") {
  keel_job_limits none{};
  auto j = Job::create_child(Job::root(), none);
  KT_ASSERT(j.ok());
  RefPtr<Job> job = j.release_value();
  auto p = Process::create("half-built", 0, *job);
  KT_ASSERT(p.ok());
  RefPtr<Process> proc = p.release_value();
  KT_EXPECT_EQ(job->quota().used(libk::Quota::Processes), 1u);
  job->kill();  // as a job_kill on another hart would, while the spawn is half done
  static bool ran = false;
  auto t = Task::create("half-built", never_runs, &ran);
  KT_ASSERT(t.ok());
  {
    RefPtr<Task> task = t.release_value();
    proc->adopt_task(task);
  }  // the process's reference is the task's only one now
  proc->start();
  auto code = proc->wait(Deadline::at(timer::now() + 60 * timer::timebase_hz()));
  KT_EXPECT(code.ok() && code.value() == KEEL_EXIT_KILLED);
  KT_EXPECT(!ran);
  KT_EXPECT(job->wait_empty(Deadline::at(timer::now() + 60 * timer::timebase_hz())).ok());
  KT_EXPECT_EQ(job->quota().used(libk::Quota::Processes), 0u);
  KT_EXPECT(Process::create("late", 0, *job).error() == ERR_BAD_STATE);
}

KTEST("jobs.kill_walks_a_deep_tree_without_recursion") {
  keel_job_limits none{};
  RefPtr<Job> chain[KEEL_JOB_MAX_DEPTH];
  Job* parent = &Job::root();
  size_t made = 0;
  for (; made < KEEL_JOB_MAX_DEPTH - 1; made++) {
    auto j = Job::create_child(*parent, none);
    KT_ASSERT(j.ok());
    chain[made] = j.release_value();
    parent = chain[made].get();
  }
  KT_EXPECT(Job::create_child(*parent, none).error() == ERR_OUT_OF_RANGE);
  // Siblings at each level, so the walk climbs back up and across.
  RefPtr<Job> siblings[KEEL_JOB_MAX_DEPTH];
  for (size_t i = 0; i + 1 < made; i++) {
    auto j = Job::create_child(*chain[i], none);
    KT_ASSERT(j.ok());
    siblings[i] = j.release_value();
  }
  chain[0]->kill();
  bool all = true;
  for (size_t i = 0; i < made; i++) all &= chain[i]->killed();
  for (size_t i = 0; i + 1 < made; i++) all &= siblings[i]->killed();
  KT_EXPECT(all);
  KT_EXPECT(!Job::root().killed());
}

// A killed process can be the last holder of its job's record (and of
// child jobs' records): wait_empty must not return before those are freed,
// even though the process count reached zero earlier (utest-jobattack at 4
// harts saw 5 nested job records still live just after a job_kill).
KTEST("jobs.wait_empty_waits_for_a_release_in_progress") {
  keel_job_limits none{};
  auto j = Job::create_child(Job::root(), none);
  KT_ASSERT(j.ok());
  RefPtr<Job> job = j.release_value();
  auto c = Job::create_child(*job, none);
  KT_ASSERT(c.ok());
  RefPtr<Job> child = c.release_value();
  Deadline soon = Deadline::at(timer::now() + timer::timebase_hz() / 20);
  {
    Job::Release release(*child);  // covers the child and every ancestor
    KT_EXPECT_EQ(job->quota().used(libk::Quota::Processes), 0u);
    KT_EXPECT(job->wait_empty(soon).error() == ERR_TIMED_OUT);
    KT_EXPECT(child->wait_empty(Deadline::poll()).error() == ERR_TIMED_OUT);
  }
  KT_EXPECT(job->wait_empty(Deadline::poll()).ok());
  // A process the child's record is kept by alone: when its last reference
  // goes, so does the record, before anyone waiting on the parent returns.
  auto p = Process::create("keeper", 0, *child);
  KT_ASSERT(p.ok());
  RefPtr<Process> proc = p.release_value();
  int64_t jobs = 0, after = 0;
  KT_ASSERT(kstat::get("objects_job", &jobs));
  child.reset();  // the process's reference is the record's only one
  KT_EXPECT(kstat::get("objects_job", &after) && after == jobs);
  proc.reset();  // never started: destroy() leaves the job and frees the record
  KT_EXPECT(job->wait_empty(Deadline::poll()).ok());
  KT_EXPECT(kstat::get("objects_job", &after) && after == jobs - 1);
}
