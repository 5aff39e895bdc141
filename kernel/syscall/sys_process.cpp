// Processes: spawn, kill, wait; the process directory's list and open.
#include <utility>

#include "mm/user_copy.h"
#include "object/loader.h"
#include "object/observer.h"
#include "object/process_directory.h"
#include "sched/sched.h"
#include "sched/scratch.h"
#include "syscall.h"

namespace syscall {
namespace {
// The spawner's handle: it alone may start a suspended child.
constexpr uint32_t PROCESS_RIGHTS = KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT |
                                    KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER | KEEL_RIGHT_START;

// argc NUL-terminated strings filling exactly len bytes.
bool args_well_formed(const char* args, size_t len, uint32_t argc) {
  uint32_t strings = 0;
  for (size_t i = 0; i < len; i++)
    if (args[i] == 0) strings++;
  return strings == argc && (len == 0 || args[len - 1] == 0);
}
struct Spawn {
  keel_spawn_args in;
  char name[KEEL_NAME_MAX];
  char args[KEEL_SPAWN_MAX_ARGS_BYTES];
  keel_handle_t handles[KEEL_SPAWN_MAX_HANDLES];
  uintptr_t out;
  HandleTable::Reservation slot;  // for the child's handle
  RefPtr<Job> job;                // the child's
};
// Every argument copied in and checked, every handle movable, the out
// pointer writable and a slot reserved for the child's handle.
libk::Result<void> decode_spawn_into(const Args& a, Spawn& r) {
  HandleTable& table = current_process().handles();
  TRY(user::read_into(r.in, a[0]));
  keel_spawn_args& in = r.in;
  if (in.flags & ~KEEL_SPAWN_SUSPENDED) return libk::err(ERR_INVALID_ARGS);
  if (in.args_len > KEEL_SPAWN_MAX_ARGS_BYTES || in.argc > KEEL_SPAWN_MAX_ARGS ||
      in.num_handles > KEEL_SPAWN_MAX_HANDLES)
    return libk::err(ERR_OUT_OF_RANGE);
  TRY(user::copy_in_string(r.name, sizeof(r.name), reinterpret_cast<uintptr_t>(in.name),
                           in.name_len));
  TRY(user::copy_in(r.args, reinterpret_cast<uintptr_t>(in.args), in.args_len));
  if (!args_well_formed(r.args, in.args_len, in.argc)) return libk::err(ERR_INVALID_ARGS);
  if (in.num_handles && reinterpret_cast<uintptr_t>(in.handles) % alignof(keel_handle_t))
    return libk::err(ERR_INVALID_ARGS);
  TRY(user::copy_in(r.handles, reinterpret_cast<uintptr_t>(in.handles),
                    in.num_handles * sizeof(keel_handle_t)));
  for (size_t i = 0; i < in.num_handles; i++) {
    for (size_t k = 0; k < i; k++)
      if (r.handles[k] == r.handles[i]) return libk::err(ERR_INVALID_ARGS);
    TRY(table.check_movable(r.handles[i], KEEL_RIGHT_TRANSFER));
  }
  r.job = TRY(job_of(in.job, KEEL_RIGHT_SPAWN));
  TRY(user::write<keel_handle_t>(a[1], KEEL_HANDLE_INVALID));
  r.out = a[1];
  r.slot = TRY(table.reserve(1));
  return libk::ok();
}
libk::Result<void> spawn(Spawn& r) {
  Process& self = current_process();
  HandleTable& table = self.handles();
  // Build the child, with room for its handles; any failure frees it whole
  // (it is not visible yet, and has no task started).
  RefPtr<Process> child;
  HandleTable::Reservation child_slots;  // let go of before child (declared after it)
  child = TRY(loader::load(r.name, self.pid(), r.in.num_handles, *r.job, &child_slots));
  // The child's handle goes out first, while every step can still be undone;
  // then the caller's handles move. Another task of the caller may have
  // unmapped the out pointer or closed one of the handles since decode: then
  // the child's handle is closed, none of the caller's moves, and the child,
  // which already has its task, leaves the way every process does: started
  // killed, it exits before its first instruction and is torn down (never
  // freed with a task attached). Until it starts, a task guessing its handle
  // finds a process that is not running yet (kill and wait work on it).
  keel_handle_t h = table.add(r.slot, RefPtr<Object>(child.get()), PROCESS_RIGHTS);
  MovedHandle moved[KEEL_SPAWN_MAX_HANDLES];
  auto done = hand_out(table, r.out, h);
  if (done.ok()) done = table.take_all(r.handles, r.in.num_handles, KEEL_RIGHT_TRANSFER, moved);
  if (done.is_error()) {
    (void)table.close(h);                      // if hand_out has not already
    child_slots = HandleTable::Reservation();  // a started process's table has none reserved
    child->kill(KEEL_EXIT_KILLED);
    child->start();
    return done;
  }
  // Nothing below can fail.
  keel_handle_t child_values[KEEL_SPAWN_MAX_HANDLES];
  for (size_t i = 0; i < r.in.num_handles; i++)  // the child's table: reserved by load, unshared
    child_values[i] =
        child->handles().add(child_slots, std::move(moved[i].object), moved[i].rights);
  auto started =
      loader::set_start(*child, r.args, r.in.args_len, r.in.argc, child_values, r.in.num_handles);
  if (started.is_error())
    child->kill(KEEL_EXIT_KILLED);           // cannot happen: the stack was just mapped
  child_slots = HandleTable::Reservation();  // all used: nothing touches its table once it runs
  if (r.in.flags & KEEL_SPAWN_SUSPENDED)
    child->publish_suspended();  // process_start runs it
  else
    child->start();
  return libk::ok();
}

libk::Result<RefPtr<Process>> decode_start(const Args& a) {
  return current_process().handles().lookup_as<Process>(a[0], KEEL_RIGHT_START);
}
libk::Result<void> start(RefPtr<Process>& p) {
  if (!p->start_suspended()) return libk::err(ERR_BAD_STATE);
  return libk::ok();
}

libk::Result<RefPtr<Process>> decode_kill(const Args& a) {
  return current_process().handles().lookup_as<Process>(a[0], KEEL_RIGHT_KILL);
}
libk::Result<void> kill(RefPtr<Process>& p) {
  p->kill(KEEL_EXIT_KILLED);
  return libk::ok();
}

struct Wait {
  keel_handle_t h;
  RefPtr<Process> process;
  uintptr_t out;
  Deadline deadline;
};
libk::Result<Wait> decode_wait(const Args& a) {
  RefPtr<Process> p = TRY(current_process().handles().lookup_as<Process>(a[0], KEEL_RIGHT_WAIT));
  if (a[1] % alignof(int64_t) || !user::range_ok(a[1], sizeof(int64_t)))
    return libk::err(ERR_INVALID_ARGS);
  TRY(user::write<int64_t>(a[1], 0));
  return Wait{a[0], std::move(p), a[1], deadline_from_ms(a[2])};
}
// On success the process handle is consumed: waiting reaps the exit record.
libk::Result<void> wait(Wait& r) {
  if (r.deadline.is_poll() && r.process->state() != Process::State::Exited)
    return libk::err(ERR_SHOULD_WAIT);
  int64_t code = TRY(r.process->wait(r.deadline));
  TRY(user::write<int64_t>(r.out, code));
  (void)current_process().handles().close(r.h);
  return libk::ok();
}

libk::Result<PidList> decode_list(const Args& a) {
  TRY(current_process().handles().lookup_as<ProcessDirectory>(a[0], KEEL_RIGHT_ENUMERATE));
  return decode_pid_list(a);
}
libk::Result<void> list(PidList& r) {
  return list_pids(
      r,
      [](void*, uint64_t after, uint64_t* pids, size_t cap) {
        return process_table::list(after, pids, cap);
      },
      nullptr);
}

struct Open {
  uint64_t pid;
  uintptr_t out;
  HandleTable::Reservation slot;
  RefPtr<Object> notify;  // a channel endpoint the caller reads, or null
};
libk::Result<Open> decode_open(const Args& a) {
  HandleTable& table = current_process().handles();
  TRY(table.lookup_as<ProcessDirectory>(a[0], KEEL_RIGHT_ENUMERATE));
  RefPtr<Object> notify;
  if (a[3] != KEEL_HANDLE_INVALID)
    notify = TRY(table.lookup(a[3], KEEL_RIGHT_READ, ObjectType::Channel));
  TRY(user::write<keel_handle_t>(a[2], KEEL_HANDLE_INVALID));
  HandleTable::Reservation slot = TRY(table.reserve(1));
  return Open{a[1], a[2], std::move(slot), std::move(notify)};
}
libk::Result<void> open(Open& r) {
  RefPtr<Process> target = process_table::find(r.pid);
  if (!target || target->state() != Process::State::Running) return libk::err(ERR_NOT_FOUND);
  ObserverLink* link = TRY(observer::create(*target, std::move(r.notify)));
  HandleTable& table = current_process().handles();
  return hand_out(table, r.out, table.add_observer(r.slot, link, KEEL_RIGHT_INSPECT));
}
}  // namespace

libk::Result<PidList> decode_pid_list(const Args& a) {
  uintptr_t out = a[1], actual = a[3];
  size_t cap = a[2];
  if (cap > 4096 || out % alignof(uint64_t) || !user::range_ok(out, cap * sizeof(uint64_t)))
    return libk::err(ERR_INVALID_ARGS);
  if (actual % alignof(size_t) || !user::range_ok(actual, sizeof(size_t)))
    return libk::err(ERR_INVALID_ARGS);
  return PidList{out, actual, cap, a[4]};
}
// Gather under the table's lock, then copy out: through the stack, or a
// scratch buffer the task owns when the caller has room for more.
libk::Result<void> list_pids(const PidList& r, PidGather gather, void* ctx) {
  uint64_t small[256];
  uint64_t* pids = small;
  ScratchBuffer big;
  if (r.cap > 256) pids = static_cast<uint64_t*>(TRY(big.allocate(r.cap * sizeof(uint64_t))));
  size_t total = gather(ctx, r.after, pids, r.cap);
  size_t n = total < r.cap ? total : r.cap;
  TRY(user::copy_out(r.out, pids, n * sizeof(uint64_t)));
  TRY(user::write<size_t>(r.actual, total));
  if (total > n) return libk::err(ERR_BUFFER_TOO_SMALL);
  return libk::ok();
}

int64_t sys_process_spawn(const Args& a) {
  return handler_in_place<Spawn, decode_spawn_into, spawn>(a);
}
int64_t sys_process_kill(const Args& a) { return handler<decode_kill, kill>(a); }
int64_t sys_process_wait(const Args& a) { return handler<decode_wait, wait>(a); }
int64_t sys_process_list(const Args& a) { return handler<decode_list, list>(a); }
int64_t sys_process_open(const Args& a) { return handler<decode_open, open>(a); }
int64_t sys_process_start(const Args& a) { return handler<decode_start, start>(a); }

}  // namespace syscall
