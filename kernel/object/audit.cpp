#include "audit.h"

#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <libk/string.h>

#include "lib/kprintf.h"
#include "mm/fail_alloc.h"
#include "mm/kernel_vm.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "object/channel.h"
#include "object/payload.h"
#include "object/process.h"
#include "object/process_directory.h"
#include "object/task_object.h"
#include "sched/sched.h"
#include "sched/wait_queue.h"

namespace audit {
namespace {

// A set of addresses (open addressing) in a kmalloc block the audit owns.
struct PointerSet {
  const void** slots = nullptr;
  size_t cap = 0;
  size_t count = 0;

  bool init(size_t n) {
    cap = 64;
    while (cap < 2 * n + 64) cap <<= 1;
    auto mem = kmalloc(cap * sizeof(void*));
    if (mem.is_error()) return false;
    slots = static_cast<const void**>(mem.value());
    count = 0;
    return true;
  }
  void release() {
    if (slots) kfree(slots);
    slots = nullptr;
  }
  size_t index(const void* p) const {
    return (reinterpret_cast<uintptr_t>(p) >> 4) * 0x9e3779b97f4a7c15ull % cap;
  }
  bool insert(const void* p) {  // true if new; a full set keeps its contents
    if (count * 4 >= cap * 3) return false;
    for (size_t i = index(p);; i = (i + 1) % cap) {
      if (slots[i] == p) return false;
      if (!slots[i]) {
        slots[i] = p;
        count++;
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

// Objects reached but not yet looked into. The walk over what users build
// (channels queued inside messages inside channels, as deep as memory
// allows) goes through this explicit list, never through recursion, so its
// depth costs heap, not kernel stack.
struct WorkList {
  Object** items = nullptr;
  size_t cap = 0, count = 0;
  bool failed = false;

  void push(Object* o) {
    if (count == cap && !grow()) {
      failed = true;
      return;
    }
    items[count++] = o;
  }
  Object* pop() { return count ? items[--count] : nullptr; }
  bool grow();
  void release() {
    if (items) kfree(items);
    items = nullptr;
    cap = count = 0;
    failed = false;  // each run starts clean
  }
};

PointerSet reached_objects;  // kernel objects, messages, links, regions
PointerSet reached_blocks;   // kmalloc and payload blocks with an owner
PointerSet reached_frames;   // frames with an owner (physical addresses)
WorkList pending;

bool WorkList::grow() {
  size_t n = cap ? cap * 2 : 256;
  auto mem = kmalloc(n * sizeof(Object*));
  if (mem.is_error()) return false;
  auto* bigger = static_cast<Object**>(mem.value());
  for (size_t i = 0; i < count; i++) bigger[i] = items[i];
  if (items) kfree(items);
  items = bigger;
  cap = n;
  reached_blocks.insert(items);  // the audit's own
  return true;
}

void reach_object(Object* o) {
  if (o && reached_objects.insert(o)) pending.push(o);
}

void reach_message(Message& m) {
  if (!reached_objects.insert(&m)) return;
  if (m.bytes != m.inline_bytes) reached_blocks.insert(m.bytes);
  for (uint32_t i = 0; i < m.num_handles; i++) reach_object(m.handles[i]);
}

// Objects reachable from an object: a channel owns its queued messages and,
// through them, whatever their handles name. Called once per object, from
// the work list.
void expand(Object* o) {
  if (o->type() == ObjectType::Task) {  // a task handle owns the task's record
    reached_objects.insert(&static_cast<TaskObject*>(o)->task());
    return;
  }
  if (o->type() != ObjectType::Channel) return;
  auto* c = static_cast<Channel*>(o);
  reached_objects.insert(c->pair_for_audit());
  c->for_each_queued([](Message& m) { reach_message(m); });
}

void reach_frame_of(uintptr_t pa) { reached_frames.insert(reinterpret_cast<void*>(pa)); }

void reach_tables(const arch::PageTable& pt) {
  pt.for_each_table([](void*, uintptr_t pa) { reach_frame_of(pa); }, nullptr);
}

void reach_process(void*, Process& p) {
  reached_objects.insert(&p);
  p.for_each_task([](Task& t) { reached_objects.insert(&t); });
  p.address_space().inspect([](const arch::PageTable& pt, auto& regions) {
    reach_tables(pt);
    for (VmRegion& r : regions) {
      reached_objects.insert(&r);
      if (!r.owns_frames) continue;
      for (uintptr_t va = r.base; va < r.base + r.size; va += arch::PAGE_SIZE) {
        uintptr_t pa;
        if (pt.translate(va, &pa)) reach_frame_of(pa);
      }
    }
  });
  p.handles().for_each_chunk([](void* chunk) { reached_blocks.insert(chunk); });
  p.handles().for_each([](Object* o, ObserverLink* link) {
    if (link) reached_objects.insert(link);
    reach_object(o);
  });
}

void reach_task(void*, Task& t) { reached_objects.insert(&t); }

void reach_stack(uintptr_t lo, uintptr_t hi) {
  for (uintptr_t va = lo; va < hi; va += arch::PAGE_SIZE) {
    uintptr_t pa;
    if (kernel_vm::page_table().translate(va, &pa)) reach_frame_of(pa);
  }
}

// A task's stack pages and scratch buffers belong to it, whoever owns it.
void reach_task_memory(void*, SlabCache&, void* obj) {
  Task* t = static_cast<Task*>(obj);
  for (void* b : t->scratch)
    if (b) reached_blocks.insert(b);
  if (t->stack.allocated()) reach_stack(t->stack.bottom(), t->stack.top());
}

// A hart started but not yet running its scheduler owns the stack it was
// given (its idle task takes it over when it comes up).
void reach_starting_harts_stacks() {
  for (unsigned i = 1; i < arch::cpus_online(); i++) {
    arch::Cpu* c = arch::cpu(i);
    if (c && !libk::AtomicRef(c->online).load(libk::MemoryOrder::Acquire))
      reach_stack(c->stack_lo, c->stack_hi);
  }
}

struct Report {
  size_t orphans = 0;
  size_t objects = 0, blocks = 0, frames = 0;
};
Report report;

void orphan(const char* what, const void* where, size_t size) {
  report.orphans++;
  kprintf("audit: orphan %s at %p (%zu bytes)\n", what, where, size);
}

void check_object(void*, SlabCache& cache, void* obj) {
  report.objects++;
  if (reached_objects.contains(obj)) return;
  // A blocked task is owned by the wait queue it sleeps on. (For the few
  // instructions of an IPC hand-over it is Blocked on no queue, owned by
  // the hart taking it; such a task is a user task, reached through its
  // process before this.)
  if (libk::str_eq(cache.name(), "task")) {
    Task* t = static_cast<Task*>(obj);
    WaitQueue* wq = t->waiting_on.load(libk::MemoryOrder::Relaxed);
    if (t->state() == Task::State::Blocked && wq && wq->has_waiter(*t)) return;
    kprintf("audit: task %lu (%s) unreached: state %d, waiting on %p, process %p\n", t->tid(),
            t->name(), static_cast<int>(t->state()), static_cast<void*>(wq),
            static_cast<void*>(t->owner));
  }
  orphan(cache.name(), obj, cache.object_size());
}

bool audited(const char* name) {
  static const char* const names[] = {"task",         "process",           "channel",
                                      "channel_pair", "message",           "observer_link",
                                      "vm_region",    "process_directory", "task_object"};
  for (const char* n : names)
    if (libk::str_eq(n, name)) return true;
  return false;
}

void check_block(void*, void* block, size_t size, const char* what) {
  report.blocks++;
  if (!reached_blocks.contains(block)) orphan(what, block, size);
}

// Every allocated frame must belong to an owner the walk reached: a slab of
// a registered cache, a reached kmalloc or payload block, a page table, a
// task's stack, or an address space's own page.
void check_frame(void*, uintptr_t pa, unsigned order, pmm::FrameUse use) {
  report.frames += size_t{1} << order;
  bool owned = false;
  switch (use) {
    case pmm::FrameUse::Heap:
    case pmm::FrameUse::Payload:
      owned = true;  // each such frame is a block check_block already accounted for
      break;
    case pmm::FrameUse::Slab:  // reached through the cache whose lists hold it
    case pmm::FrameUse::PageTable:
    case pmm::FrameUse::KernelStack:
    case pmm::FrameUse::User:
      owned = reached_frames.contains(reinterpret_cast<void*>(pa));
      break;
    default:
      break;
  }
  if (owned) return;
  report.orphans++;
  kprintf("audit: orphan frame %#lx (order %u, %s): no owner holds it\n", pa, order,
          libk::frame_use_name(use));
}
}  // namespace

static size_t run_paused();

size_t run() {
  // The audit's own allocations are never failure points: a test that
  // injects failures must not read a failed audit as an orphan.
  fail_alloc::pause();
  size_t orphans = run_paused();
  fail_alloc::resume();
  return orphans;
}

static size_t run_paused() {
  // One consistent picture: nothing on this hart runs while the audit looks.
  uint64_t irq = arch::irq_save();
  size_t live = 0;
  for (SlabCache* c = SlabCache::first(); c; c = c->next()) live += c->live();
  size_t frames = pmm::frames_total() - pmm::frames_free();
  report = Report{};
  bool ready =
      reached_objects.init(live) && reached_blocks.init(live) && reached_frames.init(frames + 64);
  if (!ready) {
    reached_objects.release();
    reached_blocks.release();
    reached_frames.release();
    arch::irq_restore(irq);
    kprintf("audit: no memory to run\n");
    return 1;
  }
  reached_blocks.insert(reached_objects.slots);  // the audit's own blocks
  reached_blocks.insert(reached_blocks.slots);
  reached_blocks.insert(reached_frames.slots);

  // The owners the design names, and everything reachable from them.
  reached_objects.insert(ProcessDirectory::instance().get());
  process_table::for_each(reach_process, nullptr);
  sched::for_each_scheduled_task(reach_task, nullptr);
  while (Object* o = pending.pop()) expand(o);
  reach_tables(kernel_vm::page_table());
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    if (libk::str_eq(c->name(), "task")) c->for_each_live(reach_task_memory, nullptr);
  reach_starting_harts_stacks();

  // A slab block belongs to the cache whose lists hold it.
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    c->for_each_block([](void*, void* block) { reach_frame_of(arch::virt_to_phys(block)); },
                      nullptr);

  // Now everything alive must have been reached.
  for (SlabCache* c = SlabCache::first(); c; c = c->next())
    if (audited(c->name())) c->for_each_live(check_object, nullptr);
  kmalloc_audit::for_each_live(check_block, nullptr);
  payload::for_each_live([](void* ctx, void* b, size_t n) { check_block(ctx, b, n, "payload"); },
                         nullptr);
  pmm::for_each_allocated(check_frame, nullptr);
  if (pending.failed) {
    kprintf("audit: ran out of memory for its work list; the result is incomplete\n");
    report.orphans++;
  }

  pending.release();
  reached_objects.release();
  reached_blocks.release();
  reached_frames.release();
  arch::irq_restore(irq);
  kprintf("audit: %zu objects, %zu heap blocks and %zu allocated frames checked, %zu orphans\n",
          report.objects, report.blocks, report.frames, report.orphans);
  return report.orphans;
}

}  // namespace audit
