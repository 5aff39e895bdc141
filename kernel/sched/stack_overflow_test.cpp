// A kernel stack overflow is reported at once, and nothing below the
// overflowing stack's guard page is written: not by the overflow, not by
// the trap that catches it. (An earlier kernel pushed trap frames down
// through the guard, faulting again for each, until they landed on the
// neighbouring task's stack.)
//
// Not in the kernel suite's globs: kernel-stack-overflow boots with
// test=overflow.* and requires the report, the task's name, a symbolized
// backtrace through the recursion, and this file's note that the
// neighbour's stack is byte for byte what it was.
#include <libk/string.h>

#include "ktest/ktest.h"
#include "lib/panic.h"
#include "mm/kstack.h"
#include "sched/sched.h"
#include "sched/wait_queue.h"

namespace {
constexpr size_t WATCHED = 2 * 4096;  // the neighbour's top two pages: its live frames
uint8_t before[WATCHED];
uintptr_t watched;
volatile bool keep_going = true;

__attribute__((noinline)) uint64_t recurse(uint64_t depth) {
  volatile uint8_t pad[192];
  pad[depth % sizeof(pad)] = static_cast<uint8_t>(depth);
  uint64_t below = keep_going ? recurse(depth + 1) : 0;
  return below + pad[depth % sizeof(pad)];
}

int overflow(void*) { return static_cast<int>(recurse(0)); }

int block_forever(void* wq) {
  auto* q = static_cast<WaitQueue*>(wq);
  SpinGuard g(q->lock());
  for (;;)
    if (q->block_locked().is_error()) return 1;
}

void check_neighbour() {
  bool same = memcmp(before, reinterpret_cast<void*>(watched), WATCHED) == 0;
  kprintf("overflow test: the neighbour's stack is %s\n",
          same ? "untouched" : "CORRUPTED (written below the guard page)");
}
}  // namespace

KTEST("overflow.kernel_stack_reported") {
  static WaitQueue wq;
  auto n = Task::create("neighbour", block_forever, &wq);
  auto o = Task::create("overflower", overflow, nullptr);
  KT_ASSERT(n.ok() && o.ok());
  RefPtr<Task> neighbour = n.value(), overflower = o.value();
  // Stack slots are handed out lowest first: the overflower's guard page
  // sits right on top of the neighbour's stack, so a write below that guard
  // would land in the neighbour's live frames.
  KT_ASSERT(overflower->stack.guard() == neighbour->stack.top());
  sched::start(n.release_value());
  // Blocked and switched away from (on another hart it may still be on its
  // way into the scheduler, writing its stack, when its state says Blocked).
  while (neighbour->state() != Task::State::Blocked ||
         neighbour->on_cpu.load(libk::MemoryOrder::Acquire))
    sched::yield();
  watched = neighbour->stack.top() - WATCHED;
  memcpy(before, reinterpret_cast<void*>(watched), WATCHED);
  set_panic_note(check_neighbour);
  kprintf("overflow test: overflower stack %#lx..%#lx, neighbour %#lx..%#lx\n",
          overflower->stack.bottom(), overflower->stack.top(), neighbour->stack.bottom(),
          neighbour->stack.top());
  sched::start(o.release_value());
  (void)sched::join(*overflower);
  KT_EXPECT(false);  // unreachable: the overflow stops the machine
}
