#include "audit.h"

#include <libk/string.h>

#include "lib/kprintf.h"
#include "mm/heap_stats.h"
#include "mm/kernel_vm.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "object/channel.h"
#include "object/process.h"
#include "object/process_directory.h"
#include "sched/sched.h"
#include "sched/wait_queue.h"

namespace audit {
namespace {

// A set of addresses, open addressing, sized for the live objects.
struct PointerSet {
  const void** slots = nullptr;
  size_t cap = 0;

  bool init(size_t n) {
    cap = 64;
    while (cap < 2 * n + 64) cap <<= 1;
    auto mem = kmalloc(cap * sizeof(void*));
    if (mem.is_error()) return false;
    slots = static_cast<const void**>(mem.value());
    return true;
  }
  void release() { (void)kfree(slots); }
  size_t index(const void* p) const { return (reinterpret_cast<uintptr_t>(p) >> 4) * 0x9e3779b97f4a7c15ull % cap; }
  bool insert(const void* p) {  // true if new
    for (size_t i = index(p);; i = (i + 1) % cap) {
      if (slots[i] == p) return false;
      if (!slots[i]) {
        slots[i] = p;
        return true;
      }
    }
  }
  bool contains(const void* p) const {
    for (size_t i = index(p);; i = (i + 1) % cap) {
      if (slots[i] == p) return true;
      if (!slots[i]) return false;
    }
  }
};

PointerSet reached;
size_t user_frames;

void reach_object(Object* o);

void reach_message(Message& m) {
  if (!reached.insert(&m)) return;
  for (uint32_t i = 0; i < m.num_handles; i++) reach_object(m.handles[i]);
}

// Objects reachable from objects: a channel owns its queued messages and,
// through them, whatever their handles name. Nesting is bounded by what the
// channels refuse to carry (no cycles), and small in practice.
void reach_object(Object* o) {
  if (!o || !reached.insert(o)) return;
  if (o->type() == ObjectType::Channel) {
    auto* c = static_cast<Channel*>(o);
    reached.insert(c->pair_for_audit());
    c->for_each_queued([](Message& m) { reach_message(m); });
  }
}

void reach_process(void*, Process& p) {
  reached.insert(&p);
  p.for_each_task([](Task& t) { reached.insert(&t); });
  p.address_space().for_each_region([](VmRegion& r) { reached.insert(&r); });
  user_frames += p.address_space().owned_pages() + p.address_space().table_frames();
  p.handles().for_each([](Object* o, ObserverLink* link) {
    if (link) reached.insert(link);
    reach_object(o);
  });
}

void reach_task(void*, Task& t) { reached.insert(&t); }

struct Report {
  size_t orphans;
};

void check_live(void* ctx, SlabCache& cache, void* obj) {
  if (reached.contains(obj)) return;
  // A blocked task is owned by the wait queue it sleeps on.
  if (libk::str_eq(cache.name(), "task")) {
    Task* t = static_cast<Task*>(obj);
    WaitQueue* wq = t->waiting_on;
    if (t->state() == Task::State::Blocked && wq && wq->has_waiter(*t)) return;
  }
  static_cast<Report*>(ctx)->orphans++;
  kprintf("audit: orphan %s object at %p\n", cache.name(), obj);
}

bool audited(const char* name) {
  static const char* const names[] = {"task", "process", "channel", "channel_pair", "message",
                                      "observer_link", "vm_region", "process_directory"};
  for (const char* n : names)
    if (libk::str_eq(n, name)) return true;
  return false;
}
}  // namespace

size_t run() {
  size_t live = 0;
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    if (audited(c->name())) live += c->live();
  if (!reached.init(live)) {
    kprintf("audit: no memory to run\n");
    return 1;
  }
  user_frames = 0;
  reached.insert(ProcessDirectory::instance().get());
  process_table::for_each(reach_process, nullptr);
  sched::for_each_scheduled_task(reach_task, nullptr);

  Report report{0};
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    if (audited(c->name())) c->for_each_live(check_live, &report);
  reached.release();

  // Frames: allocated = owned by someone we know.
  size_t allocated = pmm::frames_total() - pmm::frames_free();
  size_t accounted = kernel_vm::page_table().table_frames() + heap_stats::slab_frames() +
                     kstack::frames_in_use() + heap_stats::large_frames() + user_frames;
  if (allocated != accounted) {
    kprintf("audit: %zu frames allocated but %zu accounted for (%+ld orphan frames)\n", allocated,
            accounted, static_cast<long>(allocated - accounted));
    report.orphans += allocated > accounted ? allocated - accounted : accounted - allocated;
  }
  kprintf("audit: %zu live objects and %zu allocated frames checked, %zu orphans\n", live,
          allocated, report.orphans);
  return report.orphans;
}

}  // namespace audit
