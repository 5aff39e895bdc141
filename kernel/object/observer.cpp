#include "observer.h"

#include <arch/spinlock.h>

#include "mm/slab.h"
#include "object/process.h"

namespace observer {
namespace {
Spinlock observer_lock{LockRank::Observer,
                       "observers"};  // every link's target and every process's observer list
TypedCache<ObserverLink> link_cache("observer_link");
}  // namespace

libk::Result<ObserverLink*> create(Process& target) {
  ObserverLink* link = TRY(link_cache.create());
  SpinGuard g(observer_lock);
  if (target.observers_closed) {
    link_cache.destroy(link);
    return libk::err(ERR_NOT_FOUND);  // exiting: it is no longer there to observe
  }
  link->target = &target;
  link->koid = target.koid();
  target.observers().push_back(*link);
  return link;
}

void destroy(ObserverLink* link) {
  {
    SpinGuard g(observer_lock);
    if (link->target) link->target->observers().remove(*link);
    link->target = nullptr;
  }
  link_cache.destroy(link);
}

libk::Result<RefPtr<Process>> resolve(ObserverLink* link) {
  SpinGuard g(observer_lock);
  // A linked target is still registered in the process table (its teardown
  // revokes every link before it leaves the table, whose reference it
  // drops last), so taking a reference here is safe.
  if (!link->target) return libk::err(ERR_REVOKED);
  return RefPtr<Process>(link->target);
}

bool revoked(const ObserverLink* link) {
  SpinGuard g(observer_lock);
  return link->target == nullptr;
}

void revoke_all(Process& target) {
  SpinGuard g(observer_lock);
  target.observers_closed = true;
  while (ObserverLink* link = target.observers().pop_front()) link->target = nullptr;
}

size_t links_live() { return link_cache.live(); }

}  // namespace observer
