// Handles: close, duplicate (rights only shrink), object_info.
#include "mm/user_copy.h"
#include "object/channel.h"
#include "object/process_directory.h"
#include "syscall.h"

namespace syscall {

int64_t sys_handle_close(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  return status(current_process().handles().close(h));
}

int64_t sys_handle_duplicate(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  if (a1 > UINT32_MAX) return ERR_INVALID_ARGS;
  uint32_t rights = static_cast<uint32_t>(a1);
  if (rights != KEEL_RIGHTS_SAME && (rights & ~KEEL_RIGHTS_ALL)) return ERR_INVALID_ARGS;
  HandleTable& table = current_process().handles();
  // Decode everything first: a bad out pointer must leave no new handle.
  auto probe = user::write<keel_handle_t>(a2, KEEL_HANDLE_INVALID);
  if (probe.is_error()) return probe.error();
  auto dup = table.duplicate(h, rights);
  if (dup.is_error()) return dup.error();
  auto r = user::write<keel_handle_t>(a2, dup.value());
  if (r.is_error()) (void)table.close(dup.value());
  return status(r);
}

int64_t sys_object_info(SYSCALL_ARGS) {
  SYSCALL_UNUSED;
  keel_handle_t h = a0;
  HandleTable& table = current_process().handles();
  auto object = table.lookup(h, KEEL_RIGHT_INSPECT, static_cast<ObjectType>(0));
  if (object.is_error()) return object.error();
  keel_object_info info{};
  auto rights = table.rights_of(h);
  info.rights = rights.ok() ? rights.value() : 0;
  Object* o = object.value().get();
  info.type = static_cast<uint32_t>(o->type());
  info.koid = o->koid();
  switch (o->type()) {
    case ObjectType::Process:
      static_cast<Process*>(o)->fill_info(info);
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
  return status(user::write<keel_object_info>(a1, info));
}

}  // namespace syscall
