#include "observer.h"

#include <arch/spinlock.h>
#include <libk/string.h>

#include "mm/slab.h"
#include "object/channel.h"
#include "object/process.h"

namespace observer {
namespace {
Spinlock observer_lock{LockRank::Observer,
                       "observers"};  // every link's target and every process's observer list
TypedCache<ObserverLink> link_cache("observer_link");
}  // namespace

namespace {
// A notice that was never posted: freed with its link.
void drop_notice(Message* m, Object* notify) {
  if (m) Message::destroy(m);
  if (notify) notify->unref();
}
}  // namespace

libk::Result<ObserverLink*> create(Process& target, RefPtr<Object> notify) {
  ObserverLink* link = TRY(link_cache.create());
  if (notify) {
    auto m = Message::create(sizeof(keel_exit_notice), nullptr);
    if (m.is_error()) {
      link_cache.destroy(link);
      return libk::err(m.error());
    }
    keel_exit_notice n{KEEL_EXIT_NOTICE_MAGIC, target.koid()};
    memcpy(m.value()->bytes, &n, sizeof(n));
    link->notice = m.value();
    link->notify = notify.leak_ref();
  }
  {
    SpinGuard g(observer_lock);
    if (!target.observers_closed) {
      link->target = &target;
      link->koid = target.koid();
      target.observers().push_back(*link);
      return link;
    }
  }
  destroy(link);
  return libk::err(ERR_NOT_FOUND);  // exiting: it is no longer there to observe
}

void destroy(ObserverLink* link) {
  Message* m;
  Object* notify;
  {
    SpinGuard g(observer_lock);
    if (link->target) link->target->observers().remove(*link);
    link->target = nullptr;
    m = link->notice, notify = link->notify;
    link->notice = nullptr, link->notify = nullptr;
  }
  drop_notice(m, notify);
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

// In batches: the notices are taken out of their links under the lock (a
// holder closing its handle meanwhile finds nothing left to free) and
// posted after it, when the endpoints' locks may be taken.
void revoke_all(Process& target) {
  constexpr size_t BATCH = 16;
  for (bool more = true; more;) {
    Message* notices[BATCH];
    Object* to[BATCH];
    size_t n = 0;
    {
      SpinGuard g(observer_lock);
      target.observers_closed = true;
      while (n < BATCH) {
        ObserverLink* link = target.observers().pop_front();
        if (!link) break;
        link->target = nullptr;
        if (!link->notice) continue;
        notices[n] = link->notice, to[n] = link->notify;
        link->notice = nullptr, link->notify = nullptr;
        n++;
      }
      more = !target.observers().empty();
    }
    for (size_t i = 0; i < n; i++) {
      static_cast<Channel*>(to[i])->post(notices[i]);
      to[i]->unref();
    }
  }
}

size_t links_live() { return link_cache.live(); }

}  // namespace observer
