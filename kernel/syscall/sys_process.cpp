// Processes: spawn, kill, wait; the process directory's list and open.
#include "sched/scratch.h"
#include "mm/user_copy.h"
#include "object/loader.h"
#include "object/observer.h"
#include "object/process_directory.h"
#include "sched/sched.h"
#include "syscall.h"

namespace syscall {
namespace {
constexpr uint32_t PROCESS_RIGHTS = KEEL_RIGHT_KILL | KEEL_RIGHT_WAIT | KEEL_RIGHT_INSPECT |
                                    KEEL_RIGHT_DUPLICATE | KEEL_RIGHT_TRANSFER;

// argc NUL-terminated strings filling exactly len bytes.
bool args_well_formed(const char* args, size_t len, uint32_t argc) {
  uint32_t strings = 0;
  for (size_t i = 0; i < len; i++)
    if (args[i] == 0) strings++;
  return strings == argc && (len == 0 || args[len - 1] == 0);
}
}  // namespace

int64_t sys_process_spawn(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  Process& self = current_process();
  HandleTable& table = self.handles();
  // Decode: every argument copied in and checked before anything is built.
  auto args_r = user::read<keel_spawn_args>(a0);
  if (args_r.is_error()) return args_r.error();
  keel_spawn_args in = args_r.value();
  if (in.args_len > KEEL_SPAWN_MAX_ARGS_BYTES || in.argc > KEEL_SPAWN_MAX_ARGS ||
      in.num_handles > KEEL_SPAWN_MAX_HANDLES)
    return ERR_OUT_OF_RANGE;
  char name[KEEL_NAME_MAX];
  auto nr = user::copy_in_string(name, sizeof(name), reinterpret_cast<uintptr_t>(in.name),
                                 in.name_len);
  if (nr.is_error()) return nr.error();
  char args[KEEL_SPAWN_MAX_ARGS_BYTES];
  auto ar = user::copy_in(args, reinterpret_cast<uintptr_t>(in.args), in.args_len);
  if (ar.is_error()) return ar.error();
  if (!args_well_formed(args, in.args_len, in.argc)) return ERR_INVALID_ARGS;
  keel_handle_t handles[KEEL_SPAWN_MAX_HANDLES];
  if (in.num_handles && reinterpret_cast<uintptr_t>(in.handles) % alignof(keel_handle_t))
    return ERR_INVALID_ARGS;
  auto hr = user::copy_in(handles, reinterpret_cast<uintptr_t>(in.handles),
                          in.num_handles * sizeof(keel_handle_t));
  if (hr.is_error()) return hr.error();
  for (size_t i = 0; i < in.num_handles; i++) {
    for (size_t k = 0; k < i; k++)
      if (handles[k] == handles[i]) return ERR_INVALID_ARGS;
    auto m = table.check_movable(handles[i], KEEL_RIGHT_TRANSFER);
    if (m.is_error()) return m.error();
  }
  auto probe = user::write<keel_handle_t>(a1, KEEL_HANDLE_INVALID);
  if (probe.is_error()) return probe.error();
  auto room = table.reserve(1);
  if (room.is_error()) return room.error();

  // Build the child, with room for its handles; any failure frees it whole
  // (it is not visible yet, and has no task started).
  auto loaded = loader::load(name, self.pid(), in.num_handles);
  if (loaded.is_error()) return loaded.error();
  RefPtr<Process> child = loaded.release_value();

  // Invoke: nothing below can fail except the final copy-out.
  keel_handle_t child_values[KEEL_SPAWN_MAX_HANDLES];
  for (size_t i = 0; i < in.num_handles; i++) {
    MovedHandle mh = table.take(handles[i]);
    child_values[i] = child->handles().add(static_cast<RefPtr<Object>&&>(mh.object), mh.rights).value();
  }
  auto started = loader::set_start(*child, args, in.args_len, in.argc, child_values, in.num_handles);
  if (started.is_error()) {  // cannot happen: the stack was just mapped
    child->kill(KEEL_EXIT_KILLED);
  }
  keel_handle_t h = table.add(RefPtr<Object>(child.get()), PROCESS_RIGHTS).value();
  child->start();
  return status(user::write<keel_handle_t>(a1, h));
}

int64_t sys_process_kill(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  auto p = current_process().handles().lookup_as<Process>(h, KEEL_RIGHT_KILL);
  if (p.is_error()) return p.error();
  p.value()->kill(KEEL_EXIT_KILLED);
  return KEEL_OK;
}

// On success the process handle is consumed: waiting reaps the exit record.
int64_t sys_process_wait(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  HandleTable& table = current_process().handles();
  auto p = table.lookup_as<Process>(h, KEEL_RIGHT_WAIT);
  if (p.is_error()) return p.error();
  if (a1 % alignof(int64_t) || !user::range_ok(a1, sizeof(int64_t))) return ERR_INVALID_ARGS;
  auto probe = user::write<int64_t>(a1, 0);
  if (probe.is_error()) return probe.error();
  uint64_t deadline = deadline_from_ms(a2);
  if (deadline == 0 && p.value()->state() != Process::State::Exited) return ERR_SHOULD_WAIT;
  auto code = p.value()->wait(deadline);
  if (code.is_error()) return code.error();
  auto w = user::write<int64_t>(a1, code.value());
  if (w.is_error()) return w.error();
  (void)table.close(h);
  return KEEL_OK;
}

int64_t sys_process_list(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  auto dir = current_process().handles().lookup_as<ProcessDirectory>(h, KEEL_RIGHT_ENUMERATE);
  if (dir.is_error()) return dir.error();
  uintptr_t out = a1, actual = a3;
  size_t cap = a2;
  if (cap > 4096 || out % alignof(uint64_t) || !user::range_ok(out, cap * sizeof(uint64_t)))
    return ERR_INVALID_ARGS;
  if (actual % alignof(size_t) || !user::range_ok(actual, sizeof(size_t))) return ERR_INVALID_ARGS;
  // Gather under the table's lock, then copy out: through the stack, or the
  // heap when the caller has room for more than fits there.
  uint64_t small[256];
  uint64_t* pids = small;
  ScratchBuffer big;
  if (cap > 256) {
    auto mem = big.allocate(cap * sizeof(uint64_t));
    if (mem.is_error()) return ERR_NO_MEMORY;
    pids = static_cast<uint64_t*>(mem.value());
  }
  size_t total = process_table::list(pids, cap);
  size_t n = total < cap ? total : cap;
  auto w = user::copy_out(out, pids, n * sizeof(uint64_t));
  if (w.is_error()) return w.error();
  auto wa = user::write<size_t>(actual, total);
  if (wa.is_error()) return wa.error();
  return total > n ? ERR_BUFFER_TOO_SMALL : KEEL_OK;
}

int64_t sys_process_open(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  HandleTable& table = current_process().handles();
  auto dir = table.lookup_as<ProcessDirectory>(h, KEEL_RIGHT_ENUMERATE);
  if (dir.is_error()) return dir.error();
  auto probe = user::write<keel_handle_t>(a2, KEEL_HANDLE_INVALID);
  if (probe.is_error()) return probe.error();
  auto room = table.reserve(1);
  if (room.is_error()) return room.error();
  RefPtr<Process> target = process_table::find(a1);
  if (!target || target->state() != Process::State::Running) return ERR_NOT_FOUND;
  auto link = observer::create(*target);
  if (link.is_error()) return link.error();
  keel_handle_t obs = table.add_observer(link.value(), KEEL_RIGHT_INSPECT).value();
  return status(user::write<keel_handle_t>(a2, obs));
}

}  // namespace syscall
