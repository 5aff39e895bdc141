// Jobs: create, kill, list and open (job.h). Spawning into a job is
// process_spawn's (sys_process.cpp).
#include <utility>

#include "mm/user_copy.h"
#include "object/job.h"
#include "syscall.h"

namespace syscall {

libk::Result<RefPtr<Job>> job_of(keel_handle_t h, uint32_t rights) {
  if (h == KEEL_HANDLE_INVALID) return RefPtr<Job>(&current_process().job());
  RefPtr<JobObject> o = TRY(current_process().handles().lookup_as<JobObject>(h, rights));
  return RefPtr<Job>(&o->job());
}

namespace {
constexpr uint32_t PROCESS_RIGHTS = KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT;

struct Create {
  RefPtr<Job> parent;
  keel_job_limits limits;
  uintptr_t out;
  HandleTable::Reservation slot;
};
libk::Result<Create> decode_create(const Args& a) {
  RefPtr<Job> parent = TRY(job_of(a[0], KEEL_RIGHT_SPAWN));
  keel_job_limits limits;
  TRY(user::read_into(limits, a[1]));
  TRY(user::write<keel_handle_t>(a[2], KEEL_HANDLE_INVALID));
  HandleTable::Reservation slot = TRY(current_process().handles().reserve(1));
  return Create{std::move(parent), limits, a[2], std::move(slot)};
}
libk::Result<void> create(Create& r) {
  RefPtr<Job> job = TRY(Job::create_child(*r.parent, r.limits));
  // If this fails, dropping `job` frees it (no process could join yet).
  RefPtr<JobObject> o = TRY(JobObject::create(std::move(job)));
  HandleTable& table = current_process().handles();
  // Unmapped meanwhile: the handle is closed, its last, which kills the
  // empty job, and nothing is left.
  return hand_out(table, r.out, table.add(r.slot, std::move(o), KEEL_JOB_RIGHTS));
}

libk::Result<RefPtr<Job>> decode_kill(const Args& a) {
  RefPtr<JobObject> o =
      TRY(current_process().handles().lookup_as<JobObject>(a[0], KEEL_RIGHT_KILL));
  return RefPtr<Job>(&o->job());
}
libk::Result<void> kill(RefPtr<Job>& job) {
  job->kill();
  return job->wait_empty(Deadline::never());
}

struct List {
  RefPtr<Job> job;
  PidList pids;
};
libk::Result<List> decode_list(const Args& a) {
  RefPtr<JobObject> o =
      TRY(current_process().handles().lookup_as<JobObject>(a[0], KEEL_RIGHT_ENUMERATE));
  PidList pids = TRY(decode_pid_list(a));
  return List{RefPtr<Job>(&o->job()), pids};
}
// The processes of the job and its child jobs, from the process table.
libk::Result<void> list(List& r) {
  return list_pids(
      r.pids,
      [](void* job, uint64_t after, uint64_t* pids, size_t cap) {
        struct Ctx {
          Job* job;
          uint64_t after;
          uint64_t* pids;
          size_t cap, total;
        } ctx{static_cast<Job*>(job), after, pids, cap, 0};
        process_table::for_each(
            [](void* c, Process& p) {
              auto* x = static_cast<Ctx*>(c);
              if (p.pid() <= x->after || !x->job->contains(p.job())) return;
              if (x->total < x->cap) x->pids[x->total] = p.pid();
              x->total++;
            },
            &ctx);
        return ctx.total;
      },
      r.job.get());
}

struct Open {
  RefPtr<Job> job;
  uint64_t pid;
  uintptr_t out;
  HandleTable::Reservation slot;
};
libk::Result<Open> decode_open(const Args& a) {
  HandleTable& table = current_process().handles();
  RefPtr<JobObject> o =
      TRY(table.lookup_as<JobObject>(a[0], KEEL_RIGHT_ENUMERATE | KEEL_RIGHT_KILL));
  TRY(user::write<keel_handle_t>(a[2], KEEL_HANDLE_INVALID));
  HandleTable::Reservation slot = TRY(table.reserve(1));
  return Open{RefPtr<Job>(&o->job()), a[1], a[2], std::move(slot)};
}
libk::Result<void> open(Open& r) {
  RefPtr<Process> p = process_table::find(r.pid);
  if (!p || p->state() != Process::State::Running || !r.job->contains(p->job()))
    return libk::err(ERR_NOT_FOUND);
  HandleTable& table = current_process().handles();
  return hand_out(table, r.out, table.add(r.slot, std::move(p), PROCESS_RIGHTS));
}
}  // namespace

int64_t sys_job_create(const Args& a) { return handler<decode_create, create>(a); }
int64_t sys_job_kill(const Args& a) { return handler<decode_kill, kill>(a); }
int64_t sys_job_list(const Args& a) { return handler<decode_list, list>(a); }
int64_t sys_job_open(const Args& a) { return handler<decode_open, open>(a); }

}  // namespace syscall
