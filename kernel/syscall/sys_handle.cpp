// Handles: close, duplicate (rights only shrink), object_info.
#include <utility>

#include "mm/user_copy.h"
#include "object/channel.h"
#include "object/job.h"
#include "object/process_directory.h"
#include "object/task_object.h"
#include "syscall.h"

namespace syscall {

libk::Result<void> hand_out(HandleTable& table, const uintptr_t* outs, const keel_handle_t* hs,
                            size_t n) {
  bool written = true;
  for (size_t i = 0; i < n; i++) written &= user::write<keel_handle_t>(outs[i], hs[i]).ok();
  if (written) return libk::ok();
  for (size_t i = 0; i < n; i++) (void)table.close(hs[i]);
  return libk::err(ERR_INVALID_ARGS);
}

namespace {

libk::Result<keel_handle_t> decode_close(const Args& a) { return keel_handle_t{a[0]}; }
// Closing the last handle to a job kills it; then, as job_kill does, the
// close returns once everything in the job is gone (unless the caller is in
// it: it is being killed too).
libk::Result<void> close(keel_handle_t& h) {
  HandleTable& table = current_process().handles();
  RefPtr<Job> job;
  if (auto o = table.lookup(h, 0, ObjectType::Job); o.ok())
    job = RefPtr<Job>(&static_cast<JobObject*>(o.value().get())->job());
  TRY(table.close(h));
  if (job && job->killed() && !job->contains(current_process().job()))
    (void)job->wait_empty(Deadline::never());  // ERR_INTERRUPTED: the caller is being killed
  return libk::ok();
}

struct Duplicate {
  keel_handle_t h;
  uint32_t rights;
  uintptr_t out;
};
libk::Result<Duplicate> decode_duplicate(const Args& a) {
  uint32_t rights = TRY(arg_u32(a[1]));
  if (rights != KEEL_RIGHTS_SAME && (rights & ~KEEL_RIGHTS_ALL)) return libk::err(ERR_INVALID_ARGS);
  // A bad out pointer must leave no new handle: probed before anything.
  TRY(user::write<keel_handle_t>(a[2], KEEL_HANDLE_INVALID));
  return Duplicate{a[0], rights, a[2]};
}
libk::Result<void> duplicate(Duplicate& r) {
  HandleTable& table = current_process().handles();
  keel_handle_t dup = TRY(table.duplicate(r.h, r.rights));
  return hand_out(table, r.out, dup);
}

struct Info {
  keel_handle_t h;
  RefPtr<Object> object;
  uintptr_t out;
};
libk::Result<Info> decode_info(const Args& a) {
  RefPtr<Object> o =
      TRY(current_process().handles().lookup(a[0], KEEL_RIGHT_INSPECT, ObjectType(0)));
  // The info block can straddle a page: checked whole first, so a bad one
  // is never half written.
  uintptr_t out = TRY(out_ptr<keel_object_info>(a[1]));
  return Info{a[0], std::move(o), out};
}
libk::Result<void> object_info(Info& r) {
  keel_object_info info{};
  auto rights = current_process().handles().rights_of(r.h);
  info.rights = rights.ok() ? rights.value() : 0;
  Object* o = r.object.get();
  info.type = static_cast<uint32_t>(o->type());
  info.koid = o->koid();
  switch (o->type()) {
    case ObjectType::Process:
      static_cast<Process*>(o)->fill_info(info);
      break;
    case ObjectType::Task:
      static_cast<TaskObject*>(o)->fill_info(info);
      break;
    case ObjectType::Job:
      static_cast<JobObject*>(o)->job().fill_info(info);
      break;
    case ObjectType::Channel: {
      auto* c = static_cast<Channel*>(o);
      bool closed = c->peer_closed();
      info.state = closed ? KEEL_STATE_PEER_CLOSED : KEEL_STATE_OPEN;
      info.related_koid = closed ? 0 : c->peer_koid();
      break;
    }
    default:
      break;
  }
  return user::write<keel_object_info>(r.out, info);
}
}  // namespace

int64_t sys_handle_close(const Args& a) { return handler<decode_close, close>(a); }
int64_t sys_handle_duplicate(const Args& a) { return handler<decode_duplicate, duplicate>(a); }
int64_t sys_object_info(const Args& a) { return handler<decode_info, object_info>(a); }

}  // namespace syscall
