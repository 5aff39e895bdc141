// Observer links: what an INSPECT-only handle to a process holds instead of
// a reference. The link names its target while the target lives; when the
// process exits, the kernel revokes every link (target becomes null) and the
// holder's handle answers ERR_REVOKED. A link never keeps anything alive.
#pragma once
#include <libk/list.h>
#include <libk/result.h>
#include <stdint.h>

#include "object/object.h"

class Process;

struct Message;

struct ObserverLink {
  libk::ListNode node;        // in the target's observer list while not revoked
  Process* target = nullptr;  // null once revoked (observer_lock)
  uint64_t koid = 0;          // the target's id, kept after revocation
  // The exit notice, made with the link so that revocation cannot fail,
  // and the endpoint it goes to (a counted reference); both null if none
  // was asked for, or once posted (observer_lock).
  Message* notice = nullptr;
  Object* notify = nullptr;
};

namespace observer {

// A new link registered with `target` (which must be running); with
// `notify` (a channel endpoint), an exit notice goes there at revocation.
libk::Result<ObserverLink*> create(Process& target, RefPtr<Object> notify = {});
// Unregister (if still linked) and free: the holder closed its handle.
void destroy(ObserverLink* link);
// A counted reference to the target, or ERR_REVOKED.
libk::Result<RefPtr<Process>> resolve(ObserverLink* link);
// Has the target gone? (No reference taken.)
bool revoked(const ObserverLink* link);
// Called by the target's teardown: revoke every link to it and post the
// exit notices (no locks held: posting takes the endpoints' locks).
void revoke_all(Process& target);
size_t links_live();

}  // namespace observer
